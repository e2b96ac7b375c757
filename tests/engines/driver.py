"""Play a learner's scenario on whichever Anki engine runs this script, and print what is left.

Runs under every engine's own Python (3.9 and later), with nothing but the standard library and
that engine's `anki` package, so it never imports build-deck. Usage:

    python driver.py SCENARIO.json      (or the JSON on standard input)

The scenario: {"collection": path, "deck": name, "steps": [step, ...]}, each step with an
"at" time (seconds since 1970) and one action:

    {"do": "import", "package": path}          import with the default options ("if newer")
    {"do": "study", "count": n}                answer n cards "Easy" through the scheduler
    {"do": "edit", "guid": g, "field": name, "text": t}   the learner edits one field
    {"do": "view", "guids": [g, ...]}          show notes in the Browser's editor, which saves
                                               each field back as the browser serialises it

Time. Anki stamps what it changes with the wall clock ("now", in seconds). A step runs at the
real time and then every note stamp it wrote (any mod at or after the step's real start) is
moved to the step's "at", as if the step had run then; stamps an engine keeps from a package
are all earlier than the real start (scenarios are set in the past), so they stay. This plays
imports "weeks apart" in a second, with no sleeps, and exactly: the importers compare only
note stamps.

Prints JSON: the engine's version, which importer it used, each step's import log, every note
(guid -> fields, field names, tags, mod), every card ("guid/ord" -> review state) and the media
folder's files. With no steps, it only reads a collection.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time


def _anki_version() -> str:
    from anki.buildinfo import version

    return version


def _new_importer(col) -> bool:
    return hasattr(col, "import_anki_package")


def import_package(col, path: str) -> dict:
    """Import as the desktop's import dialog does on this engine, with its default options."""
    if not _new_importer(col):  # 2.1.54 and older: the legacy importer, always "if newer"
        import anki.lang
        from anki.importing.apkg import AnkiPackageImporter

        if anki.lang.current_i18n is None:  # the desktop sets it at start; the log needs it
            anki.lang.set_lang("en")
        importer = AnkiPackageImporter(col, path)
        importer.run()
        return {"new": importer.added, "updated": importer.updated,
                "duplicate": importer.dupes}
    try:
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    except ImportError:  # 2.1.55 to 2.1.66 take a path and use the default options
        log = col.import_anki_package(path).log
    else:  # update_notes defaults to IF_NEWER, as in the dialog
        log = col.import_anki_package(ImportAnkiPackageRequest(
            package_path=path, options=ImportAnkiPackageOptions())).log
    return {kind: len(getattr(log, kind)) for kind in
            ("new", "updated", "duplicate", "conflicting", "first_field_match",
             "missing_notetype", "missing_deck", "empty_first_field") if hasattr(log, kind)}


def study(col, deck: str, count: int) -> dict:
    """Answer count cards "Easy", as a learner pressing the button in the reviewer."""
    decks = col.decks
    deck_id = decks.id_for_name(deck) if hasattr(decks, "id_for_name") else decks.id(deck)
    decks.select(deck_id)
    sched = col.sched
    # The v3 scheduler is the only one from 23.10; 2.1.50 has it switched off (v2 by default).
    v3 = hasattr(sched, "get_queued_cards") and getattr(col, "v3_scheduler", lambda: True)()
    answered = 0
    for _ in range(count):
        if v3:
            from anki.cards import Card
            from anki.scheduler.v3 import CardAnswer

            queue = sched.get_queued_cards()
            if not queue.cards:
                break
            card = Card(col)
            card._load_from_backend_card(queue.cards[0].card)
            card.start_timer()
            sched.answer_card(sched.build_answer(card=card, states=queue.cards[0].states,
                                                 rating=CardAnswer.EASY))
        else:
            card = sched.getCard()
            if card is None:
                break
            sched.answerCard(card, sched.answerButtons(card))  # the last button: Easy
        answered += 1
    return {"answered": answered}


def _note_for(col, guid: str):
    ids = col.db.list("select id from notes where guid = ?", guid)
    if len(ids) != 1:
        raise SystemExit(f"driver: {len(ids)} notes with guid {guid!r}")
    return col.get_note(ids[0])


