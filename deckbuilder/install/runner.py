"""Install as a process does it: check the collection file, open it, write media, back up,
apply the release in one transaction, write the conflicts report.

The rules themselves are in apply.py, which needs none of this.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from deckbuilder.errors import DeckError, Problem, display_path
from deckbuilder.install.apply import (
    DEFAULT,
    Conflict,
    Options,
    Summary,
    apply_release,
    installed_version,
)
from deckbuilder.install.contents import Package
from deckbuilder.install.profiles import Target

# The collection schema this engine writes, and the desktop versions that open it.
SCHEMA = 18
OPENS_WITH = "Anki 2.1.50 or later"
CLOSE_ANKI = "Anki has this collection open: close Anki, then run again. Nothing was written."


@dataclass(frozen=True)
class Installed:
    summary: Summary
    backup: Path | None = None
    report: Path | None = None
    dry_run: bool = False


class _Undo(Exception):
    """Raised inside the transaction to roll it back: a dry run, or the first pass."""


def _refuse(path: Path, message: str) -> DeckError:
    return DeckError([Problem(display_path(path), message=message)])


def check_collection(path: Path) -> int:
    """The collection's schema version, read with sqlite3 before the engine opens (and perhaps
    upgrades) it. Raises DeckError for a collection we must not open."""
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise _refuse(path, "the collection (or its folder) is read-only; make both writable, "
                      "then run again. Nothing was written")
    with open(path, "rb") as f:
        if f.read(16) != b"SQLite format 3\0":
            raise _refuse(path, "is not an Anki collection (not an SQLite database): name "
                          "collection.anki2 in an Anki profile folder (a package, .apkg, is "
                          "installed as PACKAGE). If it is your collection, it is damaged: "
                          "restore a backup (in Anki: File -> Switch Profile -> Open Backup)")
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=0)
        try:
            row = conn.execute("select ver from col").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as e:
        if "locked" in str(e):
            raise _refuse(path, CLOSE_ANKI) from None
        raise _refuse(path, f"not an Anki collection, or damaged ({e}); in Anki, Tools -> "
                      "Check Database, or restore a backup (File -> Switch Profile -> Open "
                      "Backup)") from None
    except sqlite3.DatabaseError as e:
        raise _refuse(path, f"not an Anki collection, or damaged ({e}); restore a backup "
                      "(in Anki: File -> Switch Profile -> Open Backup)") from None
    version = row[0] if row else None
    if version != SCHEMA:
        raise _refuse(path, f"the collection has schema version {version}; install writes "
                      f"only schema {SCHEMA} ({OPENS_WITH}), and would have to upgrade this one, "
                      "which its Anki could then no longer open. Open it once in a current "
                      "Anki, close Anki, then run again")
    return version


def open_collection(path: Path):
    try:
        from anki.collection import Collection
        from anki.errors import DBError
    except ImportError:
        raise _refuse(path, "install needs Anki's Python package; install it with: pip install "
                      "anki (from a checkout of build-deck: pip install '.[anki]')") from None

    try:
        return Collection(str(path))
    except DBError as e:
        if "already open" in str(e) or "locked" in str(e):
            raise _refuse(path, CLOSE_ANKI) from None
        if "readonly" in str(e).replace("-", "").replace(" ", ""):
            raise _refuse(path, "the collection is read-only; make it (and its folder) "
                          "writable, then run again") from None
        raise _refuse(path, f"the collection cannot be opened ({e}); in Anki, Tools -> Check "
                      "Database") from None


def install(target: Target, package: Package, options: Options = DEFAULT,
            dry_run: bool = False) -> Installed:
    """Install the package into the target's collection (closed: Anki must not hold it).

    Only if something changes are the media written, the engine's backup made and the
    changes applied, in one transaction: a failure or a kill leaves the collection as it was.
    """
    check_collection(target.collection)
    col = open_collection(target.collection)
    try:
        # A version this collection has not had changes it for sure (its record, at least);
        # otherwise a first pass, rolled back, says whether anything would change.
        if dry_run or installed_version(col) == package.version:
            planned = _pass(col, package, options, target, commit=False)[0]
            if dry_run or not planned.changed:
                return Installed(planned, dry_run=dry_run)
        _write_media(col, package)
        backup = _backup(col, target)
        summary, report = _pass(col, package, options, target, commit=True)
        return Installed(summary, backup, report)
    finally:
        col.close(downgrade=False)


def _pass(col, package: Package, options: Options, target: Target,
          commit: bool) -> tuple[Summary, Path | None]:
    out: list = []

    def run() -> None:
        summary = apply_release(col, package, options)
        out.append(summary)
        if not commit:
            raise _Undo
        # Written before the changes are committed: a learner's text is never only in memory.
        out.append(write_report(target, summary.version, summary.conflicts)
                   if summary.conflicts else None)

    try:
        col.db.transact(run)
    except _Undo:
        # The engine forgets what was rolled back; its Python side keeps note types cached.
        col.models._clear_cache()
        out.append(None)
    return out[0], out[1]


def _write_media(col, package: Package) -> None:
    # Content-named, so written first and harmless if the install then fails.
    folder = Path(col.media.dir())
    missing = [name for name in package.media if not (folder / name).is_file()]
    for name, data in package.media_files(missing):
        written = col.media.write_data(name, data)
        if written != name:
            raise _refuse(package.path, f"media file '{name}' in your collection differs "
                          "from the package's; nothing was changed in the collection. In "
                          "Anki: Tools -> Check Media, then run again")


def _backup(col, target: Target) -> Path | None:
    target.backups.mkdir(parents=True, exist_ok=True)
    before = set(target.backups.iterdir())
    col.create_backup(backup_folder=str(target.backups), force=True, wait_for_completion=True)
    made = sorted(set(target.backups.iterdir()) - before, key=lambda p: p.stat().st_mtime)
    return made[-1] if made else None


def report_path(target: Target, version: str) -> Path:
    return target.reports / f"conflicts-v{version or 'unversioned'}.md"


def write_report(target: Target, version: str, conflicts: list[Conflict]) -> Path:
    """Append this install's conflicts to the version's report (a learner's replaced text)."""
    path = report_path(target, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    when = time.strftime("%Y-%m-%d %H:%M")
    lines = [f"# Installing version {version}, {when}", "",
             "Your text in these fields differed from every version we shipped, and this "
             "release changed them too: the release's text is in your notes now, and yours is "
             f"here. Find the notes in Anki's browser: tag:build-deck::conflict::v{version}", ""]
    for c in conflicts:
        kind = " (a correction: the release corrects a fact here)" if c.correction else ""
        lines += [f"## {c.card}: {c.field}{kind}", "", "Yours:", "", "```html", c.theirs, "```",
                  "", "The release's:", "", "```html", c.ours, "```", ""]
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def last_report(target: Target) -> Path | None:
    found = sorted(target.reports.glob("conflicts-v*.md"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None
