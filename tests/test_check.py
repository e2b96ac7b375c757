"""`build-deck check`: the build's validation, the build's messages, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from helpers import CARDS_YAML, write_deck

from deckbuilder.cli import cli


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _run(args: list[str], cwd: Path):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)  # so that build's default dist/ would land in the test's folder
    try:
        return runner.invoke(cli, args)
    finally:
        os.chdir(old)


def test_check_passes_on_a_good_deck_and_writes_nothing(tmp_path):
    cards_dir, media_dir = write_deck(tmp_path)
    before = _files(tmp_path)
    result = _run(["check", "--cards", str(cards_dir), "--media", str(media_dir)], tmp_path)
    assert result.exit_code == 0, result.output
    ok, *note = result.output.splitlines()
    assert ok == ("OK: 4 notes, 6 cards, 2 media files in 'Test Treaty Deck'; a build "
                  "would add 4, update 0 and retire 0.")
    # The test deck names no note types of its own: check says what it can do (test_new.py).
    assert note[0].startswith("Note: 'Test Treaty Deck' has no note types of its own")
    assert _files(tmp_path) == before


def test_check_reports_updates_after_a_build(tmp_path):
    cards_dir, media_dir = write_deck(tmp_path)
    args = ["--cards", str(cards_dir), "--media", str(media_dir)]
    assert _run(["build", *args], tmp_path).exit_code == 0
    edited = CARDS_YAML.replace("Stalin and Mao attended.", "Stalin and Mao were there.")
    (cards_dir / "treaty.yaml").write_text(edited, "utf-8")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = _run(["check", *args], tmp_path)
    assert result.exit_code == 0, result.output
    assert "would add 0, update 1 and retire 0" in result.output
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_check_catches_a_card_removed_since_the_last_build(tmp_path):
    cards_dir, media_dir = write_deck(tmp_path)
    args = ["--cards", str(cards_dir), "--media", str(media_dir)]
    assert _run(["build", *args], tmp_path).exit_code == 0
    without = CARDS_YAML[: CARDS_YAML.index("  - id: chinese-name")]
    (cards_dir / "treaty.yaml").write_text(without, "utf-8")
    result = _run(["check", *args], tmp_path)
    assert result.exit_code == 1
    assert "card 'chinese-name': was in the last build but is no longer in the cards" in (
        result.output)
    assert "retired: true" in result.output


def test_check_with_no_cards_folder_is_a_content_error(tmp_path):
    result = _run(["check", "--cards", str(tmp_path / "nope")], tmp_path)
    assert result.exit_code == 1
    assert "no such folder of cards" in result.output
    assert "Traceback" not in result.output
