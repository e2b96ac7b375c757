"""Where things are by default: the deck file, the ledger, and what the commands write."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

DECK_FILE = "deck.yaml"
LEDGER_NAME = "cards.lock"
SHIPPED_NAME = "cards.shipped"  # the record of every note shipped, beside the ledger
# How to get a ledger back, in every message that refuses one.
RECOVER = ("restore it from version control (git checkout -- cards.lock), or rebuild it from "
           "the package you last released: build-deck ledger --from RELEASED.apkg")


def slug(name: str) -> str:
    """A file name for the deck: 'Sino-Soviet Treaty of 1950' -> 'sino-soviet-treaty-of-1950'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "deck"


def default_output(deck_name: str, suffix: str = ".apkg") -> Path:
    """Where commands write by default: dist/<deck-slug><suffix>."""
    return Path("dist") / f"{slug(deck_name)}{suffix}"


def default_ledger(cards_dir: Path) -> Path:
    """The ledger sits beside cards/, so it is committed with them."""
    return Path(cards_dir).resolve().parent / LEDGER_NAME
