"""What a package of ours holds, read for install: notes, note types, decks, media, and the
record of everything we ever shipped (the zip member build-deck.shipped)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from deckbuilder.apkg import MAX_PACKAGE, USE_OURS, note_rows, tables
from deckbuilder.errors import DeckError, Problem, display_path
from deckbuilder.files import InputFileError, check_regular
from deckbuilder.ledger import Shipped, read_shipped
from deckbuilder.paths import SHIPPED_MEMBER

RECORD_MEMBER = SHIPPED_MEMBER


@dataclass(frozen=True)
class PackageNote:
    guid: str
    note_type: int
    mod: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    ords: frozenset[int]  # the cards the package has for it
    deck: str  # the deck its cards go to, by name (Anki matches decks by name)


@dataclass(frozen=True)
class PackageNoteType:
    id: int
    name: str
    fields: tuple[str, ...]
    raw: dict  # as stored in the package (Anki's legacy note-type JSON)


@dataclass
class Package:
    path: Path
    version: str
    notes: list[PackageNote]
    note_types: dict[int, PackageNoteType]
    decks: dict[str, str]  # deck name -> description
    media: dict[str, str]  # file name -> zip member
    shipped: Shipped = field(default_factory=Shipped)

    def media_files(self, names: list[str]) -> Iterator[tuple[str, bytes]]:
        """(name, bytes) of these media files, read from the package."""
        with zipfile.ZipFile(self.path) as zf:
            for name in names:
                yield name, zf.read(self.media[name])

    def card_id(self, guid: str) -> str:
        """The card id a note has in our cards, for messages."""
        shipments = self.shipped.of(guid)
        return shipments[-1].card if shipments else guid


def _refuse(path: Path, message: str) -> DeckError:
    return DeckError([Problem(display_path(path), message=message)])


def read_package(path: Path) -> Package:
    """Read a package built by build-deck. Raises DeckError for anything else."""
    path = Path(path)
    try:
        check_regular(path, MAX_PACKAGE)  # a pipe would hang the read
        zf = zipfile.ZipFile(path)
    except InputFileError as e:
        raise _refuse(path, f"{e}; name the .apkg that build-deck built") from None
    except (OSError, zipfile.BadZipFile) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else "not a zip file"
        raise _refuse(path, f"not an Anki package ({reason}); name the .apkg that "
                      "build-deck built") from None
    with zf:
        names = set(zf.namelist())
        if "collection.anki2" not in names:
            raise _refuse(path, "not an Anki package of ours (no collection.anki2 in it); "
                          "name the .apkg that build-deck built")
        if RECORD_MEMBER not in names:
            raise _refuse(path, f"this package carries no record of what we shipped "
                          f"({RECORD_MEMBER}): it was not built by build-deck, or by a "
                          "build-deck too old to install with. Import it in Anki (File -> "
                          "Import), or build the deck again and install that")
        shipped = read_shipped(zf.read(RECORD_MEMBER).decode("utf-8", "replace"),
                               f"{display_path(path)}:{RECORD_MEMBER}")
        try:
            media = json.loads(zf.read("media")) if "media" in names else {}
            media.items()
        except (ValueError, AttributeError, zipfile.BadZipFile):
            raise _refuse(path, f"its media list is damaged; {USE_OURS}") from None
        with _extracted(zf.read("collection.anki2")) as db:
            package = _read_collection(path, db, shipped)
    package.media = {name: member for member, name in media.items()}
    return package


@contextlib.contextmanager
def _extracted(data: bytes):
    fd, name = tempfile.mkstemp(prefix="build-deck-install-", suffix=".anki2")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        conn = sqlite3.connect(name)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        os.unlink(name)


def _read_collection(path: Path, db: sqlite3.Connection, shipped: Shipped) -> Package:
    try:
        models_json, decks_json = db.execute("select models, decks from col").fetchone()
        rows = db.execute("select id, guid, mid, mod, flds, tags from notes order by id").fetchall()
        cards = db.execute("select nid, ord, did from cards order by ord").fetchall()
    except (sqlite3.DatabaseError, TypeError) as e:
        raise _refuse(path, f"the package's collection cannot be read ({e})") from None
    decks, models = tables(path, decks_json, models_json)
    rows = note_rows(path, rows, (int, str, int, int, str, str))
    deck_names = {i: d["name"] for i, d in decks.items()}
    note_types = {int(i): PackageNoteType(int(i), m["name"], tuple(f["name"] for f in m["flds"]), m)
                  for i, m in models.items()}
    ords: dict[int, set[int]] = {}
    deck_of: dict[int, str] = {}
    for nid, ord_, did in cards:
        ords.setdefault(nid, set()).add(ord_)
        deck_of.setdefault(nid, deck_names.get(did, ""))
    notes = [PackageNote(guid, mid, mod, tuple(flds.split("\x1f")), tuple(tags.split()),
                         frozenset(ords.get(nid, ())), deck_of.get(nid, ""))
             for nid, guid, mid, mod, flds, tags in rows]
    used = set(deck_of.values())
    described = {d["name"]: d.get("desc", "") for d in decks.values() if d["name"] in used}
    versions = [s.version for s in shipped.shipments if s.version]
    return Package(path, versions[-1] if versions else "", notes, note_types, described, {},
                   shipped)
