"""A release applied to a learner's open collection, note by note, by the rules in rules.py.

The core: a plain function over an open `anki.collection.Collection` and a package's contents.
It knows nothing of profiles, backups, files or exit codes (runner.py does), so the same core
can run inside Anki as an add-on. It makes its changes through the engine; the caller decides
whether they are committed (one transaction) or rolled back (a dry run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deckbuilder.install.contents import Package, PackageNote
from deckbuilder.install.rules import (
    CONFLICT_,
    KEEP,
    SAME,
    TAKE,
    conflict_tag,
    field_outcome,
    merged_tags,
    possible_bases,
    protected_fields,
    same_tags,
)
from deckbuilder.ledger import correction_tag
from deckbuilder.notes import RETIRED_TAG, field_hash

# The collection's config key for what install delivered: it syncs and is no schema change.
CONFIG_KEY = "build-deck"
SUSPENDED = -1


@dataclass(frozen=True)
class Conflict:
    """A learner's text replaced by ours: it is kept in the conflicts report."""

    card: str
    field: str
    theirs: str
    ours: str
    correction: bool


@dataclass
class Summary:
    """What an install did (or, in a dry run, would do), by card id."""

    version: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # suspended now (or deleted)
    deleted: list[str] = field(default_factory=list)  # retired and never reviewed: removed
    kept_edits: list[str] = field(default_factory=list)  # "card: field", theirs kept
    conflicts: list[Conflict] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)  # "card: field" protected from a change
    held_back_corrections: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)  # "card: card n deleted|suspended"
    suspended_new: list[str] = field(default_factory=list)  # new cards of suspended notes
    # retired by an earlier release that reached the learner by a plain import, never studied
    put_away: list[str] = field(default_factory=list)
    other_type: list[str] = field(default_factory=list)  # notes found on another note type
    not_restored: list[str] = field(default_factory=list)  # notes the learner deleted
    note_types: list[str] = field(default_factory=list)  # added or updated in place
    decks: list[str] = field(default_factory=list)  # descriptions updated
    recorded: bool = False  # what was delivered is newly recorded in the collection

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.deleted or self.emptied
                    or self.put_away or self.note_types or self.decks or self.recorded)


@dataclass
class _State:
    """What earlier installs delivered: each note's field hashes, and retirements applied."""

    notes: dict[str, dict[str, str]]
    retired: set[str]

    @classmethod
    def read(cls, col) -> _State:
        data = col.get_config(CONFIG_KEY, None) or {}
        return cls({g: dict(f) for g, f in data.get("notes", {}).items()},
                   set(data.get("retired", [])))

    def data(self, version: str) -> dict[str, Any]:
        return {"version": version, "notes": self.notes, "retired": sorted(self.retired)}


@dataclass(frozen=True)
class Options:
    delete_retired: bool = False


DEFAULT = Options()


def apply_release(col, package: Package, options: Options = DEFAULT) -> Summary:
    """Apply the package to the open collection. Changes go through the engine, uncommitted
    only if the caller holds a transaction."""
    summary = Summary(package.version)
    state = _State.read(col)
    before = state.data(package.version)
    _note_types(col, package, summary)
    _decks(col, package, summary)
    found = _find(col, [note.guid for note in package.notes])
    for note in package.notes:
        name = package.card_id(note.guid)
        if note.guid not in found:
            if note.guid in state.notes or note.guid in state.retired:
                summary.not_restored.append(name)  # delivered before: the learner deleted it
            else:
                _add(col, package, note, state, summary)
            continue
        nid, mid = found[note.guid]
        if mid != note.note_type:
            summary.other_type.append(name)
            continue
        _update(col, package, note, nid, state, options, summary)
    after = state.data(package.version)
    if after != before or installed_version(col) != package.version:
        col.set_config(CONFIG_KEY, after)
        summary.recorded = True
    return summary


def installed_version(col) -> str | None:
    """The version the last install into this collection delivered."""
    return (col.get_config(CONFIG_KEY, None) or {}).get("version")


def _find(col, guids: list[str]) -> dict[str, tuple[int, int]]:
    """guid -> (note id, note type id) of the notes the collection has of these."""
    found = {}
    for start in range(0, len(guids), 500):  # SQLite's limit on parameters is well above
        chunk = guids[start:start + 500]
        found.update({guid: (nid, mid) for guid, nid, mid in col.db.all(
            f"select guid, id, mid from notes where guid in ({','.join('?' * len(chunk))})",
            *chunk)})
    return found


