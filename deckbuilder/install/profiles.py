"""Where a learner's Anki keeps its profiles, and which collection to install into."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from deckbuilder.errors import DeckError, Problem

COLLECTION = "collection.anki2"


@dataclass(frozen=True)
class Target:
    """The collection to install into and the profile folder it lives in (backups, reports)."""

    collection: Path

    @property
    def profile(self) -> Path:
        return self.collection.parent

    @property
    def backups(self) -> Path:
        return self.profile / "backups"  # where Anki desktop keeps the profile's own

    @property
    def reports(self) -> Path:
        return self.profile / "build-deck"


def anki_folders(environ: dict[str, str] | None = None) -> list[Path]:
    """Where Anki desktop keeps its profiles on this system, in the order looked at."""
    env = os.environ if environ is None else environ
    if env.get("ANKI_BASE"):
        return [Path(env["ANKI_BASE"])]
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":
        return [Path(env.get("APPDATA") or home / "AppData" / "Roaming") / "Anki2"]
    if sys.platform == "darwin":
        return [home / "Library" / "Application Support" / "Anki2"]
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return [data / "Anki2", home / ".var" / "app" / "net.ankiweb.Anki" / "data" / "Anki2"]


def profiles(base: Path) -> list[str]:
    """The profiles in an Anki folder: its subfolders holding a collection."""
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / COLLECTION).is_file())


def find_target(profile: str | None = None, collection: Path | None = None,
                base: Path | None = None, environ: dict[str, str] | None = None) -> Target:
    """The collection named by --collection, or the profile's. Raises DeckError, listing the
    profiles, when there is none or several to choose from."""
    if collection is not None:
        if not Path(collection).is_file():
            what = ("no such collection file" if not Path(collection).exists() else
                    "is not a regular file (a device, a pipe or a socket)")
            raise DeckError([Problem(str(collection), message=f"{what}; name an Anki "
                                     "collection (collection.anki2 in a profile folder)")])
        return Target(Path(collection).resolve())
    folders = [Path(base)] if base is not None else anki_folders(environ)
    found = next((f for f in folders if profiles(f)), None)
    if found is None:
        looked = ", ".join(str(f) for f in folders)
        raise DeckError([Problem(looked, message="no Anki profile found here; run Anki once to "
                                 "make one, or say where Anki keeps its profiles with --base "
                                 "(or ANKI_BASE), or name the file with --collection")])
    names = profiles(found)
    listed = ", ".join(names)
    if profile is None:
        if len(names) > 1:
            raise DeckError([Problem(str(found), message=f"several profiles: {listed}; choose "
                                     "one with --profile NAME")])
        profile = names[0]
    if profile not in names:
        raise DeckError([Problem(str(found), message=f"no profile '{profile}'; the profiles "
                                 f"are: {listed}")])
    return Target((found / profile / COLLECTION).resolve())