def edit(col, guid: str, field: str, text: str) -> dict:
    """What Anki's editor does when the learner changes a field: update_note, stamped now."""
    note = _note_for(col, guid)
    note[field] = text
    col.update_note(note)
    return {}


_TAG = re.compile(r"(<[^>]*>)")
# A browser reads a field's HTML into the editor and writes it back from the DOM: in text, quotes
# come back as plain characters; '&', '<', '>' and no-break spaces stay escaped.
_TEXT_ENTITIES = {"&quot;": '"', "&#34;": '"', "&#x22;": '"', "&#39;": "'", "&#x27;": "'"}


def editor_serialised(html: str) -> str:
    """A field as the editor saves it back after showing it (text only; tags kept as written)."""
    parts = _TAG.split(html)
    for i in range(0, len(parts), 2):  # even parts are text between tags
        for entity, char in _TEXT_ENTITIES.items():
            parts[i] = parts[i].replace(entity, char)
    return "".join(parts)


def view(col, guids: list) -> dict:
    """The learner clicks through each note's fields in the Browser: the editor saves every field
    back as it serialises it; the engine writes (and stamps) only a note that differs."""
    rewritten = 0
    for guid in guids:
        note = _note_for(col, guid)
        before = list(note.fields)
        note.fields = [editor_serialised(text) for text in before]
        rewritten += note.fields != before
        col.update_note(note)
    return {"rewritten": rewritten}


def _restamp(col, since: int, at: int) -> int:
    """Move the stamps this step wrote (from the real time `since` on) to the scenario's `at`."""
    moved = col.db.scalar("select count() from notes where mod >= ?", since)
    col.db.execute("update notes set mod = ? where mod >= ?", at, since)
    return moved


def run(scenario: dict) -> dict:
    from anki.collection import Collection

    col = Collection(scenario["collection"])
    out: dict = {"anki": _anki_version(),
                 "importer": "new" if _new_importer(col) else "legacy", "steps": []}
    try:
        for step in scenario["steps"]:
            start = int(time.time())
            if step["at"] >= start:
                raise SystemExit(f"driver: step at {step['at']} is not in the past")
            action = step["do"]
            if action == "import":
                result = import_package(col, step["package"])
            elif action == "study":
                result = study(col, scenario["deck"], step["count"])
            elif action == "edit":
                result = edit(col, step["guid"], step["field"], step["text"])
            elif action == "view":
                result = view(col, step["guids"])
            else:
                raise SystemExit(f"driver: unknown step {action!r}")
            result["stamped"] = _restamp(col, start, step["at"])
            out["steps"].append({"do": action, **result})
        out["notes"], out["cards"] = _dump(col)
        out["media"] = sorted(os.listdir(col.media.dir()))
    finally:
        col.close()
    return out


def _dump(col) -> tuple:
    notes, cards, guids = {}, {}, {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        guids[nid] = note.guid
        notes[note.guid] = {"fields": list(note.fields), "names": list(note.keys()),
                            "tags": sorted(note.tags), "mod": note.mod}
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        cards[f"{guids[card.nid]}/{card.ord}"] = {
            "deck": col.decks.name(card.did), "type": card.type, "queue": card.queue,
            "ivl": card.ivl, "reps": card.reps, "lapses": card.lapses,
            "reviews": col.db.scalar("select count() from revlog where cid = ?", cid)}
    return notes, cards


def main(argv: list) -> None:
    text = open(argv[1], encoding="utf-8").read() if len(argv) > 1 else sys.stdin.read()
    # Anki writes to standard output too (on a busy machine: "blocked main thread for 362ms"
    # and a stack), from Python and from its Rust backend: while it runs, that goes to standard
    # error, and the JSON alone to standard output.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    result = run(json.loads(text))
    sys.stdout.flush()
    json.dump(result, out, ensure_ascii=False, sort_keys=True)
    out.write("\n")
    out.close()


if __name__ == "__main__":
    main(sys.argv)
