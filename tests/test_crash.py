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
    package = (root / "out" / "deck.apkg").read_bytes()
    ledger = (root / "cards.lock").read_bytes()
    state = ("old" if package == old["package"] else "new" if package == new["package"] else "torn",
             "old" if ledger == old["ledger"] else "new" if ledger == new["ledger"] else "torn")
    # The package is moved in first, so a new ledger never stands beside an old package; a new
    # package beside the old ledger (killed between the two renames) is noticed and repaired.
    assert state in {("old", "old"), ("new", "old"), ("new", "new")}, state
    assert sorted(os.listdir(root / "out")) == ["deck.apkg"]
    assert sorted(os.listdir(root)) == ["cards", "cards.lock", "media", "out"]
    (root / "out" / "deck.apkg").write_bytes(old["package"])
    (root / "cards.lock").write_bytes(old["ledger"])
    return "/".join(state)


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
    # Both files are written before either is moved into place: killed while writing either,
    # nothing is replaced.
    assert state == "old/old"


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
    """Build the edited deck over the old pair, killed before write point 1, 2, 3... of the
    kind named, until a build finishes. After each kill the pair is old/old, new/old or new/new,
    no temporary is left, and the next build puts the pair right. Returns (point, state)."""
    from deckbuilder.ledger import read_ledger

    write_synthetic_deck(tmp_path, 30)
    (tmp_path / "out").mkdir()
    output, ledger = tmp_path / "out" / "deck.apkg", tmp_path / "cards.lock"
    run_script(tmp_path, output, ledger, 1_700_000_000)
    old = {"package": output.read_bytes(), "ledger": ledger.read_bytes()}
    part = tmp_path / "cards" / "part-0000.yaml"
    part.write_text(part.read_text("utf-8").replace("- id: card-0\n",
                                                    "- id: card-0\n    notes: Edited.\n", 1))
    run_script(tmp_path, output, ledger, 1_700_086_400)
    new = {"package": output.read_bytes(), "ledger": ledger.read_bytes()}
    seen = []
    for target in range(1, 100):
        output.write_bytes(old["package"])
        ledger.write_bytes(old["ledger"])
        killed = subprocess.run(
            [sys.executable, "-c", _KILL_AT, *script_command(tmp_path, output, ledger)[1:]],
            env={**script_env(1_700_086_400), "KILL_AT": str(target), "KILL_POINTS": points},
            capture_output=True, text=True)
        if killed.returncode == 0:
            break
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        point = killed.stderr.rsplit("killed before ", 1)[1].strip().replace(str(tmp_path), "")
        package_now, ledger_now = output.read_bytes(), ledger.read_bytes()
        state = "/".join("old" if data == old[kind] else "new" if data == new[kind] else "torn"
                         for kind, data in (("package", package_now), ("ledger", ledger_now)))
        assert state in {"old/old", "new/old", "new/new"}, (point, state)
        seen.append((point, state))
        # Killed between naming a temporary and renaming it: a file named with the dead pid,
        # which the next build removes. Build again: the pair comes out whole.
        repaired = subprocess.run(script_command(tmp_path, output, ledger),
                                  env=script_env(1_700_086_400), capture_output=True, text=True)
        assert repaired.returncode == 0, repaired.stderr
        assert ("not the package the ledger records" in repaired.stderr) == (state == "new/old")
        assert (output.read_bytes(), ledger.read_bytes()) == (new["package"], new["ledger"])
        assert read_ledger(ledger).package == hashlib.sha256(output.read_bytes()).hexdigest()
        assert sorted(os.listdir(tmp_path / "out")) == ["deck.apkg"]
        assert sorted(os.listdir(tmp_path)) == ["cards", "cards.lock", "media", "out"]
    else:
        pytest.fail("the build never finished")
    print("\n".join(f"{state}  {point}" for point, state in seen))
    return seen


@pytest.mark.slow
def test_killed_at_every_write(tmp_path: Path):
    """Killed before each os call that changes a file (open, sync, link, rename...)."""
    seen = _kill_at_each_point(tmp_path, "calls")
    states = [state for _, state in seen]
    assert "new/old" in states and "old/old" in states and len(states) >= 8
    points = [point for point, _ in seen]
    # Both renames were among them: killed before the package's, both old; between the two, a
    # new package beside the old ledger; the next build repaired that (checked above).
    (package_rename,) = [i for i, p in enumerate(points)
                         if p.startswith("replace /out/.deck.apkg.")]
    (ledger_rename,) = [i for i, p in enumerate(points) if p.startswith("replace /.cards.lock.")]
    assert seen[package_rename][1] == "old/old" and seen[ledger_rename][1] == "new/old"


@pytest.mark.slow
def test_killed_at_every_chunk_written(tmp_path: Path):
    """Killed before each write of content into the package's or the ledger's temporary: both
    are written in full before either is moved in, so every kill leaves both old."""
    seen = _kill_at_each_point(tmp_path, "chunks")
    folders = {point.rsplit(" into ", 1)[1].rsplit("/", 1)[0] for point, _ in seen}
    assert folders == {"/out", ""}  # the package's folder and the ledger's
    assert {state for _, state in seen} == {"old/old"}
