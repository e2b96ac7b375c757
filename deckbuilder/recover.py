"""Rebuild a lost ledger from a released package: the ledger that release implies.

Each note in the package is matched to today's card by its guid (made from the deck id and the
card id); the ledger then records the note's time as released, and the digest of its content as
released, so the next build stamps a later time only on notes whose content has changed since.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from deckbuilder.apkg import USE_OURS, extract_collection, fail, note_rows, refuse_export, tables
from deckbuilder.build import make_notes
from deckbuilder.errors import Problems, display_path
from deckbuilder.ledger import (
    CORRECTED,
    RETIRED,
    VERSION_RE,
    CardEntry,
    Change,
    Ledger,
    NoteTypeEntry,
    Rename,
    Revision,
    Shipped,
    check_time,
    correction_tag,
    latest_time,
    read_shipped,
    version_key,
)
from deckbuilder.notes import (
    RETIRED_TAG,
    Note,
    NoteType,
    field_hash,
    guid_for,
    retired_note,
    retiring_release,
)
from deckbuilder.paths import SHIPPED_MEMBER

# A digest no note has: the next build takes the note for changed, and stamps it anew.
SUPERSEDED = "superseded"
# Why an export of a collection will not do for a ledger.
_NOT_A_RELEASE = ("it carries a learner's edits, reviews and Anki's import times, not what a "
                  "release shipped, so no ledger can be made from it. Use the .apkg build-deck "
                  "wrote for your last release (its download, or a build at its tagged commit), "
                  "or restore cards.lock from git (git checkout -- cards.lock)")


@dataclass(frozen=True)
class Recovered:
    ledger: Ledger
    matched: int  # notes of the package matched to today's cards
    changed: int  # of those, how many differ today (the next build updates them)
    new: int  # today's cards not in the package


def _digest(note_type_id: int, fields: str, tags: str) -> str:
    # As notes.Note.digest(), on the note as stored in the package.
    data = "\x1e".join((str(note_type_id), fields, " ".join(tags.split())))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def ledger_from_package(cards_dir: Path, media_dir: Path, package: Path,
                        note_types: tuple[NoteType, ...] | None = None,
                        shipped: Shipped | None = None) -> Recovered:
    """The ledger the released package implies for today's cards. Raises DeckError.

    shipped: the record of what we shipped, whose stamps no ledger may go below (a build
    refuses such a ledger as stale): a note a later build shipped with a higher stamp gets
    that stamp."""
    problems = Problems()
    file = display_path(Path(package))
    made = make_notes(cards_dir, media_dir, note_types)
    deck = made.deck
    with tempfile.TemporaryDirectory() as folder:
        collection, members = extract_collection(Path(package), Path(folder), _NOT_A_RELEASE,
                                                 ("media", SHIPPED_MEMBER))
        try:
            media_names = (set(json.loads(members["media"]).values()) if "media" in members
                           else set())
            record = (members[SHIPPED_MEMBER].decode("utf-8", "replace")
                      if SHIPPED_MEMBER in members else None)
            conn = sqlite3.connect(collection)
            try:
                rows = conn.execute("SELECT id, guid, mid, mod, flds, tags FROM notes").fetchall()
                (models_json, decks_json) = conn.execute("SELECT models, decks FROM col").fetchone()
                reviews = conn.execute("SELECT count() FROM revlog").fetchone()[0]
                # A build ships only new cards (a retired note's suspended, queue -1).
                studied = conn.execute("SELECT count() FROM cards WHERE type != 0 OR queue "
                                       "NOT IN (0, -1)").fetchone()[0]
            finally:
                conn.close()
        except (sqlite3.Error, ValueError, TypeError, AttributeError) as e:
            fail(Path(package), f"is damaged or not a package build-deck wrote ({e}); {USE_OURS}")
    if reviews or studied:
        refuse_export(Path(package), f"{reviews} reviews and {studied} studied cards",
                      _NOT_A_RELEASE)
    deck_rows, models = tables(Path(package), decks_json, models_json)
    rows = note_rows(Path(package), rows, (int, str, int, int, str, str))
    decks = {deck_id: d["name"] for deck_id, d in deck_rows.items()}
    if deck.id not in decks:
        problems.add(file, message=f"holds no deck with id {deck.id} ('{deck.name}'): it is "
                     "another deck's package")
        problems.raise_if_any()
    released = _released_version(deck_rows.get(deck.id, {}).get("desc", ""))
    _refuse_an_older_release(Path(package), released, shipped)
    latest = latest_time()
    ledger = Ledger(deck.id, deck.name, min((r[0] for r in rows), default=0) // 1000)
    by_guid = {note.guid: note for note in made.notes}
    # A card renamed with 'was' kept its former id's note: match it by that id too.
    renamed = {guid_for(deck.id, note.was): note for note in made.notes if note.was}
    unknown = 0
    changed = 0
    withdrawn: list[Note] = []  # the released note lacks a correction tag its card withdraws
    for _id, guid, mid, mod, fields, tags in rows:
        note = by_guid.get(guid)
        if note is None and guid in renamed:
            note = renamed[guid]
            assert note.was is not None
            ledger.renames[note.was] = Rename(note.was, note.card_id, "")
        if note is None:
            unknown += 1
            continue
        wrong = check_time(mod, f"note '{note.card_id}' has the time", latest)
        if wrong:
            problems.add(file, card=note.card_id, message=wrong)
            continue
        digest = _digest(mid, fields, tags)
        floor = shipped.stamp_floor(guid) if shipped else 0
        if floor > mod:
            if not _shipped_as(shipped, guid, floor, fields, tags):
                # A later build shipped other content at that stamp: the next build must
                # stamp this note anew, past it, or that content would outrank today's.
                digest = SUPERSEDED
            mod = floor
        retired = RETIRED_TAG in tags.split()
        if retired and note.retired:  # the release that retired it, as the notice names it
            version = retiring_release(fields) or ""
            if version:
                ledger.changes[version, note.card_id] = Change(version, note.card_id, RETIRED)
            note = retired_note(note, version)
        corrected = _corrections(ledger, note, tags.split(), mod)
        if any(r.reason is None and correction_tag(r.version) not in tags.split()
               for r in note.revisions):
            withdrawn.append(note)
        changed += digest != (replace(note, tags=note.tags + corrected) if corrected
                              else note).digest()
        kind = "cloze" if note.note_type.is_cloze else "basic"
        ledger.cards[note.card_id] = CardEntry(digest, mod, retired, kind)
    if unknown:
        problems.add(file, message=f"{unknown} note(s) in the package match no card in "
                     f"{display_path(Path(cards_dir))}: a card was removed or its id changed "
                     "since that release; put it back (with 'retired: true') and try again")
    if not ledger.cards and not problems.found:
        problems.add(file, message="no note in the package matches a card here")
    if released:
        ledger.releases.setdefault(released, ledger.created)
        # Releases up to this one that the record of what we shipped marks stay released.
        for version, stamp in _released_in(shipped).items():
            if version_key(version) <= version_key(released):
                ledger.releases.setdefault(version, ledger.created)
                ledger.released.setdefault(version, stamp)
        if _a_release(record, released, file):
            # The package you released: its version cannot take more changes (build --release).
            ledger.released.setdefault(released, max((e.mod for e in ledger.cards.values()),
                                                     default=ledger.created))
        for note in withdrawn:
            _withdrawals(ledger, note, released)
    models = json.loads(models_json)
    for note_type in made.note_types:
        model = models.get(str(note_type.id))
        if model is None:
            continue
        same = (model.get("css") == note_type.css and [(t["name"], t["qfmt"], t["afmt"])
                for t in model.get("tmpls", [])] == list(note_type.templates))
        ledger.note_types[note_type.id] = NoteTypeEntry(
            note_type.id, note_type.digest() if same else "released", int(model["mod"]),
            model["name"], tuple(f["name"] for f in model["flds"]),
            tuple(t["name"] for t in model["tmpls"]))
    ledger.media = {name: m.package_name for name, m in made.media.items()
                    if m.package_name in media_names}
    problems.raise_if_any()
    return Recovered(ledger, len(ledger.cards), changed, len(made.notes) - len(ledger.cards))


def _released_in(shipped: Shipped | None) -> dict[str, int]:
    """Each version the record marks as released, with the highest stamp its release shipped
    (a release build stamps what it changed with its own time)."""
    released = shipped.released_versions() if shipped else {}
    return {version: max(s.stamp for s in ships) for version, ships in released.items()}


def _refuse_an_older_release(package: Path, version: str | None, shipped: Shipped | None) -> None:
    """A ledger from a release older than the newest one we shipped would stamp notes that
    release's learners have anew: their edits would be overwritten on re-import."""
    newest = max(_released_in(shipped), key=version_key, default=None)
    if newest is None or (version is not None and version_key(version) >= version_key(newest)):
        return
    fail(package, f"is {'release ' + version if version else 'a package of no version'}, but "
         f"the record of what we shipped (cards.shipped) holds release {newest}, shipped after "
         f"it: a ledger from it would stamp notes {newest}'s learners have anew and overwrite "
         f"their own edits on re-import, so nothing was written. Use the package of release "
         f"{newest} (its download, or a build at its tagged commit), or restore cards.lock from "
         "git (git checkout -- cards.lock)")


