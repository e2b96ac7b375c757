"""The JSON Schemas editors use for card files: valid schemas that agree with the build."""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import CARDS_YAML, DECK_YAML, deck_media, write_deck

from deckbuilder import DeckError

REPO = Path(__file__).resolve().parent.parent
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _schema(name: str) -> dict:
    return json.loads(resources.files("deckbuilder.source").joinpath(name).read_text("utf-8"))


CARD_SCHEMA, DECK_SCHEMA = _schema("cards.schema.json"), _schema("deck.schema.json")


def _errors(schema: dict, text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


def _load_deck(cards_dir: Path, media_dir: Path):
    # Imported here: a schema the build refuses stops the import, and should fail only the
    # keyword test below, with its message.
    from deckbuilder.source import load_deck

    return load_deck(cards_dir, media_dir)


def _schema_for(path: Path) -> dict:
    return DECK_SCHEMA if path.name == "deck.yaml" else CARD_SCHEMA


@pytest.mark.parametrize("schema", [CARD_SCHEMA, DECK_SCHEMA], ids=["cards", "deck"])
def test_schemas_are_valid_json_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _card_files(tmp_path: Path) -> list[Path]:
    """The real cards/*.yaml, or the test deck while the real ones are not on this branch."""
    real = sorted((REPO / "cards").glob("*.yaml"))
    if real:
        return real
    cards_dir, _ = write_deck(tmp_path)
    shutil.copytree(REPO / "deckbuilder", tmp_path / "deckbuilder",
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return sorted(cards_dir.glob("*.yaml"))


def test_schema_accepts_every_card_file(tmp_path):
    files = _card_files(tmp_path)
    assert len(files) >= 2 and any(f.name == "deck.yaml" for f in files)
    for path in files:
        text = path.read_text("utf-8")
        assert _errors(_schema_for(path), text) == [], path


def test_every_card_file_names_its_schema(tmp_path):
    """The first line tells editors (yaml-language-server) which schema to check against."""
    files = _card_files(tmp_path)
    assert files
    for path in files:
        first = path.read_text("utf-8").splitlines()[0]
        match = SCHEMA_LINE.match(first)
        assert match, f"{path}: first line should be '# yaml-language-server: $schema=...'"
        target = (path.parent / match.group(1)).resolve()
        expected = "deck.schema.json" if path.name == "deck.yaml" else "cards.schema.json"
        assert target.name == expected and target.is_file(), path


def _card(*lines: str, card_id: str = "a") -> str:
    return f"cards:\n  - id: {card_id}\n" + "".join(f"    {line}\n" for line in lines)


# (card file, what the schema says, what the build says): both must reject.
BAD_CARD_FILES = [
    (_card("front: f", "anwser: b"), "Additional properties are not allowed ('anwser'",
     "unknown key 'anwser'"),
    (_card("front: f", "back: [1950]"), "is not of type 'string'", "'back' must be text"),
    (_card("front: true", "back: b"), "True is not of type 'string'",
     "'front' must be text, not yes/no (put it in quotes)"),
    (_card("front: f", "back: b", "reverse: maybe"), "'maybe' is not of type 'boolean'",
     "'reverse' must be true or false"),
    (_card("front: f", "back: b", "cloze: '{{c1::x}}'"), "is not valid under any of the given",
     "has both 'front'/'back' and 'cloze'"),
    (_card("cloze: '{{c1::x}}'", "reverse: true"), "is not valid under any of the given",
     "'reverse' only applies to front/back cards"),
    (_card("front: f", "back: b", "extra: e"), "is not valid under any of the given",
     "'extra' belongs to cloze cards"),
    (_card("front: f"), "is not valid under any of the given", "has no 'back'"),
    (_card("front: f", "back: b", card_id="Signing_Date"), "does not match",
     "'id' 'Signing_Date' is not valid"),
    (_card("front: f", "back: b", card_id="-date"), "does not match", "'id' '-date' is not valid"),
    ("cards:\n  - front: f\n    back: b\n", "'id' is a required property", "card has no 'id'"),
    (_card("front: '   '", "back: b"), "does not match '\\\\S'", "'front' is empty"),
    (_card("front: f", "back: b", "tags: [two words]"), "does not match",
     "'tags' item 1 'two words' is not valid"),
    (_card("front: f", "back: b", "sources: []"), "should be non-empty", "'sources' must not be"),
    ("cards: []\n", "should be non-empty", "'cards' must not be empty"),
    ("tags: [x]\n", "'cards' is a required property", "has no 'cards:' list"),
]

BAD_DECK_FILES = [
    (DECK_YAML.replace("name: Test Treaty Deck", "title: Test Treaty Deck"),
     "Additional properties are not allowed ('title'", "unknown key 'title'"),
    (DECK_YAML.replace("id: 1234567890", "id: 0"), "less than the minimum of 1",
     "'id' must be a whole number from 1 to 9007199254740991, not 0"),
    (DECK_YAML.replace("id: 1234567890", "id: 99999999999999999999"),
     "greater than the maximum", "'id' must be a whole number from 1"),
    (DECK_YAML.replace("id: 1234567890", "id: twelve"), "is not of type 'integer'",
     "'id' must be a whole number"),
    (DECK_YAML.replace("url: https://", "url: ftp://"), "does not match", "'url' 'ftp://"),
    (DECK_YAML.replace("  westad:", "  Westad:"), "does not match", "source key 'Westad'"),
]


@pytest.mark.parametrize(("text", "schema_says", "build_says"), BAD_CARD_FILES)
def test_schema_and_build_reject_bad_card_files(tmp_path, text, schema_says, build_says):
    errors = _errors(CARD_SCHEMA, text)
    assert any(schema_says in e for e in errors), errors
    write_deck(tmp_path, {"treaty.yaml": text}, deck_media())
    with pytest.raises(DeckError) as raised:
        _load_deck(tmp_path / "cards", tmp_path / "media")
    assert build_says in str(raised.value)


@pytest.mark.parametrize(("text", "schema_says", "build_says"), BAD_DECK_FILES)
def test_schema_and_build_reject_bad_deck_files(tmp_path, text, schema_says, build_says):
    errors = _errors(DECK_SCHEMA, text)
    assert any(schema_says in e for e in errors), errors
    write_deck(tmp_path, deck_yaml=text)
    with pytest.raises(DeckError) as raised:
        _load_deck(tmp_path / "cards", tmp_path / "media")
    assert build_says in str(raised.value)


GOOD_CARD_FILES = [
    CARDS_YAML,
    _card("cloze: '{{c1::x}} and {{c2::y::hint}}'", "extra: e", "tags: ['a::b']"),
    _card("front: f", "back: b", "reverse: false", "retired: true", "notes: n"),
    _card("front: In which year?", "back: 1950"),  # a number to editors, text to the build
]


@pytest.mark.parametrize("text", GOOD_CARD_FILES)
def test_schema_and_build_accept_good_card_files(tmp_path, text):
    write_deck(tmp_path, {"treaty.yaml": text}, deck_media())
    _load_deck(tmp_path / "cards", tmp_path / "media")
    assert _errors(CARD_SCHEMA, text) == []


@pytest.mark.parametrize("name", ["cards.schema.json", "deck.schema.json"])
def test_the_build_checks_every_keyword_the_schemas_use(name):
    """A keyword the build's checker does not implement would pass bad cards silently."""
    from deckbuilder.source.schema import unknown_keywords

    text = resources.files("deckbuilder.source").joinpath(name).read_text("utf-8")
    assert unknown_keywords(json.loads(text)) == []


def test_a_schema_keyword_the_checker_lacks_is_refused():
    from deckbuilder.source.schema import UnknownKeyword, load_schema

    schema = json.loads(json.dumps(CARD_SCHEMA))
    schema["$defs"]["text"]["maxLength"] = 5
    schema["$defs"]["card"]["oneOf"][0]["not"]["anyOf"][0]["const"] = 1
    with pytest.raises(UnknownKeyword) as caught:
        load_schema(json.dumps(schema), "cards.schema.json")
    assert str(caught.value) == (
        "cards.schema.json: the build does not check #/$defs/text/maxLength, "
        "#/$defs/card/oneOf/0/not/anyOf/0/const; implement it in deckbuilder/source/schema.py or "
        "remove it")
    # Keywords only for editors are allowed.
    schema = json.loads(json.dumps(CARD_SCHEMA))
    schema["$defs"]["text"]["title"] = "Markdown text"
    assert load_schema(json.dumps(schema))["$defs"]["text"]["title"] == "Markdown text"
