"""Planning a build against the last one: what a re-import of the new package will do, and
the ledger that goes with it.

Anki updates a note on re-import only when the package's note is newer than its own copy. So a
note keeps its old modification time until its content changes, and then gets a strictly later
one; that leaves untouched notes (and the learner's own edits to them) alone.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from deckbuilder.errors import Problems, display_path
from deckbuilder.ledger.history import (
    History,
    Recording,
    check_version,
    record_renames,
    release_note,
    retired_in,
)
from deckbuilder.ledger.lockfile import EARLIEST, check_time, latest_time, same_records
from deckbuilder.ledger.records import (
    NEW,
    CardEntry,
    DeckFacts,
    Ledger,
    NoteTypeEntry,
    Plan,
    Shipment,
)
from deckbuilder.notes import retired_note


def build_time() -> int:
    """Now, or SOURCE_DATE_EPOCH when set (for reproducible builds). Raises DeckError."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or not raw.strip():
        return int(time.time())
    problems = Problems()
    epoch = raw.strip()
    if not re.fullmatch(r"[0-9]{1,19}", epoch):
        problems.add("SOURCE_DATE_EPOCH", message=f"{raw[:40]!r} is not a time: it must be "
                     "whole seconds since 1970 in ASCII digits, such as 1700000000")
    else:
        wrong = check_time(int(epoch), "the time", latest_time())
        if wrong:
            problems.add("SOURCE_DATE_EPOCH", message=wrong)
    problems.raise_if_any()
    return int(epoch)


def _next_mod(previous: int | None, now: int) -> int:
    # Strictly later than before, even if the clock (or SOURCE_DATE_EPOCH) went backwards.
    return now if previous is None else max(now, previous + 1)


def make_plan(shipment: Shipment, old: Ledger, ledger_path: Path, now: int,
              release: bool = False) -> Plan:
    """Compare this build with the last one; raise DeckError for changes Anki cannot take.

    A release build (release=True) records the deck's version as released and stamps every
    note it changed with this build's time (_release_stamps)."""
    deck, notes, note_types = shipment.deck, shipment.notes, shipment.note_types
    problems = Problems()
    file = display_path(ledger_path)
    other = _another_decks(old, shipment)
    if other:
        # One problem, not one per card: a fork's old ledger, or one copied from another deck.
        problems.add(file, 0, 0, None,
                     f"this is the ledger of another deck: '{old.deck_name}' (id "
                     f"{old.deck_id}), {other}. To start a deck of your own in this folder, "
                     "with its own ids and ledger: build-deck new --here")
        problems.raise_if_any()
    if old.deck_id and old.deck_id != deck.id:
        problems.add(deck.file, *deck.mark("id"), None,
                     f"the deck id was {old.deck_id} in the last build (ledger {file}, deck "
                     f"'{old.deck_name}'); it is permanent, because every note's identity is "
                     "made from it and Anki would add the whole deck again beside the old one. "
                     "Put the old id back; or, if that ledger is another deck's, use this "
                     "deck's own (--ledger)")
    elif old.deck_name and old.deck_name != deck.name:
        problems.add(deck.file, *deck.mark("name"), None,
                     f"the deck name was '{old.deck_name}' in the last build; it is fixed once "
                     "released, because Anki matches decks by name and would split the deck "
                     "in two. Put the old name back")
    version = deck.version
    check_version(deck, old, problems)
    if release and not version:
        problems.add(deck.file, 1, 0, None, "a release build needs a 'version' in deck.yaml "
                     "(such as 1.0.0): add one, then build with --release again")
    new = Ledger(deck.id, deck.name, old.created or now, releases=dict(old.releases),
                 changes=dict(old.changes), renames=dict(old.renames),
                 released=dict(old.released),
                 revisions={k: r for k, r in old.revisions.items() if r.version != version})
    if version and version not in new.releases:
        new.releases[version] = now
    result = Plan(new, previous_package=old.package)

    for note_type in note_types:
        before = old.note_types.get(note_type.id)
        names = tuple(t[0] for t in note_type.templates)
        if before and (before.fields, before.templates) != (note_type.fields, names):
            problems.add(file, 0, 0, None,
                         f"note type '{note_type.name}' (id {note_type.id}) was released with "
                         f"fields {', '.join(before.fields)} and templates "
                         f"{', '.join(before.templates)}; now fields {', '.join(note_type.fields)} "
                         f"and templates {', '.join(names)}. Anki would refuse to update every "
                         "note of this type and make a stray copy of it. Keep the old names, or "
                         "give the note type a new id and a new name")
        digest = note_type.digest()
        mod = before.mod if before and before.digest == digest else _next_mod(
            before.mod if before else None, now)
        new.note_types[note_type.id] = NoteTypeEntry(note_type.id, digest, mod, note_type.name,
                                                     note_type.fields, names)
        if before is None and old.note_types:
            result.new_note_types.append(note_type)
    current_ids = {nt.id for nt in note_types}
    result.replaced_note_types = [e.name for i, e in sorted(old.note_types.items())
                                  if i not in current_ids]

    rec = Recording(old, new, version, file, problems, result)
    previous = record_renames(rec, notes)
    history = History(new.renamed_from(), old.corrections_by_card(), not old.cards,
                      new.revisions_by_card(), old.retirements())
    for note in notes:
        card_id = note.card_id
        last = old.cards.get(previous.get(card_id, card_id))
        kind = "cloze" if note.note_type.is_cloze else "basic"
        if last and last.kind and last.kind != kind:
            problems.add(file, last.line, 1, card_id,
                         f"was a {last.kind} card in the last build and is now a {kind} card; "
                         "Anki cannot change a note's kind on import and would keep the old "
                         "one. Keep this card as it was with 'retired: true', and write the new "
                         "version as a new card with a new id")
        if note.retired:
            note = retired_note(note, retired_in(history, note, last, version))
        note = release_note(rec, history, note, last)
        digest = note.digest()
        if last is None:
            result.added.append(card_id)
            # New to this ledger, but maybe not to learners, should the ledger have been lost:
            # stamped with a time no release can be older than, it never beats (so never
            # overwrites) a note a learner already has; it only adds where there is none.
            mod = EARLIEST
        elif last.digest == digest:
            result.unchanged.append(card_id)
            mod = last.mod
        else:
            newly_retired = note.retired and not last.retired
            (result.retired if newly_retired else result.updated).append(card_id)
            mod = _next_mod(last.mod, now)
        new.cards[card_id] = CardEntry(digest, mod, note.retired, kind)
        result.notes.append(note)

    gone = sorted(set(old.cards) - set(new.cards) - set(previous.values()))
    for card_id in gone:
        problems.add(file, old.cards[card_id].line, 1, card_id,
                     "was in the last build but is no longer in the cards. Removing it from the "
                     "package would not remove it from learners' collections; keep the card and "
                     "add 'retired: true' so learners can find and suspend it, or give the card "
                     "that replaces it 'was: " + card_id + "' if it is the same fact renamed")
    new.media = dict(shipment.media)
    if version in old.released:
        _refuse_changing_a_release(rec, deck)
    elif release and version:
        _release_stamps(result, version, now)
    problems.raise_if_any()
    # A build that changes nothing keeps where the ledger came from, so it writes the same
    # ledger and package again; the package carries it (safety.built_from).
    new.built_from = old.built_from if same_records(old, new) else old.digest
    return result


