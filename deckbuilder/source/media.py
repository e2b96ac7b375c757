"""Media: which names a card may use, and the content-hashed files that go into the package."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from deckbuilder.errors import Problems, did_you_mean, display_path
from deckbuilder.files import MAX_MEDIA_FILE, InputFileError, check_regular, read_regular
from deckbuilder.source.model import Deck

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
AUDIO_TYPES = {".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".flac"}
_UNSAFE_NAME = re.compile(r'[\[\]<>:"/?*^\\|\s\x00-\x1f]')


def check_media(name: str, kind: str, media_dir: Path,
                allowed: set[str]) -> tuple[Path | None, str]:
    """Return (file, '') for a usable media file, or (None, what is wrong)."""
    if os.path.isabs(name) or name.startswith(("/", "\\")):
        return None, f"{kind} '{name}' must be a file name in media/, not an absolute path"
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        return None, f"{kind} '{name}' leaves media/ ('..' is not allowed)"
    path = media_dir / name
    try:
        inside = path.resolve().is_relative_to(media_dir.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, before Python 3.13
        return None, f"{kind} '{name}' is a symbolic link loop"
    if not inside:
        return None, f"{kind} '{name}' leaves media/ (through a link)"
    if not path.exists():
        if path.is_symlink():
            return None, (f"{kind} '{name}' is a link to a file that does not exist "
                          f"({os.readlink(path)}); put the file there, or the file itself in "
                          "media/")
        hint = did_you_mean(name, _media_names(media_dir))
        return None, f"{kind} '{name}' not found in {display_path(media_dir)}{hint}"
    if path.is_dir():
        return None, f"{kind} '{name}' is not a file"
    if path.suffix.lower() not in allowed:
        return None, (f"{kind} '{name}' has a type Anki cannot show as {kind}; "
                      f"use one of {', '.join(sorted(allowed))}")
    try:
        info = check_regular(path, MAX_MEDIA_FILE)
    except InputFileError as e:
        return None, f"{kind} '{name}' {e}"
    if info.st_size == 0:
        return None, f"{kind} '{name}' is an empty file"
    return path, ""


def _media_names(media_dir: Path) -> list[str]:
    try:
        return [p.name for p in media_dir.iterdir()]
    except OSError:
        return []


@dataclass(frozen=True, slots=True)
class MediaFile:
    name: str  # as the card names it
    package_name: str  # carries the content hash, so a changed file reaches learners
    path: Path
    digest: str
    data: bytes = field(repr=False, compare=False)


def media_files(deck: Deck) -> dict[str, MediaFile]:
    """Hash every media file the cards use, once each."""
    found = {}
    problems = Problems()
    for name, path in sorted(deck.media.items()):
        try:  # checked as the cards were read; changed since, it gets a second look
            data = read_regular(path, MAX_MEDIA_FILE)
        except InputFileError as e:
            problems.add(display_path(path), message=str(e))
            continue
        digest = hashlib.sha256(data).hexdigest()
        # Anki renames files whose names it finds unsafe on some system, which would leave the
        # card pointing at nothing: replace the characters it objects to, and spaces.
        stem = _UNSAFE_NAME.sub("-", path.stem)
        found[name] = MediaFile(name, f"{stem}-{digest[:12]}{path.suffix.lower()}", path,
                                digest, data)
    problems.raise_if_any()
    return found
