"""Every fixture: the test deck written to tmp_path (deck_dir, release_dir at 1.0.0), built there
(built) or previewed (preview_page); the treaty deck built (treaty_build); a large generated deck
built for the crash tests (large_build); a real, empty Anki collection to import into."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    DECK_YAML,
    REPO,
    BuiltDeck,
    DeckDir,
    run_build,
    run_script,
    write_deck,
    write_synthetic_deck,
)
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
def release_dir(deck_dir):
    """The test deck at version 1.0.0."""
    (deck_dir.cards / "deck.yaml").write_text(DECK_YAML + "version: 1.0.0\n", encoding="utf-8")
    return deck_dir


@pytest.fixture
def preview_page(tmp_path) -> Path:
    """The test deck's preview page, written to tmp_path."""
    from deckbuilder.preview import preview

    cards_dir, media_dir = write_deck(tmp_path)
    path = tmp_path / "preview.html"
    path.write_text(preview(cards_dir, media_dir).html, "utf-8")
    return path


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
    """The treaty deck (a copy of cards/, media/, cards.lock and cards.shipped) built; returns
    the copy's root, with deck.apkg and output.txt, what the build printed."""
    from deckbuilder.cli import cli

    root = tmp_path_factory.mktemp("real-deck")
    shutil.copytree(REPO / "cards", root / "cards")
    shutil.copytree(REPO / "media", root / "media")
    shutil.copy(REPO / "cards.lock", root / "cards.lock")
    shutil.copy(REPO / "cards.shipped", root / "cards.shipped")
    result = CliRunner().invoke(cli, ["--cards", str(root / "cards"), "--media",
                                      str(root / "media"), "-o", str(root / "deck.apkg")])
    assert result.exit_code == 0, result.output
    (root / "output.txt").write_text(result.output)
    return root


# The crash tests' large deck: big enough that a kill from outside lands while it writes.
LARGE_DECK_CARDS = 20_000


@pytest.fixture(scope="module")
def large_build(tmp_path_factory) -> dict:
    """A large deck built once (old), then edited; the bytes its next build (new) must give:
    package, ledger and record of what we shipped."""
    root = tmp_path_factory.mktemp("crash")
    write_synthetic_deck(root, LARGE_DECK_CARDS)
    (root / "out").mkdir()
    old_epoch, new_epoch = 1_700_000_000, 1_700_086_400
    run_script(root, root / "out" / "deck.apkg", root / "cards.lock", old_epoch)
    old = {"package": (root / "out" / "deck.apkg").read_bytes(),
           "ledger": (root / "cards.lock").read_bytes(),
           "record": (root / "cards.shipped").read_bytes()}
    # Edit a card and the whole collection changes: a torn write cannot pass for either build.
    part = root / "cards" / "part-0000.yaml"
    part.write_text(part.read_text("utf-8").replace("- id: card-0\n",
                                                    "- id: card-0\n    notes: Edited.\n", 1))
    scratch = root / "scratch"
    scratch.mkdir()
    shutil.copy(root / "cards.lock", scratch / "cards.lock")
    shutil.copy(root / "cards.shipped", scratch / "cards.shipped")
    seconds = run_script(root, scratch / "deck.apkg", scratch / "cards.lock", new_epoch)
    new = {"package": (scratch / "deck.apkg").read_bytes(),
           "ledger": (scratch / "cards.lock").read_bytes(),
           "record": (scratch / "cards.shipped").read_bytes()}
    shutil.rmtree(scratch)
    assert all(new[kind] != old[kind] for kind in new)
    return {"root": root, "old": old, "new": new, "seconds": seconds, "epoch": new_epoch}
