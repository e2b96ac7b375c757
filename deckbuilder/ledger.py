"""The ledger (cards.lock): what the last build wrote, so the next one knows what changed.

Anki updates a note on re-import only when the package's note is newer than its own copy. So a
note keeps its old modification time until its content changes, and then gets a strictly later
one; that leaves untouched notes (and the learner's own edits to them) alone.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import DeckError, Problems, did_you_mean, display_path
from .ledgerfile import (
    EARLIEST,
    CardEntry,
    Change,
    Ledger,
    NoteTypeEntry,
    Rename,
    check_time,
    former_ids,
    latest_time,
    lines,
    read,
)
from .media import MediaFile
from .model import Deck
from .notes import Note
from .notetypes import NoteType
from .paths import DECK_FILE
from .release import CORRECTED, NEW, RETIRED, REWORDED, correction_tag, version_key


@dataclass
class Plan:
    """What a re-import of the new package will do, and the ledger that goes with it.

    `notes` are the notes to write: those given, with the tags and identity the ledger adds
    (a correction tag, a former id's guid).
    """

    ledger: Ledger
    notes: list[Note] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)  # newly corrected in this build
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old, new) in this build
    new_note_types: list[NoteType] = field(default_factory=list)
    replaced_note_types: list[str] = field(default_factory=list)
    previous_package: str = ""  # the sha256 of the package the old ledger was written with

    def note_mod(self, note: Note) -> int:
        return self.ledger.cards[note.card_id].mod

    def note_type_mod(self, note_type: NoteType) -> int:
        return self.ledger.note_types[note_type.id].mod


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


def plan(deck: Deck, notes: list[Note], note_types: tuple[NoteType, ...],
         media: dict[str, MediaFile], old: Ledger, ledger_path: Path, now: int) -> Plan:
    """Compare this build with the last one; raise DeckError for changes Anki cannot take."""
    problems = Problems()
    file = display_path(ledger_path)
    deck_file = display_path(deck.cards_dir / DECK_FILE)
    if old.deck_id and old.deck_id != deck.id:
        problems.add(deck_file, *deck.marks.get("id", (0, 0)), None,
                     f"the deck id was {old.deck_id} in the last build (ledger {file}, deck "
                     f"'{old.deck_name}'); it is permanent, because every note's identity is "
                     "made from it and Anki would add the whole deck again beside the old one. "
                     "Put the old id back; or, if that ledger is another deck's, use this "
                     "deck's own (--ledger)")
    elif old.deck_name and old.deck_name != deck.name:
        problems.add(deck_file, *deck.marks.get("name", (0, 0)), None,
                     f"the deck name was '{old.deck_name}' in the last build; it is fixed once "
                     "released, because Anki matches decks by name and would split the deck "
                     "in two. Put the old name back")
    version = deck.version or ""
    _check_version(version, old, deck, deck_file, problems)
    new = Ledger(deck.id, deck.name, old.created or now, releases=dict(old.releases),
                 changes=dict(old.changes), renames=dict(old.renames))
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

    previous = _renames(deck, notes, old, new, version, file, problems, result)
    history = _History(new.renamed_from(), old.corrections_by_card(), not old.cards)
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
        note = _release_note(deck, note, last, history, new, version, file, problems, result)
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
    new.media = {name: m.package_name for name, m in media.items()}
    problems.raise_if_any()
    return result


def _check_version(version: str, old: Ledger, deck: Deck, deck_file: str,
                   problems: Problems) -> None:
    latest = max(old.releases, key=version_key, default="")
    if latest and not version:
        problems.add(deck_file, 1, 0, None, f"no 'version', but the last build was version "
                     f"{latest}; keep 'version' (it can only go up), so that changes are "
                     "recorded under a release")
    elif latest and version_key(version) < version_key(latest):
        problems.add(deck_file, *deck.marks.get("version", (0, 0)), None,
                     f"version {version} is lower than {latest}, which the ledger has already "
                     "recorded; a version can only go up")


def _where(deck: Deck, card_id: str, file: str, entry: CardEntry | None
           ) -> tuple[str, int, int, str]:
    mark = deck.card_marks.get(card_id)
    if mark:
        return (*mark, card_id)
    return file, entry.line if entry else 0, 1 if entry else 0, card_id


def _locate(deck: Deck, card_id: str, file: str) -> tuple[str, int, int, str]:
    """Where a card is written, read again: the cards are let go before the ledger is read, and
    this is only for a message."""
    from .cards import load_deck  # the error path only

    try:
        cards = load_deck(deck.cards_dir, deck.media_dir).cards
    except (DeckError, OSError):
        cards = []
    card = next((c for c in cards if c.id == card_id), None)
    return (card.file, card.line, card.col, card_id) if card else (file, 0, 0, card_id)


def _renames(deck: Deck, notes: list[Note], old: Ledger, new: Ledger, version: str, file: str,
             problems: Problems, result: Plan) -> dict[str, str]:
    """Record each card's `was:` that the ledger does not know yet, and refuse former ids used
    again. Returns card id -> its id in the last build, for the cards renamed by this build."""
    current = {note.card_id for note in notes}
    previous: dict[str, str] = {}
    for note in notes:
        gone = old.renames.get(note.card_id)
        if gone:
            released = f" in release {gone.version}" if gone.version else ""
            problems.add(*_locate(deck, note.card_id, file),
                         f"'{note.card_id}' was renamed to '{gone.new}'{released}; learners' "
                         f"notes for it are now '{gone.new}'s, so a former id cannot come back as "
                         "a new card. Choose another id")
        was = note.was
        if was is None or was in old.former_ids(note.card_id):
            continue  # no rename, or one recorded by an earlier build
        where = _where(deck, note.card_id, file, None)
        if was in old.renames:
            problems.add(*where, f"'was: {was}': '{was}' was already renamed to "
                         f"'{old.renames[was].new}'; name the card's id in the last build")
        elif was in current:
            problems.add(*where, f"'was: {was}' names a card that is still in the cards; a "
                         f"rename moves '{was}' to '{note.card_id}', so remove the card "
                         f"'{was}' (or, if both are wanted, drop 'was')")
        elif was not in old.cards:
            known = did_you_mean(was, list(old.cards))
            problems.add(*where, f"'was: {was}': the ledger ({file}) has no card '{was}' to "
                         f"rename{known}")
        elif note.card_id in old.cards:
            problems.add(*where, f"'was: {was}': '{note.card_id}' is already a card in the "
                         f"last build; 'was' goes on the new id of a renamed card")
        elif was in previous.values():
            problems.add(*where, f"'was: {was}': another card is already renamed from '{was}'")
        else:
            previous[note.card_id] = was
            new.renames[was] = Rename(was, note.card_id, version)
            result.renamed.append((was, note.card_id))
            for (release, card_id), change in list(new.changes.items()):
                if release == version and card_id == was:  # changed earlier in this release
                    del new.changes[release, card_id]
                    new.changes[release, note.card_id] = replace(change, card_id=note.card_id)
    return previous


@dataclass
class _History:
    """What the ledger knew before this build about renames and corrections, indexed once."""

    renamed_from: dict[str, str]  # new id -> old id, this build's renames included
    corrections: dict[str, list[Change]]  # by the card's id at the time
    first_build: bool  # no ledger: nothing was released before, so nothing can be corrected

    def ids(self, card_id: str) -> list[str]:
        """The card's id and its former ids, latest first."""
        if not self.renamed_from:
            return [card_id]
        return [card_id, *former_ids(card_id, self.renamed_from)]


def _release_note(deck: Deck, note: Note, last: CardEntry | None, history: _History,
                  new: Ledger, version: str, file: str, problems: Problems, result: Plan) -> Note:
    """The note with its correction tags and identity; records what this release did to it.

    A note keeps the tags of its earlier corrections, so an unchanged note stays unchanged.
    """
    if not (version or history.renamed_from or history.corrections or note.correction):
        return note  # a deck without releases: nothing to add
    card_id = note.card_id
    ids = history.ids(card_id)
    earlier = sorted((c for i in ids for c in history.corrections.get(i, ())
                      if c.version != version), key=lambda c: version_key(c.version))
    tags = tuple(correction_tag(c.version) for c in earlier)
    origin = ids[-1] if len(ids) > 1 else None
    before = replace(note, tags=note.tags + tags) if tags else note
    record = new.changes.get((version, card_id)) if version else None
    reason = note.correction
    where = _where(deck, card_id, file, last)
    if reason and not version:
        problems.add(*where, "'correction' is announced under a release: add 'version' to "
                     "deck.yaml (such as 1.1.0)")
        reason = None
    if reason and (history.first_build or reason in {c.reason for c in earlier}):
        # Told in an earlier release; or a deck built for the first time (a new copy of a
        # released deck), whose every note is new to its learners.
        reason = None
    if version:
        if last is None or (record and record.kind == NEW):
            if reason:
                problems.add(*where, "'correction' on a new card: it corrects nothing a learner "
                             "has studied. To correct a fact learners have, edit the card that "
                             "teaches it (with 'was: old-id' if its id must change); or remove "
                             "'correction'")
            record = Change(version, card_id, NEW)
        elif note.retired and (not last.retired or (record and record.kind == RETIRED)):
            if reason:
                problems.add(*where, "'correction' on a card being retired: learners are told "
                             "to suspend it; remove 'correction'")
            record = Change(version, card_id, RETIRED)
        elif last.digest != before.digest() or (record and record.kind in (CORRECTED, REWORDED)):
            record = Change(version, card_id, CORRECTED, reason) if reason else Change(
                version, card_id, REWORDED)
            if reason and new.changes.get((version, card_id)) != record:
                result.corrected.append(card_id)
        elif reason:
            problems.add(*where, f"has 'correction' but its content has not changed in release "
                         f"{version}; edit the card to correct it, or remove 'correction'")
        if record:
            new.changes[version, card_id] = record
    if record and record.kind == CORRECTED:
        tags += (correction_tag(version),)
    if not tags and origin is None:
        return note
    return replace(note, tags=note.tags + tags, origin=origin)


__all__ = ["CardEntry", "Change", "Ledger", "NoteTypeEntry", "Plan", "Rename", "build_time",
           "lines", "plan", "read"]
