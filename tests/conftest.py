"""Fixtures: the test deck written to tmp_path or built there, the treaty deck built, and a real
Anki collection to import into."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, BuiltDeck, DeckDir, run_build, write_deck
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


@pytest.fixture(scope="module")
def treaty_build(tmp_path_factory) -> Path:
    """The treaty deck (a copy of cards/, media/ and cards.lock) built; returns the copy's root,
    with deck.apkg and output.txt, what the build printed."""
    from deckbuilder.cli import cli

    root = tmp_path_factory.mktemp("real-deck")
    shutil.copytree(REPO / "cards", root / "cards")
    shutil.copytree(REPO / "media", root / "media")
    shutil.copy(REPO / "cards.lock", root / "cards.lock")
    result = CliRunner().invoke(cli, ["--cards", str(root / "cards"), "--media",
                                      str(root / "media"), "-o", str(root / "deck.apkg")])
    assert result.exit_code == 0, result.output
    (root / "output.txt").write_text(result.output)
    return root
