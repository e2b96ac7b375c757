"""No output of any command writes over an input (issue 19, item 4): a card file, deck.yaml,
the ledger, the record of what was shipped, a media file, a link to any of them, or the cards
or media folder. Each is refused with both paths named, exit 1, and nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckbuilder.cli import cli

# Every command with an output option, as it is given the output.
COMMANDS = {
    "build": lambda out: ["build", "-o", out],
    "check": lambda out: ["check", "-o", out],
    "preview": lambda out: ["preview", "-o", out],
    "changelog": lambda out: ["changelog", "-o", out],
}

# The output, and the input it would destroy (relative to the deck's root).
TARGETS = {
    "ledger": ("cards.lock", "cards.lock"),
    "deck.yaml": ("cards/deck.yaml", "cards/deck.yaml"),
    "card-file": ("cards/treaty.yaml", "cards/treaty.yaml"),
    "new-file-in-cards": ("cards/notes.md", "cards/notes.md"),
    "media-file": ("media/timeline.png", "media/timeline.png"),
    "shipped-record": ("cards.shipped", "cards.shipped"),
    "symlink-to-ledger": ("link.md", "cards.lock"),
    "dangling-symlink-into-cards": ("dangling.md", "cards/later.yaml"),
    "hard-link-to-card-file": ("hard.md", "cards/treaty.yaml"),
    "hard-link-to-media-file": ("hard.png", "media/timeline.png"),
}


def _inputs(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "dist" not in p.parts}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_output_writes_over_an_input(built, command, target):
    root = built.root
    (root / "cards.shipped").write_text("the record of what was shipped\n", "utf-8")
    os.symlink(root / "cards.lock", root / "link.md")
    os.symlink(root / "cards" / "later.yaml", root / "dangling.md")
    os.link(root / "cards" / "treaty.yaml", root / "hard.md")
    os.link(root / "media" / "timeline.png", root / "hard.png")
    output, destroyed = TARGETS[target]
    before = _inputs(root)
    result = CliRunner().invoke(cli, [*COMMANDS[command](str(root / output)),
                                      "--cards", str(root / "cards"),
                                      "--media", str(root / "media"),
                                      # preview has no --ledger: the default one is guarded
                                      *(["--ledger", str(root / "cards.lock")]
                                        if command != "preview" else [])])
    assert result.exit_code == 1, result.output
    assert "one of build-deck's own inputs" in result.output
    assert output in result.output and destroyed in result.output, result.output
    assert "Traceback" not in result.output
    assert _inputs(root) == before
    assert not (root / "cards" / "later.yaml").exists()


def test_ledger_from_never_writes_over_a_card_file(built):
    root = built.root
    before = _inputs(root)
    result = CliRunner().invoke(cli, ["ledger", "--from", str(built.package),
                                      "--cards", str(root / "cards"),
                                      "--media", str(root / "media"),
                                      "--ledger", str(root / "cards" / "deck.yaml")])
    assert result.exit_code == 1, result.output
    assert "cards/deck.yaml" in result.output and "--ledger cards.lock" in result.output
    assert _inputs(root) == before


@pytest.mark.parametrize("folder", ["cards", "media"])
def test_an_output_is_never_an_input_folder(built, folder):
    before = _inputs(built.root)
    result = CliRunner().invoke(cli, ["changelog", "-o", str(built.root / folder),
                                      "--cards", str(built.root / "cards"),
                                      "--ledger", str(built.ledger)])
    assert result.exit_code == 2 and "is a directory" in result.output, result.output
    assert _inputs(built.root) == before


def test_an_output_beside_the_inputs_is_written(built):
    result = CliRunner().invoke(cli, ["changelog", "-o", str(built.root / "CHANGELOG.md"),
                                      "--cards", str(built.root / "cards"),
                                      "--media", str(built.root / "media"),
                                      "--ledger", str(built.ledger)])
    assert result.exit_code == 0, result.output
    assert (built.root / "CHANGELOG.md").read_text("utf-8").startswith("# Test Treaty Deck")
