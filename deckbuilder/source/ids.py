"""Permanent ids: fresh ones for a new deck, and the ones no deck but their owner may use.

A note's guid is made from its deck's id, and a note type is matched by its id alone, so two
decks that share an id overwrite each other's notes or restyle each other's cards in a
learner's collection.
"""

from __future__ import annotations

import secrets

TREATY_NAME = "Sino-Soviet Treaty of 1950"
# The deck this tool was made for, and the note types every deck shared before each deck had
# its own: 1950021401 and 1950021402 stay the treaty deck's forever.
TREATY_IDS = {1950021400: "the deck id", 1950021401: "the Fact note type's id",
              1950021402: "the Cloze note type's id"}
# Ids that are copied, not chosen: genanki's documentation examples and the README's.
COPIED_IDS = {1607392319: "genanki's example note type id",
              2059400110: "genanki's example deck id",
              1111111111: "the README's placeholder id"}


def fresh_id() -> int:
    """A random id in the range genanki's documentation gives (2**30 to 2**31 - 1)."""
    return (1 << 30) + secrets.randbelow(1 << 30)


def borrowed_id(value: int, deck_name: str) -> str | None:
    """Why value cannot be this deck's id, or None when it can."""
    if value in COPIED_IDS:
        return f"{value} is {COPIED_IDS[value]}, which other decks copy too"
    if value in TREATY_IDS and deck_name != TREATY_NAME:
        return f"{value} is {TREATY_IDS[value]} of the deck '{TREATY_NAME}'"
    return None
