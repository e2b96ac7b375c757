"""Notes to an .apkg file: genanki lays out the collection, we add the notes, and
package_writer writes the .apkg (the build stages it beside the ledger, atomically).

genanki's own Package.write_to_file stamps everything with one time, writes zip entries with the
current time and leaves a temporary SQLite file behind; this writes the same collection with each
note's own time from the ledger, and fixed zip times, so equal input gives equal bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

from deckbuilder.notes import Note, NoteType
from deckbuilder.paths import SHIPPED_MEMBER
from deckbuilder.render import markdown
from deckbuilder.source import Deck, MediaFile

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def retired_deck_name(deck_name: str) -> str:
    """Where a new learner's copies of retired notes go: a deck of its own at the top level (a
    subdeck is studied with its parent), so a first import never offers them for study. The
    warning comes first: a phone's deck list shows only the start of a name."""
    top = deck_name.replace("::", " - ")  # '::' would make it a subdeck
    return f"Retired, not for study: {top}"


def retired_deck_id(deck_id: int) -> int:
    """The retired deck's id: a fixed function of the permanent deck id, so permanent too.

    Anki matches decks by name on import, so the id only has to differ from the other ids in
    the package: the deck's own, and genanki's default deck (1).
    """
    salt = 0
    while True:
        digest = hashlib.sha256(f"build-deck:{deck_id}:retired:{salt}".encode()).digest()
        found = int.from_bytes(digest[:6], "big")  # 48 bits: exact in JSON and in Anki
        if found not in (deck_id, 1, 0):
            return found
        salt += 1


def _genanki_model(note_type: NoteType):
    import genanki  # imported on first use: it costs ~100 ms, which `--help` need not pay

    return genanki.Model(
        note_type.id, note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[{"name": name, "qfmt": q, "afmt": a} for name, q, a in note_type.templates],
        css=note_type.css,
        model_type=genanki.Model.CLOZE if note_type.is_cloze else genanki.Model.FRONT_BACK,
    )


class Times(Protocol):
    """The times the package is written with: the ledger's plan gives them."""

    @property
    def created(self) -> int: ...

    def note_mod(self, note: Note) -> int: ...

    def note_type_mod(self, note_type: NoteType) -> int: ...


@contextlib.contextmanager
def collection_file(deck: Deck, notes: list[Note], note_types: tuple[NoteType, ...],
                    plan: Times, release_notes: str = "") -> Iterator[BinaryIO]:
    """The package's collection.anki2, as a file open for reading (gone once closed).

    release_notes: HTML ending the deck's description (the version and what changed)."""
    import genanki

    description = markdown(deck.description) if deck.description else ""
    # Anki replaces a deck's description whenever an import brings a non-empty one (measured
    # in tests/test_release.py), so this is where learners see the version and what changed.
    description += release_notes
    anki_deck = genanki.Deck(deck.id, deck.name, description)
    for note_type in note_types:
        anki_deck.add_model(_genanki_model(note_type))
    decks = [anki_deck]
    if any(note.retired for note in notes):
        # Anki never moves a card a learner has: theirs stay in the deck, tagged retired.
        decks.append(genanki.Deck(retired_deck_id(deck.id), retired_deck_name(deck.name), (
            f"Not for study: cards retired from <i>{html.escape(deck.name)}</i> (tagged "
            "build-deck::retired), kept apart so that they never mix with the cards you learn. "
            "Anki may still count them as new here: if you took the deck for the first time, "
            "delete this deck (its gear, then Delete); nothing you studied is in it. Your own "
            "copies of retired cards, if you studied them, stay where they were.")))

    # An unsynced file rather than memory: a 100k-card collection is ~50 MB, and an in-memory one
    # is held twice over (database, then its serialized copy). The name is unlinked as soon as
    # SQLite has the file open (no journal, so it never opens it again), so even a killed build
    # leaves nothing; we read it back through our own descriptor.
    fd, name = tempfile.mkstemp(prefix="build-deck-", suffix=".anki2")
    with os.fdopen(fd, "rb") as collection:
        try:
            conn = sqlite3.connect(name)
        finally:
            os.unlink(name)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            _fill_collection(conn.cursor(), decks, notes, note_types, plan)
            conn.commit()
        finally:
            conn.close()
        yield collection


