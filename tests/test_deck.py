"""The real treaty deck: it builds, its committed ledger is current, and it imports as the
README says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import import_package
from test_content import MAPS_AWAITING_CARDS

from build_deck import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of cards/, media/ and cards.lock, built; returns the copy's root."""
    root = tmp_path_factory.mktemp("real-deck")
    shutil.copytree(ROOT / "cards", root / "cards")
    shutil.copytree(ROOT / "media", root / "media")
    shutil.copy(ROOT / "cards.lock", root / "cards.lock")
    result = CliRunner().invoke(cli, ["--cards", str(root / "cards"), "--media",
                                      str(root / "media"), "-o", str(root / "deck.apkg")])
    assert result.exit_code == 0, result.output
    (root / "output.txt").write_text(result.output)
    return root


def _readme_counts() -> tuple[int, int, int]:
    match = re.search(r"(\d+) notes, (\d+) cards, (\d+) media files",
                      (ROOT / "README.md").read_text().split("## The deck", 1)[1])
    assert match, "README's 'The deck' section states the counts"
    notes, cards, media = map(int, match.groups())
    return notes, cards, media


def test_committed_ledger_is_current(built):
    # A stale cards.lock would give learners needless updates; rebuild and commit it.
    assert "0 new, 0 updated" in (built / "output.txt").read_text()
    assert (built / "cards.lock").read_bytes() == (ROOT / "cards.lock").read_bytes()


def test_real_deck_imports_with_the_counts_the_readme_states(built, collection):
    notes, cards, media = _readme_counts()
    assert f"{notes} notes, {cards} cards, {media} media files" in (
        built / "output.txt").read_text()
    log = import_package(collection, built / "deck.apkg")
    assert len(log.new) == notes
    assert collection.note_count() == notes and collection.card_count() == cards
    arrived = sorted(p.name for p in Path(collection.media.dir()).iterdir())
    assert len(arrived) == media
    used = {p.stem for p in (ROOT / "media").iterdir() if p.suffix != ".md"}
    used -= {f"map-{key}" for key in MAPS_AWAITING_CARDS}  # drawn, but no card shows them yet
    assert {name.rsplit("-", 1)[0] for name in arrived} == used
    check = collection.media.check()
    assert check.missing == [] and check.unused == []
    assert collection.get_empty_cards().notes == []
