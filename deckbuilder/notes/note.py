"""Validated cards to Anki notes: fields as HTML, tags, a permanent guid, hashed media names."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from deckbuilder.errors import Problems
from deckbuilder.notes.notetypes import NOTE_TYPES, NoteType
from deckbuilder.render import attribute, markdown, plain_text
from deckbuilder.source import (
    Card,
    CorrectionRevision,
    Deck,
    MediaFile,
    cloze_numbers,
    cloze_problem,
)

RETIRED_TAG = "build-deck::retired"


@dataclass(frozen=True, slots=True)
class Note:
    card_id: str
    deck_id: int
    note_type: NoteType
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    sort_field: str
    card_ords: tuple[int, ...]  # which of the note type's cards exist: template or cloze number - 1
    retired: bool
    correction: str | None = None  # the author's reason, if this release's change corrects a fact
    was: str | None = None  # the id the card had before a rename, as the author wrote it
    origin: str | None = None  # the id the note's identity comes from, when renamed (the ledger's)
    file: str = ""  # where the card is written, for messages (the cards are let go early)
    line: int = 0
    col: int = 0
    revisions: tuple[CorrectionRevision, ...] = ()  # the author's word on past corrections

    @property
    def guid(self) -> str:
        # Worked out when asked rather than stored: a large deck is held in memory as notes.
        return guid_for(self.deck_id, self.origin or self.card_id)

    @property
    def card_count(self) -> int:
        return len(self.card_ords)

    def digest(self) -> str:
        """Changes whenever anything Anki stores for the note changes."""
        data = "\x1e".join((str(self.note_type.id), "\x1f".join(self.fields), " ".join(self.tags)))
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def retired_note(note: Note, version: str) -> Note:
    """The note as learners see it once retired: every card's question and answer is the one
    retirement notice, generated from the release that retired it (version; "" for a deck
    without versions), never written by hand. Its cards stay (a cloze keeps every number, a
    reverse card stays a reverse card): Anki keeps a learner's cards, and an empty one would
    be shown blank. The author's notes, image and sources stay, for the record."""
    when = f" in version {version}" if version else ""
    # The card's id makes each notice its own: Anki flags notes whose first fields are equal.
    notice = markdown(f"**Retired{when}**: this card (`{note.card_id}`) is no longer part of the "
                      "deck. Suspend it; or delete it, if you never studied it.")
    values = dict(zip(note.note_type.content, note.fields, strict=True))
    if note.note_type.is_cloze:
        values["text"] = notice + _retired_cloze(note.card_ords)
        values["extra"] = ""
    else:
        values["front"] = values["back"] = notice
        values["reverse"] = "y" if values["reverse"] else ""
    return replace(note, fields=note.note_type.field_values(values))


def _retired_cloze(card_ords: tuple[int, ...]) -> str:
    """One deletion for each of the note's cloze numbers, so each of its cards still shows."""
    words = "Suspend this retired card".split()
    numbers = [n + 1 for n in card_ords]
    deletions = [f"{{{{c{n}::{words[i] if i < len(words) else '…'}}}}}"
                 for i, n in enumerate(numbers)]
    rest = words[len(numbers):]
    return "<p>" + " ".join(deletions + rest) + ".</p>"


def retiring_release(fields: str) -> str | None:
    """The release a shipped note's retirement notice names (fields as a package stores them)."""
    found = _RETIRED_IN.search(fields)
    return found.group(1) if found else None


_RETIRED_IN = re.compile(r"<strong>Retired in version ([0-9]+\.[0-9]+\.[0-9]+)</strong>")


def guid_for(deck_id: int, card_id: str) -> str:
    """A fixed function of deck and card id, never of the text, so edits update in place."""
    digest = hashlib.sha256(f"build-deck:{deck_id}:{card_id}".encode()).digest()
    # Anki's guids are short printable strings; hex keeps them easy to search for.
    return digest[:10].hex()


