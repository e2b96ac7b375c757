"""Reading the tool's input files: regular files only, of a stated size at most.

A FIFO would block a build forever, /dev/zero would fill the memory, a folder or a symlink loop
raises in places that expect bytes; each is refused here with words a person can act on.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# Card files and deck.yaml: a 50 MB file of dense Markdown already takes a minute to render.
MAX_TEXT_FILE = 64 << 20
# A media file goes into every learner's collection and every sync; AnkiWeb refuses to sync
# files over 100 MB, so larger ones never reach a learner's other devices.
MAX_MEDIA_FILE = 100 << 20


class InputFileError(Exception):
    """Why a file cannot be read, in a person's words (the path is added by the caller)."""


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.0f} MB"


def check_regular(path: Path, limit: int) -> os.stat_result:
    """The file's stat, or InputFileError if it is not a regular file of at most limit bytes."""
    try:
        info = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputFileError("is a symbolic link loop") from None
        raise InputFileError(f"cannot read: {e.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError("is not a regular file (a pipe, a device or a socket); "
                             "use an ordinary file")
    if info.st_size > limit:
        raise InputFileError(f"is {_mb(info.st_size)}, larger than the {_mb(limit)} allowed")
    return info


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most limit bytes; InputFileError otherwise.

    Opened without blocking, so a FIFO put in the file's place after the check cannot hang us,
    and read no further than the limit, should the file grow meanwhile.
    """
    check_regular(path, limit)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise InputFileError(f"cannot read: {e.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError("is not a regular file (a pipe, a device or a socket); "
                                 "use an ordinary file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputFileError(f"cannot read: {e.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputFileError(f"is larger than the {_mb(limit)} allowed")
    return data
