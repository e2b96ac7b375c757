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
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from deckbuilder.build import make_notes
from deckbuilder.errors import Problems, display_path
from deckbuilder.files import InputFileError, check_regular
from deckbuilder.ledger import (
    CORRECTED,
    VERSION_RE,
    CardEntry,
    Change,
    Ledger,
    NoteTypeEntry,
    Rename,
    Revision,
    check_time,
    correction_tag,
    latest_time,
    version_key,
)
from deckbuilder.notes import NOTE_TYPES, RETIRED_TAG, Note, NoteType, guid_for

MAX_PACKAGE = 4 << 30


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
                        note_types: tuple[NoteType, ...] = NOTE_TYPES) -> Recovered:
    """The ledger the released package implies for today's cards. Raises DeckError."""
    problems = Problems()
    file = display_path(Path(package))
    made = make_notes(cards_dir, media_dir, note_types)
    deck = made.deck
    try:
        check_regular(Path(package), MAX_PACKAGE)
        with zipfile.ZipFile(package) as zf, tempfile.TemporaryDirectory() as folder:
            names = zf.namelist()
            if "collection.anki2" not in names:
                problems.add(file, message="has no collection.anki2: not a package build-deck "
                             "wrote")
                problems.raise_if_any()
            collection = Path(folder) / "collection.anki2"
            with zf.open("collection.anki2") as src, open(collection, "wb") as dst:
                while chunk := src.read(1 << 20):
                    if dst.tell() + len(chunk) > MAX_PACKAGE:  # a zip bomb stops here
                        problems.add(file, message="its collection unpacks to more than 4 GB")
                        problems.raise_if_any()
                    dst.write(chunk)
            media_names = set(json.loads(zf.read("media")).values()) if "media" in names else set()
            conn = sqlite3.connect(collection)
            try:
                rows = conn.execute("SELECT id, guid, mid, mod, flds, tags FROM notes").fetchall()
                (models_json, decks_json) = conn.execute("SELECT models, decks FROM col").fetchone()
            finally:
                conn.close()
    except InputFileError as e:
        problems.add(file, message=str(e))
        problems.raise_if_any()
        raise AssertionError from None
    except (zipfile.BadZipFile, sqlite3.Error, json.JSONDecodeError, KeyError, TypeError) as e:
        problems.add(file, message=f"not a package build-deck can read ({e})")
        problems.raise_if_any()
        raise AssertionError from None

    deck_rows = {int(d["id"]): d for d in json.loads(decks_json).values()}
    decks = {deck_id: d["name"] for deck_id, d in deck_rows.items()}
    if deck.id not in decks:
        problems.add(file, message=f"holds no deck with id {deck.id} ('{deck.name}'): it is "
                     "another deck's package")
        problems.raise_if_any()
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
        corrected = _corrections(ledger, note, tags.split(), mod)
        if any(r.reason is None and correction_tag(r.version) not in tags.split()
               for r in note.revisions):
            withdrawn.append(note)
        changed += digest != (replace(note, tags=note.tags + corrected) if corrected
                              else note).digest()
        kind = "cloze" if note.note_type.is_cloze else "basic"
        ledger.cards[note.card_id] = CardEntry(digest, mod, RETIRED_TAG in tags.split(), kind)
    if unknown:
        problems.add(file, message=f"{unknown} note(s) in the package match no card in "
                     f"{display_path(Path(cards_dir))}: a card was removed or its id changed "
                     "since that release; put it back (with 'retired: true') and try again")
    if not ledger.cards and not problems.found:
        problems.add(file, message="no note in the package matches a card here")
    released = _released_version(deck_rows.get(deck.id, {}).get("desc", ""))
    if released:
        ledger.releases.setdefault(released, ledger.created)
        for note in withdrawn:
            _withdrawals(ledger, note, released)
    models = json.loads(models_json)
    for note_type in note_types:
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


def _released_version(description: str) -> str | None:
    """The version the ledger's description_html wrote into the deck's description, if any."""
    found = re.search(r"<b>Version ([0-9.]+)</b>", description)
    return found.group(1) if found and VERSION_RE.match(found.group(1)) else None