def _shipped_as(shipped: Shipped | None, guid: str, stamp: int, fields: str,
                tags: str) -> bool:
    """Whether a build shipped this note with these fields and tags at this stamp."""
    hashes = tuple(map(field_hash, fields.split("\x1f")))
    return shipped is not None and any(
        s.stamp == stamp and tuple(h for _, h in s.fields) == hashes
        and sorted(s.tags) == sorted(tags.split()) for s in shipped.of(guid))


def _corrections(ledger: Ledger, note: Note, tags: list[str], mod: int) -> tuple[str, ...]:
    """Record the corrections a released note's tags name, so the next build keeps its tags;
    returns those tags, oldest release first."""
    prefix = correction_tag("")
    versions = [tag[len(prefix):] for tag in tags if tag.startswith(prefix)]
    versions = sorted((v for v in versions if VERSION_RE.match(v)), key=version_key)
    for version in versions:
        # The reason is the card's own if it still gives one; the package does not keep it.
        ledger.changes[version, note.card_id] = Change(version, note.card_id, CORRECTED,
                                                       note.correction or "")
        ledger.releases.setdefault(version, mod)
    return tuple(correction_tag(v) for v in versions)


def _withdrawals(ledger: Ledger, note: Note, released: str) -> None:
    """Record the withdrawals the released package shows (the card withdraws a correction and the
    note lacks its tag) as that release's, so the next build keeps them and tells them no more.
    An amendment leaves no trace in a package: the next build records it again."""
    for revision in note.revisions:
        if revision.reason is None and version_key(revision.version) < version_key(released):
            key = (revision.version, note.card_id)
            ledger.changes.setdefault(key, Change(*key, CORRECTED, note.correction or ""))
            ledger.releases.setdefault(revision.version, ledger.created)
            ledger.revisions[key] = Revision(released, note.card_id, revision.version)


def _a_release(record: str | None, version: str, file: str) -> bool:
    """Whether a release build of version wrote the package, as its record of what we shipped
    says. A package built before there were records is taken as the release it names; a plain
    build of a version in the works is not one (its version still takes changes)."""
    if record is None:
        return True
    return version in read_shipped(record, file).released_versions()


def _released_version(description: str) -> str | None:
    """The version the ledger's description_html wrote into the deck's description, if any."""
    found = re.search(r"<b>Version ([0-9.]+)</b>", description)
    return found.group(1) if found and VERSION_RE.match(found.group(1)) else None
