"""The JSON Schemas editors use, and the subset of JSON Schema the build checks values with.

The schema editors see is also what the build checks keys, types and patterns against, so the
two cannot drift; the rules that span keys are checked by hand (cards.py, deckfile.py) for better
messages. A keyword this checker does not know would be ignored silently, so loading a schema
that uses one fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from deckbuilder.errors import Problems, did_you_mean
from deckbuilder.source import yamlfile

Schema = dict[str, Any]

# What _check_value enforces, value by value.
CHECKED = {"type", "minLength", "pattern", "minimum", "maximum", "minItems", "items",
           "uniqueItems"}
# Structure, and the rules checked by hand: unknown keys (additionalProperties: false), missing
# keys (required), a card being basic or cloze (oneOf/not/anyOf), source keys (propertyNames).
STRUCTURE = {"properties", "$defs", "$ref", "additionalProperties", "required", "oneOf", "anyOf",
             "not", "propertyNames"}
# Only for editors.
FOR_EDITORS = {"$schema", "$id", "title", "description"}
KNOWN_KEYWORDS = CHECKED | STRUCTURE | FOR_EDITORS
# Invisible control characters get past YAML as escapes ("\0", "\x1f"). Anki separates a note's
# fields with U+001F and SQLite text stops at NUL in places, so one would split or cut a note:
# refuse them all (tab and newline are text).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class UnknownKeyword(ValueError):
    """The schema uses a keyword the build's checker does not implement."""


def unknown_keywords(schema: object, where: str = "#") -> list[str]:
    """Every keyword in schema (and the schemas inside it) that the checker does not know."""
    if not isinstance(schema, dict):
        return []
    found = [f"{where}/{key}" for key in schema if key not in KNOWN_KEYWORDS]
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            found += unknown_keywords(sub, f"{where}/{key}/{name}")
    for key in ("items", "additionalProperties", "not", "propertyNames"):
        found += unknown_keywords(schema.get(key), f"{where}/{key}")
    for key in ("oneOf", "anyOf"):
        for i, sub in enumerate(schema.get(key, ())):
            found += unknown_keywords(sub, f"{where}/{key}/{i}")
    return found


def load_schema(text: str, name: str = "schema") -> Schema:
    """Parse a schema, refusing one with a keyword the checker would ignore."""
    schema = json.loads(text)
    unknown = unknown_keywords(schema)
    if unknown:
        raise UnknownKeyword(f"{name}: the build does not check {', '.join(unknown)}; "
                             "implement it in deckbuilder/source/schema.py or remove it")
    return schema


def _schema(name: str) -> Schema:
    # Read beside this module (it is never installed zipped): importlib.resources would cost
    # every run ~5 ms of imports.
    return load_schema(Path(__file__).with_name(name).read_text("utf-8"), name)


def _resolve(schema: Schema, root: Schema) -> Schema:
    """The schema with its $ref, and its items' $ref, replaced by what they point to."""
    while "$ref" in schema:
        ref = schema["$ref"]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**root["$defs"][ref.rsplit("/", 1)[1]], **extra}
    if "items" in schema:
        schema = {**schema, "items": _resolve(schema["items"], root)}
    if "properties" in schema:
        schema = {**schema, "properties": {k: _resolve(v, root)
                                           for k, v in schema["properties"].items()}}
    return schema


def schema_texts() -> dict[str, str]:
    """The JSON Schemas as files, by name: a new deck keeps a copy beside its cards, so editors
    find them wherever the tool is installed."""
    folder = Path(__file__).parent
    return {name: (folder / name).read_text("utf-8")
            for name in ("deck.schema.json", "cards.schema.json")}


CARD_FILE_SCHEMA = _schema("cards.schema.json")
DECK_FILE_SCHEMA = _schema("deck.schema.json")
CARD_KEYS = {k: _resolve(v, CARD_FILE_SCHEMA)
             for k, v in CARD_FILE_SCHEMA["$defs"]["card"]["properties"].items()}
FILE_KEYS = {k: _resolve(v, CARD_FILE_SCHEMA) for k, v in CARD_FILE_SCHEMA["properties"].items()}
DECK_KEYS = {k: _resolve(v, DECK_FILE_SCHEMA) for k, v in DECK_FILE_SCHEMA["properties"].items()}
NOTE_TYPE_KEYS = DECK_FILE_SCHEMA["$defs"]["noteType"]["properties"]
SOURCE_KEYS = DECK_FILE_SCHEMA["properties"]["sources"]["additionalProperties"]["properties"]


