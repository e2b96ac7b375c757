"""Bad input: exit 1 and a message naming file, line and card; never a traceback."""

from __future__ import annotations

from click.testing import CliRunner
from helpers import DECK_YAML, GOOD

from deckbuilder.cli import cli


def _run(deck_dir, text):
    deck_dir.write("treaty.yaml", text)
    return CliRunner().invoke(cli, deck_dir.args())


def test_all_problems_reported_in_one_pass(deck_dir):
    result = _run(deck_dir, "cards:\n  - id: a\n    front: Q\n"
                            "  - id: b\n    cloze: nothing\n  - id: c\n    front: Q\n    back: A\n"
                            "    sources: [nope]\n")
    assert result.exit_code == 1
    assert "card 'a': has no 'back'" in result.output
    assert "card 'b': 'cloze' has no deletion" in result.output
    assert "card 'c': unknown source 'nope'" in result.output
    assert "3 problems found; nothing was written." in result.output


def test_duplicate_id_names_both_places(deck_dir):
    deck_dir.write("other.yaml", GOOD)
    result = _run(deck_dir, GOOD)
    assert result.exit_code == 1
    assert "treaty.yaml:2:5: card 'good-card': duplicate id; first used at " in result.output
    assert "other.yaml:2" in result.output


def test_deck_file_problems(deck_dir):
    deck_dir.write("deck.yaml", DECK_YAML.replace("id: 1234567890", "id: twelve")
                   + "colour: red\n")
    deck_dir.write("treaty.yaml", GOOD)
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1
    assert "deck.yaml:2:1: 'id' must be a whole number, not text" in result.output
    assert "deck.yaml:10:1: unknown key 'colour' in deck.yaml" in result.output


def test_missing_deck_file(deck_dir):
    (deck_dir.cards / "deck.yaml").unlink()
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1
    assert "deck.yaml: missing" in result.output


def test_media_folder_given_as_image(deck_dir):
    (deck_dir.media / "folder.png").mkdir()
    result = _run(deck_dir, GOOD.replace("back: An answer",
                                         "back: An answer\n    image: folder.png"))
    assert result.exit_code == 1
    assert "image 'folder.png' is not a file" in result.output


def test_wrong_media_kind(deck_dir):
    result = _run(deck_dir, GOOD.replace("back: An answer",
                                         "back: An answer\n    image: name.wav"))
    assert result.exit_code == 1
    assert "image 'name.wav' has a type Anki cannot show as image" in result.output


def test_usage_errors_exit_2(deck_dir):
    result = CliRunner().invoke(cli, ["--no-such-option"])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["build", "--cards"])
    assert result.exit_code == 2


def test_missing_cards_folder(tmp_path):
    (tmp_path / "media").mkdir()
    result = CliRunner().invoke(cli, ["--cards", str(tmp_path / "nope"), "--media",
                                      str(tmp_path / "media"), "-o", str(tmp_path / "x.apkg")])
    assert result.exit_code == 1
    assert "no such folder of cards" in result.output


def test_deck_name_must_be_one_line(deck_dir):
    deck_dir.write("deck.yaml", DECK_YAML.replace("name: Test Treaty Deck",
                                                  'name: "Test\\tTreaty"'))
    deck_dir.write("treaty.yaml", GOOD)
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1
    assert "deck.yaml:1:1: 'name' must be one line of text, without tabs" in result.output


def test_file_ending_inside_a_flow_list(deck_dir):
    result = _run(deck_dir, "[")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "treaty.yaml:2:1: YAML syntax error" in result.output
