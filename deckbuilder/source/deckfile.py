"""Reading YAML files, and deck.yaml: the deck's name, id, version, description and sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deckbuilder.errors import Problems, did_you_mean, display_path
from deckbuilder.files import MAX_TEXT_FILE, InputFileError, read_regular
from deckbuilder.source import yamlfile
from deckbuilder.source.ids import borrowed_id
from deckbuilder.source.model import NoteTypeSetting, Source
from deckbuilder.source.schema import (
    DECK_KEYS,
    KEY_PATTERN,
    NOTE_TYPE_KEYS,
    SOURCE_KEYS,
    check_keys,
    check_value,
    type_name,
)


def read_yaml(path: Path, problems: Problems) -> object:
    file = display_path(path)
    try:
        raw = read_regular(path, MAX_TEXT_FILE)
    except InputFileError as e:
        problems.add(file, message=str(e))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.add(file, line, message=f"not valid UTF-8 (byte {e.start}); save it as UTF-8")
        return None
    try:
        return yamlfile.load(text)
    except yamlfile.YAMLFileError as e:
        problems.add(file, e.line, e.col, message=e.message)
        return None


@dataclass(frozen=True)
class DeckSettings:
    """What deck.yaml says, and where; empty where it could not be read (a problem says why)."""

    name: str = ""
    id: int = 0
    description: str = ""
    sources: dict[str, Source] = field(default_factory=dict)
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> line, col
    version: str | None = None
    note_types: dict[str, NoteTypeSetting] = field(default_factory=dict)


def read_deck_file(path: Path, problems: Problems) -> DeckSettings:
    """Read deck.yaml, adding every problem found to problems."""
    file = display_path(path)
    data = read_yaml(path, problems)
    if data is None:
        if path.exists() and not problems.found:
            problems.add(file, 1, message="the file is empty; it needs at least 'name' and 'id'")
        return DeckSettings()
    if not isinstance(data, yamlfile.Mapping):
        problems.add(file, 1, message=f"must be a mapping of deck settings, not {type_name(data)}")
        return DeckSettings()
    check_keys(data, DECK_KEYS, problems, file, where=" in deck.yaml")
    for key in ("name", "id"):
        if key not in data:
            problems.add(file, data.line, data.col, message=f"missing '{key}'")
    sources: dict[str, Source] = {}
    raw_sources = data.get("sources") or {}
    if isinstance(raw_sources, yamlfile.Mapping):
        for twice, line, col in raw_sources.duplicate_keys:
            problems.add(file, line, col, message=f"source '{twice}' is given twice")
        for key, value in raw_sources.items():
            line, col = raw_sources.mark(key)
            if not (isinstance(key, str) and KEY_PATTERN.search(key)):
                problems.add(file, line, col, message=f"source key {key!r} must use lowercase "
                             "letters, digits and '-'")
                continue
            if not isinstance(value, yamlfile.Mapping):
                problems.add(file, line, col, message=f"source '{key}' must be a mapping with "
                             "'title' and optional 'url'")
                continue
            check_keys(value, SOURCE_KEYS, problems, file, where=f" in source '{key}'")
            if "title" not in value:
                problems.add(file, line, col, message=f"source '{key}' has no 'title'")
            sources[key] = Source(key, str(value.get("title", "")), value.get("url"))
    name = data.get("name")
    name = name if isinstance(name, str) else ""
    if any(c in name for c in "\t\n\r\u2028\u2029"):
        problems.add(file, *data.mark("name"), message="'name' must be one line of text, "
                     "without tabs")
    deck_id = data.get("id")
    deck_id = (int(deck_id) if isinstance(deck_id, str) and check_value(
        deck_id, DECK_KEYS["id"], "") is None else 0)
    description = data.get("description")
    description = description if isinstance(description, str) else ""
    version = data.get("version")
    version = version if isinstance(version, str) else None  # a wrong one is reported above
    marks = {key: data.mark(key) for key in ("name", "id", "description", "version")}
    if isinstance(raw_sources, yamlfile.Mapping):
        marks.update({f"source:{key}": raw_sources.mark(key) for key in raw_sources})
    note_types = _note_types(data.get("note_types"), file, problems)
    wrong = borrowed_id(deck_id, name.strip()) if deck_id else None
    if wrong:
        problems.add(file, *data.mark("id"), message=f"'id': {wrong}; notes with the same "
                     f"card ids would overwrite each other's in a learner's collection. {_FRESH}")
    for kind, setting in note_types.items():
        wrong = borrowed_id(setting.id, name.strip())
        if wrong:
            problems.add(file, *_note_type_mark(data, kind), message=f"note type '{kind}': "
                         f"{wrong}; one deck's style and templates would replace the other's "
                         f"in a learner's collection. {_FRESH}")
    return DeckSettings(name.strip(), deck_id, description, sources, marks, version, note_types)


_FRESH = ("Give this deck ids of its own, fresh from `build-deck new` (it prints them), before "
          "its first release; after one, see the README: 'Decks that share ids'")
_KINDS = ("fact", "cloze")


def _note_type_mark(data: yamlfile.Mapping, kind: str) -> tuple[int, int]:
    raw = data.get("note_types")
    return raw.mark(kind) if isinstance(raw, yamlfile.Mapping) and kind in raw else data.mark(
        "note_types")


def _note_types(raw: object, file: str, problems: Problems) -> dict[str, NoteTypeSetting]:
    """deck.yaml's note_types: the deck's own Fact and Cloze note types (an id and a name)."""
    if not isinstance(raw, yamlfile.Mapping):  # absent, or wrong and reported already
        return {}
    found: dict[str, NoteTypeSetting] = {}
    for kind in _KINDS:
        if kind not in raw:
            problems.add(file, raw.line, raw.col, message=f"'note_types' has no '{kind}': give "
                         "it an 'id' and a 'name'")
    for kind, value in raw.items():
        line, col = raw.mark(kind)
        if kind not in _KINDS:
            problems.add(file, line, col, message=f"unknown note type '{kind}' (a deck has "
                         f"'fact' and 'cloze'){did_you_mean(str(kind), list(_KINDS))}")
            continue
        if not isinstance(value, yamlfile.Mapping):
            problems.add(file, line, col, message=f"note type '{kind}' must be a mapping with "
                         "'id' and 'name'")
            continue
        before = len(problems.found)
        check_keys(value, NOTE_TYPE_KEYS, problems, file, where=f" in note type '{kind}'")
        for key in ("id", "name"):
            if key not in value:
                problems.add(file, line, col, message=f"note type '{kind}' has no '{key}'")
        if len(problems.found) == before:
            found[kind] = NoteTypeSetting(int(value["id"]), value["name"].strip())
    if len(found) == 2:
        fact, cloze = found["fact"], found["cloze"]
        if fact.id == cloze.id or fact.name == cloze.name:
            problems.add(file, raw.line, raw.col, message="the note types 'fact' and 'cloze' "
                         "need different ids and different names")
    return found