def _note_types(col, package: Package, summary: Summary) -> None:
    """Ours, added with their own ids, or their templates and CSS updated in place."""
    for note_type in package.note_types.values():
        mine = col.models.get(note_type.id)
        if mine is None:
            col.models.update(dict(note_type.raw), preserve_usn=True)
            summary.note_types.append(f"{note_type.name} (added)")
            continue
        theirs = {t["name"]: t for t in note_type.raw["tmpls"]}
        changed = mine["css"] != note_type.raw["css"]
        mine["css"] = note_type.raw["css"]
        for template in mine["tmpls"]:
            ours = theirs.get(template["name"])
            if ours and (template["qfmt"], template["afmt"]) != (ours["qfmt"], ours["afmt"]):
                template["qfmt"], template["afmt"] = ours["qfmt"], ours["afmt"]
                changed = True
        if changed:
            col.models.update_dict(mine)
            summary.note_types.append(f"{note_type.name} (templates and style)")


def _decks(col, package: Package, summary: Summary) -> None:
    # As Anki's importer does: a package's deck description (our version and what is new)
    # replaces the deck's.
    for name, description in package.decks.items():
        deck_id = col.decks.id_for_name(name)
        if deck_id is None:
            continue  # made when its first note is added
        deck = col.decks.get(deck_id)
        if description and deck.get("desc", "") != description:
            deck["desc"] = description
            col.decks.save(deck)
            summary.decks.append(name)


def _deck_id(col, package: Package, name: str) -> int:
    deck_id = col.decks.id_for_name(name)
    if deck_id is None:
        deck_id = col.decks.id(name)
        deck = col.decks.get(deck_id)
        deck["desc"] = package.decks.get(name, "")
        col.decks.save(deck)
    return deck_id


def _stamp(col, nid: int, mod: int) -> None:
    # The package's time, not now: a later plain import then behaves as the package route does.
    col.db.execute("update notes set mod = ? where id = ?", mod, nid)


def _add(col, package: Package, pnote: PackageNote, state: _State, summary: Summary) -> None:
    note_type = package.note_types[pnote.note_type]
    note = col.new_note(col.models.get(pnote.note_type))
    note.guid = pnote.guid
    for name, value in zip(note_type.fields, pnote.fields, strict=True):
        note[name] = value
    note.tags = list(pnote.tags)
    col.add_note(note, _deck_id(col, package, pnote.deck))
    _stamp(col, note.id, pnote.mod)
    state.notes[pnote.guid] = dict(zip(note_type.fields, map(field_hash, pnote.fields),
                                       strict=True))
    summary.added.append(package.card_id(pnote.guid))
    if RETIRED_TAG in pnote.tags:  # reaches this learner retired: put away from the start
        col.sched.suspend_cards(note.card_ids())
        state.retired.add(pnote.guid)


