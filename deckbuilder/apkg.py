"""Reading a package build-deck wrote, for the commands that take one (ledger --from, verify):
every way it can be unreadable, damaged or someone else's is one problem naming the file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import NoReturn

from deckbuilder.errors import Problems, display_path
from deckbuilder.files import InputFileError, check_regular

MAX_PACKAGE = 4 << 30
# Entries only Anki's own export writes (2.1.50+: collection.anki21 or, zstd-compressed,
# collection.anki21b, beside a stub collection.anki2 and a meta file); build-deck never does.
ANKI_EXPORT = ("collection.anki21b", "collection.anki21", "meta")
USE_OURS = "use the .apkg build-deck wrote (build it again, or download it again)"


def fail(package: Path, message: str) -> NoReturn:
    problems = Problems()
    problems.add(display_path(Path(package)), message=message)
    problems.raise_if_any()
    raise AssertionError("unreachable")


def refuse_export(package: Path, found: str, why: str) -> NoReturn:
    fail(package, f"is a package Anki exported from a collection (it holds {found}), not one "
         f"build-deck built: {why}")


def exported_by_anki(names: list[str]) -> str | None:
    """The entry that shows Anki exported the package, or None."""
    return next((n for n in ANKI_EXPORT if n in names), None)


def extract_collection(package: Path, folder: Path, why_not_export: str,
                       members: tuple[str, ...] = ()) -> tuple[Path, dict[str, bytes]]:
    """Unpack the package's collection.anki2 into folder; its path, and the named members the
    package has. Raises DeckError for a file that is unreadable, no zip, damaged, Anki's own
    export (why_not_export says why that will not do), or too big."""
    try:
        check_regular(Path(package), MAX_PACKAGE)
        with open(package, "rb") as f:  # unreadable is not "not a zip"
            f.read(1)
        with zipfile.ZipFile(package) as zf:
            names = zf.namelist()
            exported = exported_by_anki(names)
            if exported:
                refuse_export(package, f"{exported}, which only Anki writes", why_not_export)
            if "collection.anki2" not in names:
                fail(package, "has no collection.anki2: not an Anki package build-deck wrote; "
                     + USE_OURS)
            collection = Path(folder) / "collection.anki2"
            with zf.open("collection.anki2") as src, open(collection, "wb") as dst:
                while chunk := src.read(1 << 20):
                    if dst.tell() + len(chunk) > MAX_PACKAGE:  # a zip bomb stops here
                        fail(package, "its collection unpacks to more than 4 GB")
                    dst.write(chunk)
            return collection, {name: zf.read(name) for name in members if name in names}
    except InputFileError as e:
        fail(package, str(e))
    except zipfile.BadZipFile as e:
        fail(package, f"is damaged or not an Anki package ({e}); {USE_OURS}")
    except (zipfile.LargeZipFile, NotImplementedError, EOFError) as e:
        fail(package, f"is damaged or not an Anki package ({e or type(e).__name__}); "
             f"{USE_OURS}")
    except OSError as e:
        fail(package, f"cannot be read: {e.strerror or e}")


def _malformed(package: Path, what: str) -> NoReturn:
    fail(package, f"its {what} is malformed: not a package build-deck wrote (or a damaged "
         f"one); {USE_OURS}")


def tables(package: Path, decks_json: object, models_json: object) -> tuple[dict, dict]:
    """The collection's decks (by id) and note types (by id as text), checked for the shape
    build-deck writes. Raises DeckError naming the package."""
    try:
        decks = json.loads(decks_json)  # type: ignore[arg-type]
        deck_rows = {int(d["id"]): d for d in decks.values()}
        if not all(isinstance(d.get("name"), str) and isinstance(d.get("desc", ""), str)
                   for d in deck_rows.values()):
            raise ValueError
    except (TypeError, ValueError, KeyError, AttributeError):
        _malformed(package, "deck table (the decks JSON)")
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
        _malformed(package, "note-type table (the models JSON)")
    return deck_rows, models


def note_rows(package: Path, rows: list, types: tuple[type, ...]) -> list:
    """The notes table's rows, checked for the types build-deck writes."""
    if not all(len(row) == len(types) and all(map(isinstance, row, types)) for row in rows):
        _malformed(package, "notes table")
    return rows
