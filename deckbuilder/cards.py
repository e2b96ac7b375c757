"""Read cards/ into validated Deck and Card objects, collecting every problem in one pass."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import yamlfile
from .errors import Problems

DECK_FILE = "deck.yaml"
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
AUDIO_TYPES = {".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".flac"}
# A deletion opens with {{cN:: and the next }} closes the innermost open one, as in Anki, where
# deletions may nest.
# Anki keeps a card's number in 16 bits (ords 0-65534); it refuses the whole package beyond.
MAX_CLOZE = 65535
_CLOZE_TOKEN_RE = re.compile(r"\{\{c(\d+)::|\}\}")
# Invisible control characters get past YAML as escapes ("\0", "\x1f"). Anki separates a note's
# fields with U+001F and SQLite text stops at NUL in places, so one would split or cut a note:
# refuse them all (tab and newline are text).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """One card as the author wrote it, with where it was written."""

    id: str
    file: str
    line: int
    col: int = 0
    front: str | None = None
    back: str | None = None
    reverse: bool = False
    cloze: str | None = None
    extra: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    image: str | None = None
    audio: str | None = None
    retired: bool = False

    @property
    def is_cloze(self) -> bool:
        return self.cloze is not None


@dataclass
class Deck:
    name: str
    id: int
    description: str
    sources: dict[str, Source]
    cards: list[Card]
    cards_dir: Path
    media_dir: Path
    media: dict[str, Path] = field(default_factory=dict)  # name in a card -> file on disk
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)  # deck.yaml key -> line, col


def _schema(name: str) -> dict:
    # Read beside this module (it is never installed zipped): importlib.resources would cost
    # every run ~5 ms of imports.
    return json.loads(Path(__file__).with_name(name).read_text("utf-8"))


CARD_FILE_SCHEMA = _schema("cards.schema.json")
DECK_FILE_SCHEMA = _schema("deck.schema.json")


def _resolve(schema: dict, root: dict) -> dict:
    """The schema with its $ref, and its items' $ref, replaced by what they point to."""
    while "$ref" in schema:
        ref = schema["$ref"]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**root["$defs"][ref.rsplit("/", 1)[1]], **extra}
    if "items" in schema:
        schema = {**schema, "items": _resolve(schema["items"], root)}
    return schema


# The JSON Schema that editors use is also what the build checks keys, types and patterns against,
# so the two cannot drift; the rules that span keys are checked by hand for better messages.
CARD_KEYS = {k: _resolve(v, CARD_FILE_SCHEMA)
             for k, v in CARD_FILE_SCHEMA["$defs"]["card"]["properties"].items()}
FILE_KEYS = {k: _resolve(v, CARD_FILE_SCHEMA) for k, v in CARD_FILE_SCHEMA["properties"].items()}
DECK_KEYS = {k: _resolve(v, DECK_FILE_SCHEMA) for k, v in DECK_FILE_SCHEMA["properties"].items()}
SOURCE_KEYS = DECK_FILE_SCHEMA["properties"]["sources"]["additionalProperties"]["properties"]
KEY_PATTERN = re.compile(CARD_FILE_SCHEMA["$defs"]["key"]["pattern"])


def _close_matches(word: str, candidates: list[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    import difflib  # only on the error path

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _type_name(value: object) -> str:
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


def _check_value(value: object, schema: dict, what: str) -> str | None:
    """Return what is wrong with one value against its (resolved) schema, or None."""
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "number"]: editors see `back: 1950` as a number,
        kind = kind[0]          # while the build reads every plain value as text
    if kind == "string":
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, bool) else ""
            return f"{what} must be text, not {_type_name(value)}{hint}"
        control = CONTROL_RE.search(value)
        if control:
            return (f"{what} contains the invisible control character "
                    f"U+{ord(control.group()):04X} (character {control.start() + 1}); delete it")
        if len(value.strip()) < schema.get("minLength", 0):
            return f"{what} is empty"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"{what} {value!r} is not valid: {schema.get('description', 'see the schema')}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            return f"{what} must be true or false, not {value!r}"
    elif kind == "integer":
        if not (isinstance(value, str) and value.isdigit()):
            return f"{what} must be a whole number, not {_type_name(value)}"
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and int(value) < low) or (high is not None and int(value) > high):
            return f"{what} must be a whole number from {low} to {high}, not {value}"
    elif kind == "array":
        if not isinstance(value, list):
            return f"{what} must be a list, not {_type_name(value)}"
        if len(value) < schema.get("minItems", 0):
            return f"{what} must not be empty"
        for i, item in enumerate(value, 1):
            wrong = _check_value(item, schema["items"], f"{what} item {i}")
            if wrong:
                return wrong
    elif kind == "object" and not isinstance(value, dict):
        return f"{what} must be a mapping, not {_type_name(value)}"
    return None


