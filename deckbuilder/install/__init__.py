"""Install: a release applied inside a learner's own collection, by content, not by clocks.

read_package reads a package of ours; apply_release is the core (an open Anki collection and a
package, no process concerns: it could run inside Anki); install runs it on a closed
collection file with a backup, one transaction and a conflicts report; find_target finds the
profile's collection."""

from deckbuilder.install.apply import CONFIG_KEY, Conflict, Options, Summary, apply_release
from deckbuilder.install.contents import RECORD_MEMBER, Package, read_package
from deckbuilder.install.profiles import Target, anki_folders, find_target, profiles
from deckbuilder.install.runner import (
    OPENS_WITH,
    SCHEMA,
    Installed,
    check_collection,
    install,
    last_report,
)

__all__ = ["CONFIG_KEY", "OPENS_WITH", "RECORD_MEMBER", "SCHEMA", "Conflict", "Installed",
           "Options", "Package", "Summary", "Target", "anki_folders", "apply_release",
           "check_collection", "find_target", "install", "last_report", "profiles",
           "read_package"]
