"""Reading YAML files, and deck.yaml: the deck's name, id, version, description and sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deckbuilder.errors import Problems, display_path
from deckbuilder.files import MAX_TEXT_FILE, InputFileError, read_regular
from deckbuilder.source import yamlfile
from deckbuilder.source.model import Source
from deckbuilder.source.schema import (
    DECK_KEYS,
    KEY_PATTERN,
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
    return DeckSettings(name.strip(), deck_id, description, sources, marks, version)
