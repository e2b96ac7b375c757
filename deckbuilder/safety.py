"""Guards around a build's writing: a lost ledger, builds running at once, a package and ledger
out of step, an output path that would destroy an input."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

from deckbuilder.errors import Problems, display_path
from deckbuilder.paths import RECOVER, SHIPPED_MEMBER, shipped_beside


def _git_commit_with(path: Path) -> str | None:
    """The last commit in which git had this file, or None (no git, no repository, never)."""
    try:
        found = subprocess.run(
            ["git", "log", "-1", "--format=%h", "--diff-filter=AMR", "--", path.name],
            cwd=path.parent, capture_output=True, text=True, timeout=10,
            stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = found.stdout.strip()
    return commit if found.returncode == 0 and commit else None


def refuse_lost_ledger(ledger_path: Path, output: Path) -> None:
    """Raise DeckError when a missing ledger was not the deck's first build: git had it, or a
    package was built before. A brand-new deck (neither) builds.

    Without its ledger a build takes every card for new: the notes' times say nothing about
    what learners already have. New notes never overwrite a learner's note (make_plan stamps
    them early), but the changes made since the last release would not reach learners either.
    """
    ledger_path = Path(ledger_path).absolute()
    commit = _git_commit_with(ledger_path)
    file = display_path(ledger_path)
    problems = Problems()
    if commit:
        problems.add(file, message=f"the ledger is missing, but git has it (commit {commit}): "
                     f"restore it with  git checkout {commit} -- {ledger_path.name}  or rebuild "
                     "it from the package you last released: build-deck ledger --from "
                     "RELEASED.apkg")
    elif Path(output).exists():
        problems.add(file, message=f"the ledger is missing, but {display_path(Path(output))} "
                     "was built before: without the ledger this build cannot tell which cards "
                     f"learners already have. {RECOVER[0].upper()}{RECOVER[1:]} (it may be "
                     f"{display_path(Path(output))}); for a deck never released, delete that "
                     "package and build again")
    problems.raise_if_any()


def refuse_lost_record(record_path: Path, output: Path) -> None:
    """Raise DeckError when the record of what we shipped is missing but existed: git had it,
    or the package built before carries it. Otherwise (a new deck, or a deck built before
    build-deck kept the record) it starts with this build."""
    record_path = Path(record_path).absolute()
    commit = _git_commit_with(record_path)
    file, name = display_path(record_path), record_path.name
    message = ""
    if commit:
        message = (f"the record of what we shipped is missing, but git has it (commit "
                   f"{commit}): restore it with  git checkout {commit} -- {name}")
    elif _carries_record(Path(output)):
        message = (f"the record of what we shipped is missing, but {display_path(Path(output))} "
                   f"carries it: restore it with  unzip -p {display_path(Path(output))} "
                   f"{SHIPPED_MEMBER} > {name}")
    if message:
        problems = Problems()
        problems.add(file, message=message + "  (a build without it would forget every value "
                     "we ever shipped, which install and the ledger's checks rely on; or "
                     "rebuild it from git history: python tools/reconstruct_shipped.py)")
        problems.raise_if_any()


def _carries_record(package: Path) -> bool:
    try:
        with zipfile.ZipFile(package) as zf:
            return SHIPPED_MEMBER in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


@contextlib.contextmanager
def ledger_lock(ledger_path: Path) -> Iterator[None]:
    """Builds of one deck take turns: each holds a lock on the ledger's folder until its pair
    of files is in place, so no build pairs another's package with its own ledger."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        yield
        return
    folder = Path(ledger_path).absolute().parent
    while not folder.is_dir() and folder != folder.parent:  # made only once the build writes
        folder = folder.parent
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def mismatched(output: Path, recorded: str) -> bool:
    """Whether the package at output is not the one the ledger was written with."""
    if not recorded or not Path(output).is_file():
        return False
    digest = hashlib.sha256()
    with open(output, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() != recorded


def refuse_own_inputs(output: Path, cards_dir: Path, media_dir: Path, ledger_path: Path) -> None:
    """Raise DeckError if the package would be written over the ledger, the record of what we
    shipped, a card or media file."""
    target = Path(output).resolve()
    inside = [Path(cards_dir).resolve(), Path(media_dir).resolve()]
    ledgers = {Path(ledger_path).resolve(), shipped_beside(Path(ledger_path)).resolve()}
    if target in ledgers or any(target.is_relative_to(d) for d in inside):
        problems = Problems()
        problems.add(display_path(Path(output)), message="is one of build-deck's own inputs "
                     "(the ledger, its record of what we shipped, or inside the cards or media "
                     "folder); write the package elsewhere (-o dist/deck.apkg)")
        problems.raise_if_any()
