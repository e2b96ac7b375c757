"""Write a file so that a failed or killed build leaves the old one as it was, and nothing else."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from deckbuilder.errors import Problems, display_path


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call write(file) on a temporary file beside path, then move it into place.

    A failed or killed build leaves the old file as it was, and no temporary file behind.
    """
    write_together([(path, write)])


def write_together(files: list[tuple[Path, Callable[[BinaryIO], object]]]) -> None:
    """Write every file to a temporary beside it, then move them all into place.

    Nothing is replaced until every file is written and synced: a write that fails (a full
    disk, a read-only folder) leaves all the old files as they were. Only a kill between the
    renames leaves the first files new and the rest old (the ledger records the package's
    digest, so the next build sees that).
    """
    for path, _ in files:
        refuse_special(Path(path))
    staged: list[Staged] = []
    try:
        for path, write in files:
            staged.append(Staged(Path(path), write))
        for one in staged:
            one.commit()
    finally:
        for one in staged:
            one.close()
    sync_folders(*(one.path.parent for one in staged))


def refuse_special(path: Path, fix: str = "") -> None:
    """Raise DeckError if path is a device, a pipe or a socket (such as /dev/null): the new
    file is moved into its place, which would replace the device itself."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # nothing there yet (or a folder in the way, which writing reports)
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    problems = Problems()
    problems.add(display_path(path), message="is not a regular file but a device, a pipe or a "
                 "socket: build-deck writes a new file and moves it into place, which would "
                 "replace it, so nothing was written. "
                 + (fix or f"Write to a file, such as dist/{Path(path).name}"))
    problems.raise_if_any()


def sync_folders(*folders: Path) -> None:
    """Make renames in these folders durable."""
    for folder in dict.fromkeys(Path(f) for f in folders):
        _sync_folder(folder)


class Staged:
    """One file written to a temporary beside its path, not yet in place."""

    def __init__(self, path: Path, write: Callable[[BinaryIO], object]):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(path)
        # On Linux the file is written unnamed (O_TMPFILE), so a build killed while writing
        # leaves nothing behind. It gets a name just before the rename; a build killed in that
        # instant leaves a file named with its pid, which the next build removes once that
        # process is gone. Elsewhere the file has that name from the start, and the same
        # clean-up applies.
        try:
            self.fd, self.temporary = _open_temporary(path)
        except OSError as e:  # name the file asked for, not our temporary beside it
            raise OSError(e.errno, e.strerror, str(path)) from None
        self.done = False
        try:
            mode = _file_mode(path)
            if self.temporary is None:
                os.fchmod(self.fd, mode)
            else:
                os.chmod(self.temporary, mode)
            with os.fdopen(self.fd, "r+b", closefd=False) as f:
                write(f)
                f.flush()
                os.fsync(self.fd)
        except BaseException:
            self.close()
            raise

    def sha256(self) -> str:
        """The digest of what was written, read back from the file itself."""
        digest, offset = hashlib.sha256(), 0
        while chunk := os.pread(self.fd, 1 << 20, offset):
            digest.update(chunk)
            offset += len(chunk)
        return digest.hexdigest()

    def commit(self) -> None:
        if self.temporary is None:
            self.temporary = _temporary_name(self.path)
            _link(self.fd, self.temporary)
        os.replace(self.temporary, self.path)
        self.done = True

    def close(self) -> None:
        if self.fd < 0:
            return
        if self.temporary is not None and not self.done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temporary)
        os.close(self.fd)
        self.fd = -1


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _open_temporary(path: Path) -> tuple[int, Path | None]:
    """An unnamed file in path's folder where the OS can, else a named one: (fd, name or None)."""
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
        try:
            return os.open(path.parent, os.O_TMPFILE | os.O_RDWR, 0o600), None
        except OSError:  # a file system without O_TMPFILE
            pass
    temporary = _temporary_name(path)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(temporary, flags, 0o600), temporary


def _link(fd: int, name: Path) -> None:
    """Give an unnamed file a name: linkat(AT_SYMLINK_FOLLOW) on its /proc/self/fd link (os.link
    only calls linkat, rather than link, when given a folder descriptor)."""
    folder = os.open(name.parent, os.O_RDONLY)
    try:
        os.link(f"/proc/self/fd/{fd}", name.name, dst_dir_fd=folder)
    finally:
        os.close(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable, where the OS lets a folder be opened and synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_temporaries(path: Path) -> None:
    """Remove temporary files of path left by killed builds (their process is gone)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)-[0-9a-f]+\.tmp")
    for entry in os.scandir(path.parent):
        match = pattern.fullmatch(entry.name)
        if match and not _process_exists(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _file_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual one for this user."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
