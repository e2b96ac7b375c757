"""Guards around writing: a lost ledger, builds running at once, a package and ledger out of
step, and an output of any command that would destroy an input."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deckbuilder.errors import Problems, display_path
from deckbuilder.paths import DECK_FILE, RECOVER, SHIPPED_NAME, default_ledger


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


@dataclass(frozen=True)
class Inputs:
    """What a command reads, which no output of any command may be written over."""

    cards_dir: Path
    media_dir: Path
    ledger_path: Path | None = None  # default: cards.lock beside the cards folder

    @property
    def ledger(self) -> Path:
        return Path(self.ledger_path or default_ledger(self.cards_dir))

    def files(self) -> list[tuple[str, Path]]:
        """Each input file, with what it is: the ledger, the shipped record, cards, media."""
        ledger = self.ledger
        found = [("the ledger", ledger), ("the record of what was shipped",
                                          ledger.with_name(SHIPPED_NAME))]
        for what, folder in (("the card file", self.cards_dir),
                             ("the media file", self.media_dir)):
            with contextlib.suppress(OSError):
                found += [(what, p) for p in sorted(Path(folder).rglob("*"))]
        return found


def refuse_own_inputs(output: Path, inputs: Inputs, is_ledger: bool = False) -> None:
    """Raise DeckError, before anything is written, if output is an input: the ledger, the
    shipped record, a card or media file, the cards or media folder, or a link to any of them.

    is_ledger: output is the ledger itself (`ledger --from` writes it), which it may replace.
    """
    output = Path(output)
    target = output.absolute().resolve()  # through symbolic links, dangling ones too
    clash = None  # (what it is, the input's path)
    for kind, folder in (("card", inputs.cards_dir), ("media", inputs.media_dir)):
        inside = Path(folder).absolute().resolve()
        where = "the cards folder" if kind == "card" else "the media folder"
        if target == inside:
            clash = (where, Path(folder))
        elif target.is_relative_to(inside) and (target.exists() or not is_ledger):
            path = Path(folder) / target.relative_to(inside)
            clash = ("deck.yaml" if kind == "card" and target == inside / DECK_FILE else
                     f"the {kind} file" if target.exists() else f"a new file in {where}", path)
        if clash:
            break
    if clash is None:
        protected = [(w, p) for w, p in inputs.files()[:2] if not (is_ledger and w == "the ledger")]
        clash = next(((w, p) for w, p in protected if p.absolute().resolve() == target), None)
    if clash is None:
        clash = _hard_linked(output, inputs, is_ledger)
    if clash is None:
        return
    what, path = clash
    problems = Problems()
    problems.add(display_path(output), message=f"is {what}, {display_path(path)} (directly or "
                 "through a link), one of build-deck's own inputs: writing there would destroy "
                 "it, so nothing was written. Write "
                 + ("the ledger beside the cards (--ledger cards.lock)" if is_ledger else
                    f"elsewhere, such as -o dist/{output.name}"))
    problems.raise_if_any()


def _hard_linked(output: Path, inputs: Inputs, is_ledger: bool) -> tuple[str, Path] | None:
    """The input that output is another name of (a hard link), if any."""
    try:
        info = os.stat(output)
    except OSError:
        return None  # not there yet: nothing to write over
    if info.st_nlink < 2:
        return None
    for what, path in inputs.files():
        if is_ledger and what == "the ledger":
            continue
        with contextlib.suppress(OSError):
            if os.path.samestat(info, os.stat(path)):
                return what, path
    return None