def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """A schema pattern as editors (ECMA-262) read it: there '$' is the end of the text, while
    Python's '$' also matches before a final newline (an `id: |` block ends in one)."""
    return _patterns.get(pattern) or _patterns.setdefault(
        pattern, re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern)))


_patterns: dict[str, re.Pattern[str]] = {}
KEY_PATTERN = ecma_pattern(CARD_FILE_SCHEMA["$defs"]["key"]["pattern"])
_ASCII_NUMBER = re.compile(r"-?[0-9]{1,30}")  # a minus: out of range, not "text"


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "yes/no"
    if value is None:
        return "empty"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def check_value(value: object, schema: Schema, what: str) -> str | None:
    """Return what is wrong with one value against its (resolved) schema, or None."""
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "number"]: editors see `back: 1950` as a number,
        # while the build reads every plain value as text; ["boolean", "object"]: either form
        kind = ("object" if "object" in kind and isinstance(value, dict) else kind[0])
    if kind == "string":
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, bool) else ""
            return f"{what} must be text, not {type_name(value)}{hint}"
        control = CONTROL_RE.search(value)
        if control:
            return (f"{what} contains the invisible control character "
                    f"U+{ord(control.group()):04X} (character {control.start() + 1}); delete it")
        if len(value.strip()) < schema.get("minLength", 0):
            return f"{what} is empty"
        if "pattern" in schema and not ecma_pattern(schema["pattern"]).search(value):
            return f"{what} {value!r} is not valid: {schema.get('description', 'see the schema')}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            alternative = (" (or a mapping with " + " and ".join(
                f"'{k}'" for k in schema["required"]) + ")") if "object" in schema["type"] else ""
            return f"{what} must be true or false, not {value!r}{alternative}"
    elif kind == "integer":
        if not (isinstance(value, str) and _ASCII_NUMBER.fullmatch(value)):
            # str.isdigit() and int() also take '١٢' or '²': only ASCII digits are a number here.
            if isinstance(value, str) and value.strip().isdigit():
                return f"{what} must be a whole number in ASCII digits (0-9), not {value!r}"
            return f"{what} must be a whole number, not {type_name(value)}"
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and int(value) < low) or (high is not None and int(value) > high):
            return f"{what} must be a whole number from {low} to {high}, not {value}"
    elif kind == "array":
        if not isinstance(value, list):
            return f"{what} must be a list, not {type_name(value)}"
        if len(value) < schema.get("minItems", 0):
            return f"{what} must not be empty"
        for i, item in enumerate(value, 1):
            wrong = check_value(item, schema["items"], f"{what} item {i}")
            if wrong:
                return wrong
        if schema.get("uniqueItems"):
            twice = next((item for i, item in enumerate(value) if item in value[:i]), None)
            if twice is not None:  # a source listed twice would be shown twice on the card
                return f"{what} lists {twice!r} twice: list each once"
    elif kind == "object":
        if not isinstance(value, dict):
            return f"{what} must be a mapping, not {type_name(value)}"
        # A key's own mapping (`reverse`, `correction_amended`) has its type as a list; a
        # card's keys and deck.yaml's are checked by check_keys (cards.py, deckfile.py).
        if isinstance(schema.get("type"), list):
            return _check_mapping(value, schema, what)
    return None


def _check_mapping(value: dict, schema: Schema, what: str) -> str | None:
    """A mapping value (such as `reverse: {question: ..., answer: ...}`) against its schema."""
    known = schema.get("properties", {})
    for key, item in value.items():
        if key not in known:
            if schema.get("additionalProperties", True) is False:
                return f"{what} has an unknown key '{key}'{did_you_mean(str(key), list(known))}"
            continue
        wrong = check_value(item, known[key], f"{what} '{key}'")
        if wrong:
            return wrong
    missing = [key for key in schema.get("required", ()) if key not in value]
    if missing:
        return f"{what} has no " + " and no ".join(f"'{key}'" for key in missing)
    return None


def check_keys(data: yamlfile.Mapping, known: dict[str, Schema], problems: Problems, file: str,
                card: str | None = None, where: str = "") -> None:
    for key, line, col in data.duplicate_keys:
        problems.add(file, line, col, card, f"key '{key}' is given twice")
    for key, value in data.items():
        if key not in known:
            hint = did_you_mean(str(key), list(known))
            problems.add(file, *data.mark(key), card, f"unknown key '{key}'{where}{hint}")
            continue
        wrong = check_value(value, known[key], f"'{key}'")
        if wrong:
            problems.add(file, *data.mark(key), card, wrong)