def _update(col, package: Package, pnote: PackageNote, nid: int, state: _State,
            options: Options, summary: Summary) -> None:
    name = package.card_id(pnote.guid)
    note = col.get_note(nid)
    note_type = package.note_types[pnote.note_type]
    ours = dict(zip(note_type.fields, pnote.fields, strict=True))
    theirs = {f: note[f] for f in note_type.fields if f in note}
    protected = protected_fields(note.tags)
    correction = correction_tag(package.version) in pnote.tags
    shipments = package.shipped.of(pnote.guid)
    bases = possible_bases(theirs, shipments, state.notes.get(pnote.guid))
    conflicts = []
    for field_name, text in theirs.items():
        shipped = package.shipped.values(pnote.guid, field_name)
        outcome = field_outcome(text, ours[field_name], shipped,
                                [b.get(field_name, "") for b in bases])
        if outcome == SAME:
            continue
        if "all" in protected or field_name.lower() in protected:
            if outcome in (TAKE, CONFLICT_):
                summary.held_back.append(f"{name}: {field_name}")
                if correction:
                    summary.held_back_corrections.append(f"{name}: {field_name}")
            continue
        if outcome == KEEP:
            summary.kept_edits.append(f"{name}: {field_name}")
            continue
        if outcome == CONFLICT_:
            conflicts.append(Conflict(name, field_name, text, ours[field_name], correction))
        note[field_name] = ours[field_name]
    ever = package.shipped.tags_ever(pnote.guid) | set(pnote.tags)
    tags = merged_tags(note.tags, pnote.tags, ever)
    if conflicts:
        tags = merged_tags(tags, [conflict_tag(package.version)], ())
    fields_changed = any(note[f] != t for f, t in theirs.items())
    was_retired = any(t.lower() == RETIRED_TAG for t in note.tags)
    state.notes[pnote.guid] = {f: field_hash(ours[f]) for f in note_type.fields}
    summary.conflicts += conflicts
    cards_before = col.db.all("select id, ord, did, odid, queue from cards where nid = ?", nid)
    if fields_changed or not same_tags(tags, note.tags):
        note.tags = tags
        col.update_note(note, skip_undo_entry=True)
        _stamp(col, nid, pnote.mod)
        newly_retired = RETIRED_TAG in pnote.tags and not was_retired
        (summary.retired if newly_retired else summary.updated).append(name)
        _new_cards(col, nid, cards_before, name, summary)
    else:
        summary.unchanged.append(name)
    _empty_cards(col, nid, pnote, note, ours, name, summary)
    if RETIRED_TAG in pnote.tags and pnote.guid not in state.retired:
        state.retired.add(pnote.guid)
        # Once, when the retirement first reaches this learner. One that reached them by a
        # plain import (the tag was there): cards they studied are theirs to act on; cards
        # they never studied are put away, as a first install puts them away.
        if not was_retired:
            _retire(col, nid, name, options, summary)
        else:
            _put_away_unstudied(col, nid, name, summary)


def _new_cards(col, nid: int, before: list, name: str, summary: Summary) -> None:
    """Cards the release added to an existing note: into the deck of its first card, and
    suspended if the learner had suspended all of its cards."""
    if not before:
        return
    known = {row[0] for row in before}
    new = [cid for cid in col.db.list("select id from cards where nid = ?", nid)
           if cid not in known]
    if not new:
        return
    first = min(before, key=lambda row: row[1])
    col.set_deck(new, first[3] or first[2])
    if all(row[4] == SUSPENDED for row in before):
        col.sched.suspend_cards(new)
        summary.suspended_new.append(name)


def _empty_cards(col, nid: int, pnote: PackageNote, note, ours: dict[str, str], name: str,
                 summary: Summary) -> None:
    """Cards the package no longer has (a reverse or cloze number removed): deleted if never
    reviewed, suspended if reviewed. Only judged when the note holds all of our text, when the
    package's cards are exactly the ones Anki would make."""
    if any(note[f] != text for f, text in ours.items() if f in note):
        return
    rows = col.db.all("select id, ord, queue from cards where nid = ?", nid)
    for cid, ord_, queue in rows:
        if ord_ in pnote.ords or queue == SUSPENDED:
            continue
        if col.db.scalar("select count() from revlog where cid = ?", cid):
            col.sched.suspend_cards([cid])
            summary.emptied.append(f"{name}: card {ord_ + 1} suspended (reviewed)")
        else:
            col.remove_cards_and_orphaned_notes([cid])
            summary.emptied.append(f"{name}: card {ord_ + 1} deleted (never reviewed)")


def _put_away_unstudied(col, nid: int, name: str, summary: Summary) -> None:
    """Suspend a retired note's cards that are new, unsuspended and were never reviewed."""
    cids = col.db.list("select id from cards where nid = ? and type = 0 and queue = 0 and id "
                       "not in (select cid from revlog)", nid)
    if cids:
        col.sched.suspend_cards(cids)
        summary.put_away.append(name)


def _retire(col, nid: int, name: str, options: Options, summary: Summary) -> None:
    cids = col.db.list("select id from cards where nid = ?", nid)
    reviewed = cids and col.db.scalar(
        f"select count() from revlog where cid in ({','.join(map(str, cids))})")
    if options.delete_retired and not reviewed:
        col.remove_notes([nid])
        summary.deleted.append(name)
        if name in summary.retired:
            summary.retired.remove(name)
        return
    col.sched.suspend_cards(cids)
    if name not in summary.retired:
        summary.retired.append(name)
