"""build-deck's core: files -> cards -> notes -> package. Never imports click."""

from deckbuilder.errors import DeckError, Problem

__all__ = ["DeckError", "Problem"]
