"""Fixtures: the test deck written to tmp_path, and a real Anki collection to import into."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import BuiltDeck, DeckDir, run_build, write_deck
from hypothesis import settings

# CI must not fail on an example no earlier run tried: there, property tests draw the same
# examples every time. Run them locally to explore new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def deck_dir(tmp_path: Path) -> DeckDir:
    deck = DeckDir(tmp_path / "deck")
    write_deck(deck.root)
    return deck


@pytest.fixture
def collection(tmp_path: Path):
    """A new, empty real Anki collection."""
    from anki.collection import Collection

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    yield col
    col.close()


@pytest.fixture
def built(tmp_path: Path) -> BuiltDeck:
    """The test deck built once by the CLI in tmp_path: cards/, media/, dist/deck.apkg and
    cards.lock."""
    write_deck(tmp_path)
    result = run_build(tmp_path)
    assert result.exit_code == 0, result.output
    deck = BuiltDeck(tmp_path)
    assert deck.package.is_file() and deck.ledger.is_file()
    return deck