def _another_decks(old: Ledger, shipment: Shipment) -> str:
    """Why the ledger is plainly another deck's, or '': it has another name and another id,
    or none of the cards. (A deck renamed by mistake keeps its cards, and is told to put its
    name back.)"""
    if not old.deck_name or not old.cards:
        return ""
    deck = shipment.deck
    ids = {note.card_id for note in shipment.notes} | {note.was for note in shipment.notes
                                                        if note.was}
    if not any(card_id in old.cards or card_id in old.renames for card_id in ids):
        return f"which holds none of the cards of '{deck.name}' here"
    if old.deck_name != deck.name and old.deck_id != deck.id:
        return f"not '{deck.name}' (id {deck.id})"
    return ""


def _release_stamps(plan: Plan, version: str, now: int) -> None:
    """Stamp every note this release changed with the release build's time, never lower than
    it was, and record the version as released.

    Anki 2.1.55 to 24.11 stamp a note an import updates with the import time, which can be
    later than a change made after the learner's import and before the release. With every
    change of a release stamped at release time, a learner who imports each release (before
    the next is built) still gets every change. The release's changes are its change records:
    the ledger is never rewound to find them. New notes keep their early stamp (no learner
    has them to update)."""
    new = plan.ledger
    for card_id, entry in new.cards.items():
        change = new.changes.get((version, card_id))
        if change is not None and change.kind != NEW:
            entry.mod = max(now, entry.mod)
            plan.stamped_for_release.append(card_id)
    new.released[version] = now
    plan.released = True


def _refuse_changing_a_release(rec: Recording, deck: DeckFacts) -> None:
    """A released version's package is what its learners have: a change needs a new version."""
    plan, old = rec.plan, rec.old
    changed = [f"'{card_id}'" for card_id in plan.added + plan.updated + plan.retired]
    changed += [f"'{old_id}' (renamed)" for old_id, _ in plan.renamed]
    changed += [f"note type '{e.name}'" for i, e in rec.new.note_types.items()
                if i in old.note_types and old.note_types[i].digest != e.digest]
    if not changed:
        return
    major, minor, patch = (int(n) for n in rec.version.split("."))
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    rec.problems.add(deck.file, *deck.mark("version"), None,
                     f"version {rec.version} is released; raise `version:` in {deck.file} "
                     f"(such as {major}.{minor}.{patch + 1}) to change {', '.join(changed[:3])}"
                     f"{more}: learners have {rec.version} as it was released ({rec.file} "
                     "records its release build)")
