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
from typing import NoReturn

from deckbuilder.build import make_notes
from deckbuilder.errors import Problems, display_path
from deckbuilder.files import InputFileError, check_regular
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
    guid_for,
    retired_note,
    retiring_release,
)
from deckbuilder.paths import SHIPPED_MEMBER

MAX_PACKAGE = 4 << 30
# Entries only Anki's own export writes (2.1.50+: collection.anki21 or, zstd-compressed,
# collection.anki21b, beside a stub collection.anki2 and a meta file); build-deck never does.
_ANKI_EXPORT = ("collection.anki21b", "collection.anki21", "meta")


def _refuse_export(file: str, found: str) -> None:
    problems = Problems()
    problems.add(file, message=f"is a package Anki exported from a collection (it holds "
                 f"{found}), not one build-deck built: it carries a learner's edits, reviews "
                 "and Anki's import times, not what a release shipped, so no ledger can be "
                 "made from it. Use the .apkg build-deck wrote for your last release (its "
                 "download, or a build at its tagged commit), or restore cards.lock from git "
                 "(git checkout -- cards.lock)")
    problems.raise_if_any()


def _malformed(file: str, what: str) -> NoReturn:
    problems = Problems()
    problems.add(file, message=f"its {what} is malformed: not a package build-deck wrote (or "
                 "a damaged one); use the .apkg build-deck wrote for your last release")
    problems.raise_if_any()
    raise AssertionError("unreachable")


def _tables(file: str, decks_json: object, models_json: object) -> tuple[dict, dict]:
    """The collection's decks (by id) and note types (by id as text), checked for the shape
    build-deck writes. Raises DeckError naming the package."""
    try:
        decks = json.loads(decks_json)  # type: ignore[arg-type]
        deck_rows = {int(d["id"]): d for d in decks.values()}
        if not all(isinstance(d.get("name"), str) and isinstance(d.get("desc", ""), str)
                   for d in deck_rows.values()):
            raise ValueError
    except (TypeError, ValueError, KeyError, AttributeError):
        _malformed(file, "deck table (the decks JSON)")
    try:
        models = json.loads(models_json)  # type: ignore[arg-type]
        for model in models.values():
            ok = (isinstance(model["mod"], int) and isinstance(model["name"], str)
                  and all(isinstance(f["name"], str) for f in model["flds"])
                  and all(isinstance(t[k], str) for t in model["tmpls"]
                          for k in ("name", "qfmt", "afmt")))
            if not ok:
                raise ValueError
    except (TypeError, ValueError, KeyError, AttributeError):
        _malformed(file, "note-type table (the models JSON)")
    return deck_rows, models


def _note_rows(file: str, rows: list) -> list:
    """The notes table's rows, checked for the types build-deck writes."""
    types = (int, str, int, int, str, str)  # id, guid, note type, mod, fields, tags
    if not all(len(row) == len(types) and all(map(isinstance, row, types)) for row in rows):
        _malformed(file, "notes table")
    return rows


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
                        note_types: tuple[NoteType, ...] | None = None) -> Recovered:
    """The ledger the released package implies for today's cards. Raises DeckError."""
    problems = Problems()
    file = display_path(Path(package))
    made = make_notes(cards_dir, media_dir, note_types)
    deck = made.deck
    try:
        check_regular(Path(package), MAX_PACKAGE)
        with zipfile.ZipFile(package) as zf, tempfile.TemporaryDirectory() as folder:
            names = zf.namelist()
            exported = [n for n in _ANKI_EXPORT if n in names]
            if exported:
                _refuse_export(file, f"{exported[0]}, which only Anki writes")
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
            record = (zf.read(SHIPPED_MEMBER).decode("utf-8", "replace")
                      if SHIPPED_MEMBER in names else None)
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
            if reviews or studied:
                _refuse_export(file, f"{reviews} reviews and {studied} studied cards")
    except InputFileError as e:
        problems.add(file, message=str(e))
        problems.raise_if_any()
        raise AssertionError from None
    except (zipfile.BadZipFile, sqlite3.Error, json.JSONDecodeError, KeyError, TypeError) as e:
        problems.add(file, message=f"not a package build-deck can read ({e})")
        problems.raise_if_any()
        raise AssertionError from None

    deck_rows, models = _tables(file, decks_json, models_json)
    rows = _note_rows(file, rows)
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
    released = _released_version(deck_rows.get(deck.id, {}).get("desc", ""))
    if released:
        ledger.releases.setdefault(released, ledger.created)
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
    return any(s.release and s.version == version for s in read_shipped(record, file).shipments)


def _released_version(description: str) -> str | None:
    """The version the ledger's description_html wrote into the deck's description, if any."""
    found = re.search(r"<b>Version ([0-9.]+)</b>", description)
    return found.group(1) if found and VERSION_RE.match(found.group(1)) else None
