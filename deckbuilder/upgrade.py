"""What a learner who has one package would miss on importing the next, for each Anki importer.

With the default options, Anki updates a note on import only when the package's copy is newer
(a later `mod` stamp) than the collection's, and then replaces the whole note. So what arrives
depends on the stamp the collection kept from the last import, which depends on the importer:

- legacy (Anki 2.1.54 and older): the package's stamp;
- import time (Anki 2.1.55 to 24.11): an import that *updates* a note stamps it with the time of
  the import;
- package time (Anki 25.02 and later): the package's stamp.

A note an import *adds* keeps the package's stamp on all three. Showing a note in the Browser
stamps nothing, since the build stores every field as the editor would save it back.
tests/test_engines.py checks this model against the real engines.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from deckbuilder.apkg import USE_OURS, extract_collection, fail, note_rows, tables
from deckbuilder.ledger import EARLIEST

LEGACY = "legacy"
IMPORT_TIME = "import time"
PACKAGE_TIME = "package time"
BEHAVIOURS = (LEGACY, IMPORT_TIME, PACKAGE_TIME)
# Why an export of a collection will not do to compare releases.
_NOT_A_RELEASE = ("its notes carry a learner's edits and Anki's import times, not what a "
                  "release shipped. Name the .apkg build-deck wrote for that release")

ANKI_VERSIONS = {LEGACY: "Anki 2.1.54 and older", IMPORT_TIME: "Anki 2.1.55 to 24.11",
                 PACKAGE_TIME: "Anki 25.02 and later"}


@dataclass(frozen=True)
class PackageNote:
    """A note as a package holds it: its stamp and a digest of its fields and tags."""

    stamp: int
    digest: str


def read_package(path: Path) -> dict[str, PackageNote]:
    """guid -> PackageNote for every note in a package build-deck wrote. Raises DeckError."""
    with tempfile.TemporaryDirectory() as folder:
        collection, _ = extract_collection(Path(path), Path(folder), _NOT_A_RELEASE)
        try:
            conn = sqlite3.connect(collection)
            try:
                rows = conn.execute("SELECT guid, mod, flds, tags FROM notes").fetchall()
                (models_json, decks_json) = conn.execute("SELECT models, decks FROM col").fetchone()
            finally:
                conn.close()
        except (sqlite3.Error, TypeError) as e:
            fail(Path(path), f"is damaged or not a package build-deck wrote ({e}); {USE_OURS}")
    tables(Path(path), decks_json, models_json)
    note_rows(Path(path), rows, (str, int, str, str))
    return {guid: PackageNote(mod, _digest(fields, tags)) for guid, mod, fields, tags in rows}


def _digest(fields: str, tags: str) -> str:
    return hashlib.sha256("\x1e".join([fields, *sorted(tags.split())]).encode()).hexdigest()


def _updated(old: dict[str, PackageNote]) -> set[str]:
    # A note still stamped with the ledger's first time never changed since it was added.
    return {guid for guid, note in old.items() if note.stamp > EARLIEST}


def changed(old: dict[str, PackageNote], new: dict[str, PackageNote]) -> set[str]:
    """The notes both packages hold with different content."""
    return {guid for guid in old.keys() & new.keys() if old[guid].digest != new[guid].digest}


def missed(old: dict[str, PackageNote], new: dict[str, PackageNote], behaviour: str,
           imported_at: int, updated: set[str] | None = None) -> set[str]:
    """The notes whose change in `new` does not reach a learner who imported `old` at
    `imported_at` (and edited nothing since), then imports `new`.

    `updated`: the notes the import of `old` updated (rather than added or skipped); by default
    every note that changed since it was added (stamped later than the ledger's first time),
    the worst case: a learner who had each one's earlier content.
    """
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown importer behaviour {behaviour!r}")
    updated = _updated(old) if updated is None else updated

    def kept(guid: str) -> int:  # the stamp the learner's collection holds
        if behaviour == IMPORT_TIME and guid in updated:
            return imported_at
        return old[guid].stamp

    return {guid for guid in changed(old, new) if new[guid].stamp <= kept(guid)}


def late_from(old: dict[str, PackageNote], new: dict[str, PackageNote],
              updated: set[str] | None = None) -> dict[str, int]:
    """On the importers that stamp with the import time: each note whose change in `new` a
    learner misses if they imported `old` at or after the time given (its stamp in `new`)."""
    updated = _updated(old) if updated is None else updated
    return {guid: new[guid].stamp for guid in changed(old, new) & updated}


def report(old_path: Path, new_path: Path, names: dict[str, str],
           old: dict[str, PackageNote] | None = None) -> tuple[list[str], bool]:
    """What a learner who has `old_path` gets on importing `new_path`, by Anki version, as lines
    to print, and whether a learner who imports releases in order misses anything.

    `names`: guid -> card id, to name notes by (a guid when missing); `old`: old_path's notes,
    when read already. Raises DeckError.
    """
    old, new = old if old is not None else read_package(old_path), read_package(new_path)
    if max((n.stamp for n in old.values()), default=0) > max(
            (n.stamp for n in new.values()), default=0):
        fail(Path(new_path), f"is older than {old_path} (its newest note was built before "
             "theirs): --upgrade-from names the package learners have, and the one to check "
             "is the newer; swap the two")

    def listed(guids) -> str:
        return ", ".join(sorted(names.get(g, g) for g in guids))

    changes = changed(old, new)
    lines = [f"Upgrade from {old_path}: {len(new.keys() - old.keys())} new, {len(changes)} "
             f"changed, {len(old.keys() - new.keys())} left out of {new_path}."]
    failed = False
    for behaviour in (LEGACY, PACKAGE_TIME):
        lost = missed(old, new, behaviour, imported_at=0)
        failed |= bool(lost)
        lines.append(f"{ANKI_VERSIONS[behaviour]}: " + (
            f"misses the change to {listed(lost)}" if lost else "every change arrives") + ".")
    # The newest stamp in the new package: when its last change was built.
    built = max((note.stamp for note in new.values()), default=0)
    late = late_from(old, new)
    early = {g: t for g, t in late.items() if t < built}
    failed |= bool(early)
    lines.append(f"{ANKI_VERSIONS[IMPORT_TIME]}: " + ("; ".join(
        f"misses the change to {names.get(g, g)} if the learner imported the old package after "
        f"{_utc(t)}" for g, t in sorted(early.items())) or "every change arrives to a learner "
        "who imported the old package before this one was built")
        + (f"; one who imports the old package after this one was built misses the changes to "
           f"{listed(late)} (`build-deck install` brings them)" if late else "") + ".")
    return lines, failed


def _utc(stamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(stamp))
