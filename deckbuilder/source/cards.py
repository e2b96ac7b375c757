"""Read cards/ into validated Deck and Card objects, collecting every problem in one pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from deckbuilder.errors import Problems, did_you_mean, display_path
from deckbuilder.files import MAX_TEXT_FILE, InputFileError, read_regular
from deckbuilder.paths import DECK_FILE, STYLE_FILE
from deckbuilder.render import image_sources
from deckbuilder.source import yamlfile
from deckbuilder.source.cloze import cloze_problem
from deckbuilder.source.deckfile import DeckSettings, read_deck_file, read_yaml
from deckbuilder.source.media import AUDIO_TYPES, IMAGE_TYPES, check_media
from deckbuilder.source.model import Card, CorrectionRevision, Deck, Source
from deckbuilder.source.schema import CARD_KEYS, FILE_KEYS, check_keys, type_name

# The keys of a card that hold Markdown, where an image may be written as ![alt](file.png).
TEXT_KEYS = ("front", "back", "cloze", "extra", "notes")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:|//|\\\\")


@dataclass
class _Context:
    """What checking a card needs from the rest of the deck."""

    sources: dict[str, Source]
    media_dir: Path
    media: dict[str, Path] = field(default_factory=dict)  # checked media files, by card name
    checked: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) found usable
    shared: dict = field(default_factory=dict)  # one copy of repeated tags and sources


def _check_references(raw: yamlfile.Mapping, file: str, label: str | None, problems: Problems,
                      context: _Context) -> None:
    """Sources must be defined in deck.yaml; media must be usable files inside media/."""
    for key in raw.get("sources", ()):
        if key not in context.sources:
            hint = did_you_mean(key, list(context.sources))
            problems.add(file, *raw.mark("sources"), label,
                         f"unknown source '{key}': define it under 'sources' in deck.yaml{hint}")
    uses = [(kind, raw.get(kind), kind) for kind in ("image", "audio")]
    uses += [(key, name, "image") for key in TEXT_KEYS if isinstance(raw.get(key), str)
             for name in image_sources(raw[key])]
    for key, name, kind in uses:
        if name is not None:
            wrong = use_media(name, kind, context)
            if wrong:
                problems.add(file, *raw.mark(key), label, wrong)


def editor_file(name: str) -> bool:
    """An editor's lock, backup or autosave file (`.#10-names.yaml`, often a link to nowhere;
    `10-names.yaml~`; `#10-names.yaml#`), or a hidden file: never a card file."""
    return name.startswith((".", "#")) or name.endswith("~")


def use_media(name: str, kind: str, context: _Context) -> str | None:
    """Check one use of a media file (each kind it is used as); None when it is usable."""
    if (kind, name) in context.checked:
        return None
    if _URL.match(name):
        return (f"{kind} '{name}' is a URL, not a file in media/: a card must not make a "
                "learner's Anki fetch anything; put the file in media/ and name it")
    allowed = IMAGE_TYPES if kind == "image" else AUDIO_TYPES
    path, wrong = check_media(name, kind, context.media_dir, allowed)
    if path is None:
        return wrong
    twin = next((other for other in context.media
                 if other != name and other.casefold() == name.casefold()), None)
    if twin:
        return (f"{kind} '{name}' and '{twin}' differ only by case: Anki's media folder "
                "ignores case on macOS and Windows, so a learner would get one file for both. "
                "Rename one of them")
    context.checked.add((kind, name))
    context.media[name] = path
    return None


def _read_card(raw: object, file: str, file_tags: tuple[str, ...], problems: Problems,
               fallback_line: int, context: _Context) -> Card | None:
    if not isinstance(raw, yamlfile.Mapping):
        problems.add(file, fallback_line, message=f"a card must be a mapping with an 'id', not "
                     f"{type_name(raw)}")
        return None
    card_id = raw.get("id")
    label = card_id if isinstance(card_id, str) else None
    before = len(problems.found)
    check_keys(raw, CARD_KEYS, problems, file, label)
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
            wrong = cloze_problem(raw["cloze"])
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
    if raw.get("was") is not None and raw.get("was") == card_id:
        problems.add(file, *raw.mark("was"), label, "'was' names the card's own id; it is for "
                     "the id the card had before a rename")
    revisions = _revisions(raw)
    if len({r.version for r in revisions}) < len(revisions):
        problems.add(file, *raw.mark("correction_amended"), label, f"release "
                     f"{revisions[0].version}'s correction is both withdrawn and amended; keep "
                     "'correction_withdrawn' if it corrected nothing, else 'correction_amended'")
    if len(problems.found) > before or label is None:  # no id is a problem found above
        return None
    shared = context.shared
    tags = _shared(tuple(dict.fromkeys(file_tags + tuple(raw.get("tags", ())))), shared)
    return Card(
        id=label, file=file, line=raw.line, col=raw.col, front=raw.get("front"),
        back=raw.get("back"),
        reverse=_reverse(raw.get("reverse", False)), cloze=raw.get("cloze"), extra=raw.get("extra"),
        notes=raw.get("notes"), tags=tags, sources=_shared(tuple(raw.get("sources", ())), shared),
        image=raw.get("image"), audio=raw.get("audio"), retired=raw.get("retired", False),
        correction=raw.get("correction"), was=raw.get("was"), revisions=revisions,
    )


def _reverse(value: object) -> bool | tuple[str, str]:
    """`reverse: true`, or `reverse: {question: ..., answer: ...}` as (question, answer)."""
    if isinstance(value, dict):
        return (str(value["question"]), str(value["answer"]))
    return bool(value)


def _revisions(raw: yamlfile.Mapping) -> tuple[CorrectionRevision, ...]:
    """`correction_withdrawn: 2.0.0` and `correction_amended: {version: 2.0.0, reason: ...}`."""
    found = []
    withdrawn, amended = raw.get("correction_withdrawn"), raw.get("correction_amended")
    if isinstance(withdrawn, str):
        found.append(CorrectionRevision(withdrawn))
    if isinstance(amended, dict) and {"version", "reason"} <= set(amended):
        found.append(CorrectionRevision(str(amended["version"]), str(amended["reason"])))
    return tuple(found)


def _shared(keys: tuple[str, ...], shared: dict) -> tuple[str, ...]:
    """One copy of each tuple of tags or sources (and of each tag) for the whole deck."""
    if keys not in shared:
        shared[keys] = tuple(shared.setdefault(key, key) for key in keys)
    return shared[keys]


def _read_card_file(path: Path, problems: Problems, context: _Context) -> list[Card]:
    file = display_path(path)
    data = read_yaml(path, problems)
    if data is None:
        if not any(p.file == file for p in problems.found):
            problems.add(file, 1, message="the file is empty; it needs a 'cards:' list")
        return []
    if not isinstance(data, yamlfile.Mapping):
        problems.add(file, 1, message=f"must be a mapping with a 'cards:' list, not "
                     f"{type_name(data)}")
        return []
    before = len(problems.found)
    check_keys(data, FILE_KEYS, problems, file, where=" at the top of a card file")
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
    if not deck_path.exists() and not deck_path.is_symlink():
        # Alone: every card naming a source would also fail, for this one reason.
        problems.add(display_path(deck_path), message="missing: it names the deck and its "
                     "sources. Restore it (git checkout -- "
                     f"{display_path(deck_path)}), or write one (see README: 'cards/deck.yaml'; "
                     "build-deck new DIR makes a deck with one)")
        problems.raise_if_any()
    settings = read_deck_file(deck_path, problems)
    if problems.found and settings == DeckSettings():  # unreadable: cards would fail for it
        problems.raise_if_any()
    sources, marks = settings.sources, settings.marks
    cards: list[Card] = []
    context = _Context(sources, media_dir)
    deck_file = display_path(deck_path)
    for source in sources.values():
        for name in image_sources(source.title):
            wrong = use_media(name, "image", context)
            if wrong:
                problems.add(deck_file, *marks.get(f"source:{source.key}", (0, 0)),
                             message=f"source '{source.key}': {wrong}")
    if image_sources(settings.description):
        problems.add(deck_file, *marks.get("description", (0, 0)), message="the deck "
                     "description cannot show images (Anki keeps no media for it); remove the "
                     "![...](...) image")
    # Any case: a file saved as 21-dates.YAML is cards too, not silently left out.
    card_files = [p for p in cards_dir.iterdir() if p.suffix.lower() in (".yaml", ".yml")]
    for path in sorted(card_files, key=lambda p: p.name):
        if path.name != DECK_FILE and not editor_file(path.name):
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
    style = _read_style(Path(cards_dir).resolve().parent / STYLE_FILE, settings, problems)
    if not media_dir.is_dir():  # one problem, not one for each file the cards name
        lost = [p for p in problems.found if " not found in " in p.message]
        if lost:
            problems.found = [p for p in problems.found if p not in lost]
            problems.add(display_path(media_dir), message=f"no such folder of media, though the "
                         f"cards name {len(lost)} files in it (such as in {lost[0].file}): "
                         "restore it, or name it with --media")
    problems.raise_if_any()
    return Deck(settings.name, settings.id, settings.description, sources, cards, cards_dir,
                media_dir, context.media, marks, settings.version, settings.note_types, style)


def _read_style(path: Path, settings: DeckSettings, problems: Problems) -> str | None:
    """The deck's own card style, beside cards/ (None: the tool's)."""
    if not path.exists():
        return None
    file = display_path(path)
    if not settings.note_types and settings.id:
        problems.add(file, message="a deck's own style needs its own note types: with build-deck's "
                     "shared ones it would restyle other decks' cards in a learner's collection. "
                     "Add 'note_types' to deck.yaml (see the README: 'Decks that share ids'), or "
                     "remove style.css")
        return None
    try:
        return read_regular(path, MAX_TEXT_FILE).decode("utf-8-sig")
    except InputFileError as e:
        problems.add(file, message=str(e))
    except UnicodeDecodeError as e:
        problems.add(file, message=f"not valid UTF-8 (byte {e.start}); save it as UTF-8")
    return None