def _check_keys(data: yamlfile.Mapping, known: dict, problems: Problems, file: str,
                card: str | None = None, where: str = "") -> None:
    for key, line, col in data.duplicate_keys:
        problems.add(file, line, col, card, f"key '{key}' is given twice")
    for key, value in data.items():
        if key not in known:
            close = _close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(file, *data.mark(key), card, f"unknown key '{key}'{where}{hint}")
            continue
        wrong = _check_value(value, known[key], f"'{key}'")
        if wrong:
            problems.add(file, *data.mark(key), card, wrong)


def _read_yaml(path: Path, problems: Problems) -> object:
    file = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        problems.add(file, message=f"cannot read: {e.strerror}")
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


def _read_deck_file(path: Path, problems: Problems
                    ) -> tuple[str, int, str, dict[str, Source], dict[str, tuple[int, int]]]:
    file = display_path(path)
    data = _read_yaml(path, problems)
    if data is None:
        if path.exists() and not problems.found:
            problems.add(file, 1, message="the file is empty; it needs at least 'name' and 'id'")
        return "", 0, "", {}, {}
    if not isinstance(data, yamlfile.Mapping):
        problems.add(file, 1, message=f"must be a mapping of deck settings, not {_type_name(data)}")
        return "", 0, "", {}, {}
    _check_keys(data, DECK_KEYS, problems, file, where=" in deck.yaml")
    for key in ("name", "id"):
        if key not in data:
            problems.add(file, data.line, data.col, message=f"missing '{key}'")
    sources: dict[str, Source] = {}
    raw_sources = data.get("sources") or {}
    if isinstance(raw_sources, yamlfile.Mapping):
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
            _check_keys(value, SOURCE_KEYS, problems, file, where=f" in source '{key}'")
            if "title" not in value:
                problems.add(file, line, col, message=f"source '{key}' has no 'title'")
            sources[key] = Source(key, str(value.get("title", "")), value.get("url"))
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    if "\t" in name or "\n" in name:
        problems.add(file, *data.mark("name"), message="'name' must be one line of text, "
                     "without tabs")
    deck_id = data.get("id")
    deck_id = int(deck_id) if isinstance(deck_id, str) and deck_id.isdigit() else 0
    description = data.get("description") if isinstance(data.get("description"), str) else ""
    marks = {key: data.mark(key) for key in ("name", "id")}
    return name.strip(), deck_id, description, sources, marks


def cloze_numbers(text: str) -> tuple[list[int], int]:
    """The number of every cloze deletion in text, nested ones too, and how many are unclosed."""
    numbers: list[int] = []
    unclosed = 0
    for token in _CLOZE_TOKEN_RE.finditer(text):
        if token.group(1) is not None:
            numbers.append(int(token.group(1)))
            unclosed += 1
        elif unclosed:  # a }} with nothing open is only text
            unclosed -= 1
    return numbers, unclosed


def _check_cloze(text: str) -> str | None:
    numbers, unclosed = cloze_numbers(text)
    if unclosed:
        return "a cloze deletion is not closed: write {{c1::text}}"
    if not numbers:
        return "'cloze' has no deletion: mark one with {{c1::text}}"
    if 0 in numbers:
        return "cloze numbers start at 1: use {{c1::...}}, not {{c0::...}}"
    if max(numbers) > MAX_CLOZE:
        return (f"cloze number {max(numbers)} is too high: Anki refuses a whole package with "
                f"a cloze above c{MAX_CLOZE}")
    return None


