"""Bad input: exit 1 and a message naming file, line and card; never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import DECK_YAML

from build_deck import cli
from deckbuilder.cards import load_deck
from deckbuilder.errors import DeckError

GOOD = """\
cards:
  - id: good-card
    front: A question
    back: An answer
    sources: [treaty-text]
"""

# (card file text, expected "line: card 'id': message" fragment of the error)
BAD_CARDS = [
    pytest.param("cards:\n  - id: a\n    front: [x\n",
                 "4:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow "
                 "sequence at line 3, column 12)", id="yaml-syntax"),
    pytest.param("", "1: the file is empty; it needs a 'cards:' list", id="empty-file"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    tags: [two words]\n",
                 "5:5: card 'a': 'tags' item 1 'two words' is not valid: An Anki tag: no spaces",
                 id="tag-with-space"),
    pytest.param("cards: some text\n", "1:1: 'cards' must be a list, not text",
                 id="cards-not-a-list"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: [one, two]\n",
                 "4:5: card 'a': 'back' must be text, not a list", id="wrong-type"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: yes\n",
                 "4:5: card 'a': 'back' must be text, not yes/no (put it in quotes)",
                 id="bool-for-text"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    bakc: A\n",
                 "4:5: card 'a': unknown key 'bakc' (did you mean 'back'?)", id="unknown-key"),
    pytest.param("cards:\n  - front: Q\n    back: A\n",
                 "2:5: card has no 'id'", id="missing-id"),
    pytest.param("cards:\n  - id: Bad Id\n    front: Q\n    back: A\n",
                 "2:5: card 'Bad Id': 'id' 'Bad Id' is not valid", id="bad-id"),
    pytest.param(GOOD + "  - id: good-card\n    front: Q2\n    back: A2\n",
                 "6:5: card 'good-card': duplicate id; first used at", id="duplicate-id"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    cloze: '{{c1::x}}'\n",
                 "2:5: card 'a': has both 'front'/'back' and 'cloze'", id="front-and-cloze"),
    pytest.param("cards:\n  - id: a\n    cloze: no deletion here\n",
                 "3:5: card 'a': 'cloze' has no deletion", id="cloze-without-deletion"),
    pytest.param("cards:\n  - id: a\n    cloze: '{{c0::x}}'\n",
                 "3:5: card 'a': cloze numbers start at 1", id="cloze-c0"),
    pytest.param("cards:\n  - id: a\n    cloze: '{{c1::x'\n",
                 "3:5: card 'a': a cloze deletion is not closed", id="cloze-unclosed"),
    pytest.param("cards:\n  - id: a\n    cloze: '{{c1::x}}'\n    reverse: true\n",
                 "4:5: card 'a': 'reverse' only applies to front/back cards",
                 id="reverse-on-cloze"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    sources: [treaty-txt]\n",
                 "5:5: card 'a': unknown source 'treaty-txt': define it under 'sources' in "
                 "deck.yaml (did you mean 'treaty-text'?)", id="unknown-source"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    image: missing.png\n",
                 "5:5: card 'a': image 'missing.png' not found in", id="missing-media"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    image: ../secret.png\n",
                 "5:5: card 'a': image '../secret.png' leaves media/", id="media-leaves-folder"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    audio: /etc/passwd\n",
                 "5:5: card 'a': audio '/etc/passwd' must be a file name in media/",
                 id="media-absolute"),
    pytest.param("cards:\n  - id: a\n    front: Q\n", "2:5: card 'a': has no 'back'",
                 id="front-without-back"),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    front: Q again\n",
                 "5:5: card 'a': key 'front' is given twice", id="duplicate-key"),
    pytest.param("cards: []\n", "1:1: 'cards' must not be empty", id="empty-list"),
    pytest.param("- id: a\n", "1: must be a mapping with a 'cards:' list, not a list",
                 id="top-level-list"),
]


def _run(deck_dir, text):
    deck_dir.write("treaty.yaml", text)
    return CliRunner().invoke(cli, deck_dir.args())


@pytest.mark.parametrize(("text", "expected"), BAD_CARDS)
def test_bad_card_file_through_cli(deck_dir, text, expected):
    result = _run(deck_dir, text)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "treaty.yaml:" in result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert "nothing was written" in result.output
    assert not deck_dir.output.exists() and not deck_dir.ledger.exists()


@pytest.mark.parametrize(("text", "expected"), BAD_CARDS)
def test_bad_card_file_in_core(deck_dir, text, expected):
    deck_dir.write("treaty.yaml", text)
    with pytest.raises(DeckError) as caught:
        load_deck(deck_dir.cards, deck_dir.media)
    assert expected in str(caught.value)


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
                                         "back: An answer\n    image: name.mp3"))
    assert result.exit_code == 1
    assert "image 'name.mp3' has a type Anki cannot show as image" in result.output


def test_usage_errors_exit_2(deck_dir):
    result = CliRunner().invoke(cli, ["--no-such-option"])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["build", "--cards"])
    assert result.exit_code == 2


def test_missing_cards_folder(tmp_path):
    result = CliRunner().invoke(cli, ["--cards", str(tmp_path / "nope"), "--media",
                                      str(tmp_path), "-o", str(tmp_path / "x.apkg")])
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
