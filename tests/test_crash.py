"""Crash safety: a build killed (SIGKILL) at any moment leaves the previous package and ledger
whole, never a new ledger beside an old package, and no temporary files."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_script, script_command, script_env, write_synthetic_deck

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and /proc")


def _writing_into(pid: int, folder: Path) -> bool:
    """Whether the process has a temporary file open in folder: an unnamed one (O_TMPFILE,
    shown as '#inode (deleted)') or a named '*.tmp'."""
    try:
        targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:  # the process ended meanwhile
        return False
    return any(os.path.dirname(t) == str(folder)
               and (os.path.basename(t).startswith("#") or t.endswith((".tmp", "(deleted)")))
               for t in targets)


def _kill_build(large_build: dict, when) -> int:
    """Start the new build, SIGKILL it when when(pid) says so; return its exit status."""
    root = large_build["root"]
    command = script_command(root, root / "out" / "deck.apkg", root / "cards.lock")
    process = subprocess.Popen(command, env=script_env(large_build["epoch"]))
    try:
        when(process.pid)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    return process.returncode


def _check_and_restore(large_build: dict) -> str:
    """Assert the files are whole and consistent; put the old ones back; return what was found."""
    root, old, new = large_build["root"], large_build["old"], large_build["new"]
    state = _state(old, new, {name: path.read_bytes() for name, path in _files(root).items()})
    assert state in STATES, state
    assert sorted(os.listdir(root / "out")) == ["deck.apkg"]
    assert sorted(os.listdir(root)) == ["cards", "cards.lock", "cards.shipped", "media", "out"]
    for name, path in _files(root).items():
        path.write_bytes(old[name])
    return state


# The package is moved in first, then the ledger, then the record of what we shipped: a new
# ledger never stands beside an old package (killed between those renames, a new package beside
# the old ledger is noticed and repaired), and the record is never ahead of the ledger (killed
# before its rename, the next build appends the same lines).
STATES = {"old/old/old", "new/old/old", "new/new/old", "new/new/new"}


def _files(root: Path, output: Path | None = None) -> dict[str, Path]:
    return {"package": output or root / "out" / "deck.apkg", "ledger": root / "cards.lock",
            "record": root / "cards.shipped"}


def _state(old: dict, new: dict, now: dict) -> str:
    return "/".join("old" if now[k] == old[k] else "new" if now[k] == new[k] else "torn"
                    for k in ("package", "ledger", "record"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.slow
@pytest.mark.parametrize("target", ["package", "ledger"])
def test_killed_while_writing(large_build: dict, target: str):
    folder = large_build["root"] / "out" if target == "package" else large_build["root"]

    def when_writing(pid: int) -> None:
        deadline = time.monotonic() + 10 * large_build["seconds"]
        while not _writing_into(pid, folder) and time.monotonic() < deadline:
            time.sleep(0.0005)

    status = _kill_build(large_build, when_writing)
    state = _check_and_restore(large_build)
    if status != -signal.SIGKILL:
        pytest.skip(f"the build finished before the kill ({state}); the write was too quick")
    # Every file is written before any is moved into place: killed while writing one, nothing
    # is replaced.
    assert state == "old/old/old"


def test_stale_temporaries_of_dead_builds_are_removed(tmp_path: Path):
    from deckbuilder.atomic import write_atomically

    target = tmp_path / "deck.apkg"
    dead = tmp_path / ".deck.apkg.999999999-0badc0de.tmp"  # no such pid
    alive = tmp_path / f".deck.apkg.{os.getpid()}-0badc0de.tmp"  # a build still running
    other = tmp_path / ".other.apkg.999999999-0badc0de.tmp"  # another file's
    for path in (dead, alive, other):
        path.write_bytes(b"half a package")
    write_atomically(target, lambda f: f.write(b"new"))
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, alive.name, other.name])


def test_named_temporary_where_there_is_no_o_tmpfile(tmp_path: Path, monkeypatch):
    from deckbuilder.atomic import write_atomically

    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    target = tmp_path / "deck.apkg"
    target.write_bytes(b"old")
    target.chmod(0o640)
    seen: list[list[str]] = []

    def write(f) -> None:
        seen.append(sorted(os.listdir(tmp_path)))
        f.write(b"new")

    write_atomically(target, write)
    assert seen[0][0].startswith(f".deck.apkg.{os.getpid()}-")  # named while written
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["deck.apkg"]

    def fail(f) -> None:
        f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail)
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["deck.apkg"]


# Run a build, SIGKILLed just before its Nth write point, after saying which on stderr. The write
# points are of two kinds (KILL_POINTS): "calls", each os call that changes a file (open, which
# also creates; mkdir, fchmod, chmod, fsync, link, replace, rename, unlink); "chunks", each write
# of content into a file the build opened with os.fdopen (the package's and ledger's temporaries:
# each is one write(2), as the buffered file hands it down).
_KILL_AT = """
import io, os, runpy, signal, sys
target, calls = int(os.environ["KILL_AT"]), [0]
def reached(what):
    calls[0] += 1
    if calls[0] == target:
        os.write(2, f"killed before {what}\\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)
def where(path):
    if isinstance(path, int):  # a descriptor
        path = os.readlink(f"/proc/self/fd/{path}")
    return os.fsdecode(path)
def point(name):
    real = getattr(os, name)
    def call(*args, **kwargs):
        reached(f"{name} {where(args[0])}")
        return real(*args, **kwargs)
    setattr(os, name, call)
class Chunks(io.FileIO):
    def write(self, data):
        reached(f"write {len(data)} bytes into {where(self.fileno())}")
        return super().write(data)
def fdopen(fd, mode="r", buffering=-1, closefd=True):
    if "+" not in mode and "w" not in mode:
        return real_fdopen(fd, mode, buffering, closefd=closefd)
    raw = Chunks(fd, mode.replace("b", ""), closefd=closefd)
    return io.BufferedRandom(raw) if "+" in mode else io.BufferedWriter(raw)
real_fdopen = os.fdopen
if os.environ["KILL_POINTS"] == "calls":
    for name in ("open", "mkdir", "fchmod", "chmod", "fsync", "link", "replace", "rename",
                 "unlink"):
        point(name)
else:
    os.fdopen = fdopen
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _kill_at_each_point(tmp_path: Path, points: str) -> list[tuple[str, str]]:
    """Build the edited deck over the old files, killed before write point 1, 2, 3... of the
    kind named, until a build finishes. After each kill package/ledger/record are one of STATES,
    no temporary is left, and the next build puts all right. Returns (point, state)."""
    from deckbuilder.ledger import read_ledger

    write_synthetic_deck(tmp_path, 30)
    (tmp_path / "out").mkdir()
    output, ledger = tmp_path / "out" / "deck.apkg", tmp_path / "cards.lock"
    files = _files(tmp_path, output)
    run_script(tmp_path, output, ledger, 1_700_000_000)
    old = {name: path.read_bytes() for name, path in files.items()}
    part = tmp_path / "cards" / "part-0000.yaml"
    part.write_text(part.read_text("utf-8").replace("- id: card-0\n",
                                                    "- id: card-0\n    notes: Edited.\n", 1))
    run_script(tmp_path, output, ledger, 1_700_086_400)
    new = {name: path.read_bytes() for name, path in files.items()}
    seen = []
    for target in range(1, 100):
        for name, path in files.items():
            path.write_bytes(old[name])
        killed = subprocess.run(
            [sys.executable, "-c", _KILL_AT, *script_command(tmp_path, output, ledger)[1:]],
            env={**script_env(1_700_086_400), "KILL_AT": str(target), "KILL_POINTS": points},
            capture_output=True, text=True)
        if killed.returncode == 0:
            break
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        point = killed.stderr.rsplit("killed before ", 1)[1].strip().replace(str(tmp_path), "")
        state = _state(old, new, {name: path.read_bytes() for name, path in files.items()})
        assert state in STATES, (point, state)
        seen.append((point, state))
        # Killed between naming a temporary and renaming it: a file named with the dead pid,
        # which the next build removes. Build again: the pair comes out whole.
        repaired = subprocess.run(script_command(tmp_path, output, ledger),
                                  env=script_env(1_700_086_400), capture_output=True, text=True)
        assert repaired.returncode == 0, repaired.stderr
        assert ("not the package the ledger records" in repaired.stderr) == (
            state == "new/old/old")
        assert {name: path.read_bytes() for name, path in files.items()} == new
        assert read_ledger(ledger).package == hashlib.sha256(output.read_bytes()).hexdigest()
        assert sorted(os.listdir(tmp_path / "out")) == ["deck.apkg"]
        assert sorted(os.listdir(tmp_path)) == ["cards", "cards.lock", "cards.shipped", "media",
                                                "out"]
    else:
        pytest.fail("the build never finished")
    print("\n".join(f"{state}  {point}" for point, state in seen))
    return seen


@pytest.mark.slow
def test_killed_at_every_write(tmp_path: Path):
    """Killed before each os call that changes a file (open, sync, link, rename...)."""
    seen = _kill_at_each_point(tmp_path, "calls")
    states = [state for _, state in seen]
    assert {"old/old/old", "new/old/old", "new/new/old"} <= set(states) and len(states) >= 8
    points = [point for point, _ in seen]
    # The three renames were among them: killed before the package's, all old; before the
    # ledger's, a new package beside the old ledger; before the record's, a new pair beside the
    # old record; the next build repaired each (checked above).
    renames = {name: [seen[i][1] for i, p in enumerate(points) if p.startswith(f"replace {at}")]
               for name, at in (("package", "/out/.deck.apkg."), ("ledger", "/.cards.lock."),
                                ("record", "/.cards.shipped."))}
    assert renames == {"package": ["old/old/old"], "ledger": ["new/old/old"],
                       "record": ["new/new/old"]}


@pytest.mark.slow
def test_killed_at_every_chunk_written(tmp_path: Path):
    """Killed before each write of content into the package's, the ledger's or the record's
    temporary: all are written in full before any is moved in, so every kill leaves all old."""
    seen = _kill_at_each_point(tmp_path, "chunks")
    folders = {point.rsplit(" into ", 1)[1].rsplit("/", 1)[0] for point, _ in seen}
    assert folders == {"/out", ""}  # the package's folder and the ledger's
    assert {state for _, state in seen} == {"old/old/old"}
