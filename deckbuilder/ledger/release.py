"""Releases: the deck's version, and the names and kinds of what a release does to a card.

The ledger records, per release, what happened to each card (new, corrected with its reason,
reworded, retired) and every rename; changelog.py tells learners and authors about it.
"""

from __future__ import annotations

import re

NEW, CORRECTED, REWORDED, RETIRED = "new", "corrected", "reworded", "retired"
CHANGE_KINDS = (NEW, CORRECTED, REWORDED, RETIRED)
VERSION_RE = re.compile(r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")) if version else ()


def correction_tag(version: str) -> str:
    return f"build-deck::corrected::v{version}"