def _fill_collection(cursor: sqlite3.Cursor, decks: list, notes: list[Note],
                     note_types: tuple[NoteType, ...], plan: Times) -> None:
    import genanki

    # genanki writes the schema, the deck and the note types; the notes and cards go in with
    # one executemany each, with each note's own time from the ledger (genanki's one insert
    # per note and card was most of a large build's time).
    genanki.Package(decks).write_to_db(cursor, plan.created, iter(()))
    deck_id = decks[0].deck_id
    retired_id = decks[-1].deck_id
    if retired_id != deck_id:
        _retired_deck_options(cursor, retired_id)
    # Ids only need to be stable between builds: Anki matches notes by guid on import.
    first_id = plan.created * 1000
    cursor.executemany(
        "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)", (
        (first_id + position, note.guid, note.note_type.id, plan.note_mod(note), -1,
         f" {' '.join(note.tags)} ", "\x1f".join(note.fields), note.sort_field, 0, 0, "")
        for position, note in enumerate(notes)))
    card_ids = itertools.count(first_id + len(notes))
    cursor.executemany(
        "INSERT INTO cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps,"
        " lapses, left, odue, odid, flags, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
        (next(card_ids), first_id + position, retired_id if note.retired else deck_id, ord_,
         plan.note_mod(note), -1, 0, SUSPENDED if note.retired else 0, position, 0, 0, 0, 0, 0,
         0, 0, 0, "")
        for position, note in enumerate(notes) for ord_ in note.card_ords))
    (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
    stored = json.loads(models_json)
    for note_type in note_types:
        stored[str(note_type.id)]["mod"] = plan.note_type_mod(note_type)
    cursor.execute("UPDATE col SET models = ?", (json.dumps(stored, sort_keys=True),))


# A retired note's new cards arrive suspended, in a deck whose options show no new card: Anki
# 2.1.50 and 2.1.55 keep both on a first import (tests/test_engines.py); later importers reset
# both (with default options), which the deck's name and description then answer.
SUSPENDED = -1


def _retired_deck_options(cursor: sqlite3.Cursor, retired_id: int) -> None:
    """Give the retired deck its own options: no new cards and no reviews a day."""
    (dconf_json, decks_json) = cursor.execute("SELECT dconf, decks FROM col").fetchone()
    options, decks = json.loads(dconf_json), json.loads(decks_json)
    retired = json.loads(json.dumps(options["1"]))  # a copy of genanki's default options
    retired.update(id=retired_id, name="Retired cards (not for study)")
    retired["new"]["perDay"] = retired["rev"]["perDay"] = 0
    options[str(retired_id)] = retired
    decks[str(retired_id)]["conf"] = retired_id
    cursor.execute("UPDATE col SET dconf = ?, decks = ?", (json.dumps(options, sort_keys=True),
                                                           json.dumps(decks, sort_keys=True)))


def package_writer(collection: bytes | BinaryIO, media: dict[str, MediaFile],
                   record: bytes = b"", comment: str = "") -> Callable[[BinaryIO], None]:
    """What writes the .apkg: collection, media list, media files, then the record of what we
    shipped (build-deck.shipped, which Anki's import ignores); fixed order and times.

    comment: the zip's comment, which Anki ignores (the build names its ledger there)."""
    ordered = sorted(media.values(), key=lambda m: m.package_name)

    def write(f) -> None:
        with zipfile.ZipFile(f, "w") as zf:
            zf.comment = comment.encode("utf-8")
            def add(name: str, data: bytes | BinaryIO) -> None:
                info = zipfile.ZipInfo(name, _ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                # Level 1: 4x faster than the default on a collection, ~10% larger. (Set on the
                # entry: before Python 3.13 that attribute is the only way for a streamed one.)
                info._compresslevel = 1  # type: ignore[attr-defined]
                info.external_attr = 0o644 << 16
                with zf.open(info, "w") as entry:
                    if isinstance(data, bytes):
                        entry.write(data)
                    else:
                        shutil.copyfileobj(data, entry, 1 << 20)

            add("collection.anki2", collection)
            add("media", json.dumps({str(i): m.package_name for i, m in enumerate(ordered)})
                .encode())
            for i, m in enumerate(ordered):
                add(str(i), m.data)
            if record:
                add(SHIPPED_MEMBER, record)

    return write
