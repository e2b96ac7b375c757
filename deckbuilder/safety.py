"""Guards around writing: a lost ledger, a stale one, builds running at once, a package and
ledger out of step, and an output of any command that would destroy an input."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deckbuilder.atomic import refuse_special
from deckbuilder.errors import Problems, counted, display_path
from deckbuilder.paths import DECK_FILE, RECOVER, SHIPPED_MEMBER, default_ledger, shipped_beside


def _git(folder: Path, *args: str) -> str | None:
    """What git prints, or None when it fails (no git, no repository)."""
    try:
        found = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                               timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() if found.returncode == 0 else None


def _git_commit_with(path: Path) -> str | None:
    """The last commit in which git had this file, or None (no git, no repository, never)."""
    # The last commit that touched it, merges included (a merged ledger differs from both
    # parents, and --diff-filter sees no merge); if that commit deleted it, its parent.
    last = _git(path.parent, "log", "-1", "--format=%h", "--", path.name)
    for commit in (last, f"{last}^") if last else ():
        if _git(path.parent, "cat-file", "-e", f"{commit}:./{path.name}") is not None:
            return _git(path.parent, "rev-parse", "--short", commit)
    return _git(path.parent, "log", "-1", "--format=%h", "--diff-filter=AMR", "--",
                path.name) or None


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


def refuse_lost_record(record_path: Path, output: Path, emptied: bool = False) -> None:
    """Raise DeckError when the record of what we shipped is missing (or emptied) but existed:
    git had it, or the package built before carries it. Otherwise (a new deck, or a deck built
    before build-deck kept the record) it starts with this build."""
    record_path = Path(record_path).absolute()
    commit = _git_commit_with(record_path)
    if commit and emptied and '"note"' not in (_git(record_path.parent, "show",
                                                   f"{commit}:./{record_path.name}") or ""):
        commit = None  # git has it empty too
    file, name = display_path(record_path), record_path.name
    lost = "empty" if emptied else "missing"
    message = ""
    if commit:
        message = (f"the record of what we shipped is {lost}, but git has it (commit "
                   f"{commit}): restore it with  git checkout {commit} -- {name}")
    elif _carries_record(Path(output)):
        message = (f"the record of what we shipped is {lost}, but {display_path(Path(output))} "
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
                                          shipped_beside(ledger))]
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
    refuse_special(output, "Write the ledger to a file (--ledger cards.lock)" if is_ledger
                   else f"Write to a file, such as -o dist/{output.name}")
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


_COMMENT = "build-deck: built from ledger "


def package_comment(built_from: str) -> str:
    """The zip comment naming the ledger a package was built from (the check on its last
    line), so the next build can tell a package it must repair from one a newer ledger made."""
    return _COMMENT + (built_from or "none")


@dataclass(frozen=True)
class LedgerState:
    """What a ledger says of the package built with it, for refuse_stale_ledger."""

    package: str  # the package's sha256
    digest: str  # the ledger's own check (its last line)
    built_from: str  # the check of the ledger that build read
    stamps: dict[str, tuple[str, int]]  # guid -> (card id, stamp)


def built_from(output: Path) -> str | None:
    """The check of the ledger the package at output was built from; None if it names none."""
    try:
        with zipfile.ZipFile(output) as zf:
            comment = zf.comment.decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile):
        return None
    return comment[len(_COMMENT):] if comment.startswith(_COMMENT) else None


def _package_stamps(output: Path) -> dict[str, int] | None:
    """guid -> the note's stamp (mod) in the package at output, or None if it does not read."""
    try:
        with zipfile.ZipFile(output) as zf, tempfile.TemporaryDirectory() as folder:
            collection = Path(folder) / "collection.anki2"
            with zf.open("collection.anki2") as src, open(collection, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            conn = sqlite3.connect(collection)
            try:
                return dict(conn.execute("SELECT guid, mod FROM notes").fetchall())
            finally:
                conn.close()
    except (OSError, KeyError, zipfile.BadZipFile, sqlite3.Error, ValueError):
        return None


def _commit_built_from(ledger_path: Path, digest: str) -> str | None:
    """The last commit whose ledger was built from the ledger with this check, or None."""
    try:
        found = subprocess.run(
            ["git", "log", "-1", "--format=%h", f"-Gfrom\t{digest}", "--", ledger_path.name],
            cwd=ledger_path.parent, capture_output=True, text=True, timeout=30,
            stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = found.stdout.strip()
    return commit if found.returncode == 0 and commit else None


def _refuse_superseded(ledger: LedgerState, ledger_path: Path, output: Path) -> None:
    ledger_path = Path(ledger_path).absolute()
    commit = _commit_built_from(ledger_path, ledger.digest) if ledger.digest else None
    if commit is None:
        return
    name = ledger_path.name
    problems = Problems()
    problems.add(display_path(ledger_path), message=f"the ledger is older than the one commit "
                 f"{commit} holds, which a build from this very ledger wrote with "
                 f"{display_path(Path(output))}: it is a stale copy, such as an older commit's "
                 "ledger checked out. A build from it would stamp notes learners already have "
                 f"anew and overwrite their own edits on re-import. Put back the newer ledger: "
                 f"git checkout {commit} -- {name}")
    problems.raise_if_any()


def refuse_stale_ledger(ledger: LedgerState, ledger_path: Path, output: Path) -> None:
    """Raise DeckError when the ledger is older than the package at output (which is not the
    package the ledger records, see mismatched) and a build from a newer ledger wrote it: an
    older commit's ledger checked out beside a newer build.

    Ledger A is older than B when every note of A is in B with a stamp no higher, and at least
    one is lower or missing. A build from it would stamp anew notes learners already have,
    overwriting their edits. A package built from this very ledger (its zip comment names the
    ledger it came from) is what a build killed between its two renames leaves, and is repaired
    as before, unless git holds the ledger such a build wrote (_refuse_superseded).
    """
    came_from = built_from(output)
    if came_from == ledger.digest:
        # A build from this very ledger wrote the package: killed between its two renames
        # (repaired), unless git holds the ledger that build wrote (then this one is stale).
        _refuse_superseded(ledger, ledger_path, output)
        return
    if came_from is not None and came_from == (ledger.built_from or "none"):
        return
    shipped = _package_stamps(output)
    if shipped is None:
        return  # not a package of ours: the build replaces it, as before
    ours = ledger.stamps
    if any(guid not in shipped or shipped[guid] < mod for guid, (_, mod) in ours.items()):
        return
    later = sorted(card_id for guid, (card_id, mod) in ours.items() if shipped[guid] > mod)
    unknown = len(set(shipped) - set(ours))
    if not later and not unknown:
        return
    file, package = display_path(Path(ledger_path)), display_path(Path(output))
    found = []
    if later:
        found.append(f"{counted(len(later), 'note')} {'has' if len(later) == 1 else 'have'} "
                     f"later stamps there, such as '{later[0]}'")
    if unknown:
        found.append(f"{counted(unknown, 'note')} {'is' if unknown == 1 else 'are'} there that "
                     "it lacks")
    problems = Problems()
    problems.add(file, message=f"the ledger is older than {package}, which a build from a "
                 f"newer ledger wrote ({', and '.join(found)}): it is a stale copy, such as an "
                 "older commit's ledger checked out. A build from it would stamp notes "
                 "learners already have anew and overwrite their own edits on re-import. Put "
                 f"back the ledger that package was built with (git log -- {Path(ledger_path).name}"
                 f" shows its commits; git checkout COMMIT -- {Path(ledger_path).name}); or, if "
                 f"{package} never reached learners, delete it and build again")
    problems.raise_if_any()