def _check_media(name: str, kind: str, media_dir: Path,
                 allowed: set[str]) -> tuple[Path | None, str]:
    """Return (file, '') for a usable media file, or (None, what is wrong)."""
    if os.path.isabs(name) or name.startswith(("/", "\\")):
        return None, f"{kind} '{name}' must be a file name in media/, not an absolute path"
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        return None, f"{kind} '{name}' leaves media/ ('..' is not allowed)"
    path = media_dir / name
    try:
        inside = path.resolve().is_relative_to(media_dir.resolve())
    except OSError:
        inside = False
    if not inside:
        return None, f"{kind} '{name}' leaves media/ (through a link)"
    if not path.exists():
        close = _close_matches(name, _media_names(media_dir), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return None, f"{kind} '{name}' not found in {display_path(media_dir)}{hint}"
    if not path.is_file():
        return None, f"{kind} '{name}' is not a file"
    if path.suffix.lower() not in allowed:
        return None, (f"{kind} '{name}' has a type Anki cannot show as {kind}; "
                      f"use one of {', '.join(sorted(allowed))}")
    return path, ""


def _media_names(media_dir: Path) -> list[str]:
    try:
        return [p.name for p in media_dir.iterdir()]
    except OSError:
        return []


@dataclass
class _Context:
    """What checking a card needs from the rest of the deck."""

    sources: dict[str, Source]
    media_dir: Path
    media: dict[str, Path] = field(default_factory=dict)  # checked media files, by card name
    shared: dict = field(default_factory=dict)  # one copy of repeated tags and sources


def _check_references(raw: yamlfile.Mapping, file: str, label: str | None, problems: Problems,
                      context: _Context) -> None:
    """Sources must be defined in deck.yaml; media must be usable files inside media/."""
    for key in raw.get("sources", ()):
        if key not in context.sources:
            close = _close_matches(key, list(context.sources), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(file, *raw.mark("sources"), label,
                         f"unknown source '{key}': define it under 'sources' in deck.yaml{hint}")
    for kind, allowed in (("image", IMAGE_TYPES), ("audio", AUDIO_TYPES)):
        name = raw.get(kind)
        if name is None or name in context.media:
            continue
        path, wrong = _check_media(name, kind, context.media_dir, allowed)
        if wrong:
            problems.add(file, *raw.mark(kind), label, wrong)
        else:
            context.media[name] = path


def _read_card(raw: object, file: str, file_tags: tuple[str, ...], problems: Problems,
               fallback_line: int, context: _Context) -> Card | None:
    if not isinstance(raw, yamlfile.Mapping):
        problems.add(file, fallback_line, message=f"a card must be a mapping with an 'id', not "
                     f"{_type_name(raw)}")
        return None
    card_id = raw.get("id")
    label = card_id if isinstance(card_id, str) else None
    before = len(problems.found)
    _check_keys(raw, CARD_KEYS, problems, file, label)
    if "id" not in raw:
        problems.add(file, raw.line, raw.col, None, "card has no 'id' (add a permanent id "
                     "such as 'signing-date')")
    has_basic = "front" in raw or "back" in raw
    if has_basic and "cloze" in raw:
        problems.add(file, raw.line, raw.col, label, "has both 'front'/'back' and 'cloze'; "
                     "a card is either basic or cloze")
    elif "cloze" in raw:
        if "reverse" in raw:
            problems.add(file, *raw.mark("reverse"), label, "'reverse' only applies to "
                         "front/back cards, not to a cloze")
        if isinstance(raw["cloze"], str):
            wrong = _check_cloze(raw["cloze"])
            if wrong:
                problems.add(file, *raw.mark("cloze"), label, wrong)
    elif has_basic:
        for key in ("front", "back"):
            if key not in raw:
                problems.add(file, raw.line, raw.col, label, f"has no '{key}'")
        if "extra" in raw:
            problems.add(file, *raw.mark("extra"), label, "'extra' belongs to cloze cards; "
                         "use 'notes' on a front/back card")
    else:
        problems.add(file, raw.line, raw.col, label, "has neither 'front'/'back' nor 'cloze'")
    if len(problems.found) > before:
        return None
    _check_references(raw, file, label, problems, context)
    if len(problems.found) > before:
        return None
    shared = context.shared
    tags = _shared(tuple(dict.fromkeys(file_tags + tuple(raw.get("tags", ())))), shared)
    return Card(
        id=card_id, file=file, line=raw.line, col=raw.col, front=raw.get("front"),
        back=raw.get("back"),
        reverse=raw.get("reverse", False), cloze=raw.get("cloze"), extra=raw.get("extra"),
        notes=raw.get("notes"), tags=tags, sources=_shared(tuple(raw.get("sources", ())), shared),
        image=raw.get("image"), audio=raw.get("audio"), retired=raw.get("retired", False),
    )


def _shared(keys: tuple[str, ...], shared: dict) -> tuple[str, ...]:
    """One copy of each tuple of tags or sources (and of each tag) for the whole deck."""
    if keys not in shared:
        shared[keys] = tuple(shared.setdefault(key, key) for key in keys)
    return shared[keys]


def _read_card_file(path: Path, problems: Problems, context: _Context) -> list[Card]:
    file = display_path(path)
    data = _read_yaml(path, problems)
    if data is None:
        if not any(p.file == file for p in problems.found):
            problems.add(file, 1, message="the file is empty; it needs a 'cards:' list")
        return []
    if not isinstance(data, yamlfile.Mapping):
        problems.add(file, 1, message=f"must be a mapping with a 'cards:' list, not "
                     f"{_type_name(data)}")
        return []
    before = len(problems.found)
    _check_keys(data, FILE_KEYS, problems, file, where=" at the top of a card file")
    if "cards" not in data:
        problems.add(file, data.line, data.col, message="has no 'cards:' list")
    if len(problems.found) > before and not isinstance(data.get("cards"), list):
        return []
    file_tags = tuple(data.get("tags") or ()) if isinstance(data.get("tags"), list) else ()
    cards = []
    for raw in data.get("cards") or []:
        card = _read_card(raw, file, file_tags, problems, data.mark("cards")[0], context)
        if card:
            cards.append(card)
    return cards


def load_deck(cards_dir: Path, media_dir: Path) -> Deck:
    """Read and validate deck.yaml and every other *.yaml in cards_dir.

    Raises DeckError with every problem found; returns a Deck whose cards are all valid.
    """
    cards_dir, media_dir = Path(cards_dir), Path(media_dir)
    problems = Problems()
    deck_path = cards_dir / DECK_FILE
    if not cards_dir.is_dir():
        problems.add(display_path(cards_dir), message="no such folder of cards")
        problems.raise_if_any()
    if not deck_path.is_file():
        problems.add(display_path(deck_path), message="missing: it names the deck and its "
                     "sources (see README: 'cards/deck.yaml')")
    name, deck_id, description, sources, marks = _read_deck_file(deck_path, problems)
    cards: list[Card] = []
    context = _Context(sources, media_dir)
    card_files = [*cards_dir.glob("*.yaml"), *cards_dir.glob("*.yml")]
    for path in sorted(card_files, key=lambda p: p.name):
        if path.name != DECK_FILE:
            cards.extend(_read_card_file(path, problems, context))

    seen: dict[str, Card] = {}
    for card in cards:
        if card.id in seen:
            first = seen[card.id]
            problems.add(card.file, card.line, card.col, card.id,
                         f"duplicate id; first used at {first.file}:{first.line}:{first.col}")
        else:
            seen[card.id] = card
    if not cards and not problems.found:
        problems.add(display_path(cards_dir), message="no cards found: add a *.yaml file with "
                     "a 'cards:' list")
    problems.raise_if_any()
    return Deck(name, deck_id, description, sources, cards, cards_dir, media_dir,
                context.media, marks)