def _source_html(sources: tuple[str, ...], deck: Deck, images: dict[str, str]) -> str:
    parts = []
    for key in sources:
        source = deck.sources[key]
        title = markdown(source.title, images)
        if source.url:
            parts.append(f'<a href="{attribute(source.url)}">{title}</a>')
        else:
            parts.append(title)
    label = "Source" if len(parts) == 1 else "Sources"
    return f"{label}: " + "; ".join(parts) if parts else ""


def _media_html(card: Card, media: dict[str, MediaFile]) -> tuple[str, str]:
    image = audio = ""
    if card.image:
        image = f'<img src="{attribute(media[card.image].package_name)}" alt="">'
    if card.audio:
        audio = f"[sound:{media[card.audio].package_name}]"
    return image, audio


def _reverse_html(reverse: bool | tuple[str, str], images: dict[str, str]) -> str:
    """The Reverse field: "y" for `reverse: true` (the back is asked), or the second card's own
    question and answer, which the "Back to front" template shows (card.css hides the answer
    part on the question side)."""
    if not isinstance(reverse, tuple):
        return "y" if reverse else ""
    question, answer = (markdown(text, images) for text in reverse)
    return (f'<div class="reverse-question">{question}</div>'
            f'<div class="reverse-answer">{answer}</div>')


def build_notes(deck: Deck, media: dict[str, MediaFile],
                note_types: tuple[NoteType, ...] = NOTE_TYPES) -> list[Note]:
    """One note per card, in the order the cards were written.

    Raises DeckError for a cloze whose deletions do not survive Markdown rendering.
    """
    images = {name: m.package_name for name, m in media.items()}
    fact = next(nt for nt in note_types if not nt.is_cloze)
    cloze = next(nt for nt in note_types if nt.is_cloze)
    notes = []
    problems = Problems()
    source_html: dict[tuple[str, ...], str] = {}  # most cards cite the same few sources
    for card in deck.cards:
        image, audio = _media_html(card, media)
        notes_html = markdown(card.notes, images) if card.notes else ""
        source = source_html.get(card.sources)
        if source is None:
            source = source_html[card.sources] = _source_html(card.sources, deck, images)
        if card.cloze is not None:
            text = markdown(card.cloze, images)
            note_type = cloze
            fields = cloze.field_values({
                "text": text, "extra": markdown(card.extra, images) if card.extra else "",
                "image": image, "audio": audio, "notes": notes_html, "source": source})
            # Anki makes cloze cards from the field as stored, so count them in the rendered text.
            card_ords = tuple(sorted({n - 1 for n in cloze_numbers(text)[0]}))
            wrong = cloze_problem(text) if card_ords else None
            if not card_ords:
                problems.add(card.file, card.line, card.col, card.id, "no cloze deletion is "
                             "left once the Markdown is rendered (a line such as '[x]: ...' is "
                             "a link definition and vanishes); reword the cloze")
            elif wrong:  # an entity such as &#49; is a digit once rendered, as Anki sees it
                problems.add(card.file, card.line, card.col, card.id,
                             f"once the Markdown is rendered, as Anki sees it: {wrong}")
            sort_field = plain_text(text)
        else:
            assert card.front is not None and card.back is not None  # checked when read
            front = markdown(card.front, images)
            fields = fact.field_values({
                "front": front, "back": markdown(card.back, images), "image": image, "audio": audio,
                "notes": notes_html, "source": source,
                "reverse": _reverse_html(card.reverse, images)})
            note_type, card_ords = fact, (0, 1) if card.reverse else (0,)
            sort_field = plain_text(front)
        tags = card.tags + ((RETIRED_TAG,) if card.retired else ())
        notes.append(Note(card.id, deck.id, note_type, fields, tags,
                          sort_field, card_ords, card.retired, card.correction, card.was,
                          file=card.file, line=card.line, col=card.col,
                          revisions=card.revisions))
    problems.raise_if_any()
    return notes
