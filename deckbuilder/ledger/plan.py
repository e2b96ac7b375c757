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
)
from deckbuilder.ledger.lockfile import EARLIEST, check_time, latest_time
from deckbuilder.ledger.records import CardEntry, Ledger, NoteTypeEntry, Plan, Shipment


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


def make_plan(shipment: Shipment, old: Ledger, ledger_path: Path, now: int) -> Plan:
    """Compare this build with the last one; raise DeckError for changes Anki cannot take."""
    deck, notes, note_types = shipment.deck, shipment.notes, shipment.note_types
    problems = Problems()
    file = display_path(ledger_path)
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
    new = Ledger(deck.id, deck.name, old.created or now, releases=dict(old.releases),
                 changes=dict(old.changes), renames=dict(old.renames),
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
                      new.revisions_by_card())
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
    problems.raise_if_any()
    return result

