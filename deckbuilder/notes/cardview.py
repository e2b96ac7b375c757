"""Anki's card templates, rendered the way Anki renders them, for the preview page.

Covers what build-deck's note types use: {{Field}}, {{#Field}}...{{/Field}},
{{^Field}}...{{/Field}}, {{FrontSide}}, {{cloze:Field}} and {{text:Field}}. The cloze HTML
copies Anki's (rslib/src/cloze.rs), so the package's CSS styles the preview as it does in Anki.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deckbuilder.notes.note import Note
from deckbuilder.render import plain_text

_SECTION = re.compile(r"\{\{([#^])\s*([^}]+?)\s*\}\}(.*?)\{\{/\s*\2\s*\}\}", re.DOTALL)
_REPLACEMENT = re.compile(r"\{\{\s*([^#^/}][^}]*?)\s*\}\}")
# An innermost deletion: one with no other deletion opening inside it. Deletions may nest, so
# they are rendered from the inside out.
_CLOZE = re.compile(r"\{\{c(\d+)::((?:(?!\{\{c\d+::).)*?)\}\}", re.DOTALL)
_EMPTY_FIELD = re.compile(r"^(?:\s|<br\s*/?>|<div>|</div>)*$", re.IGNORECASE)


@dataclass(frozen=True)
class RenderedCard:
    """One Anki card of a note: its template's name and both sides as HTML."""

    name: str
    ordinal: int  # 1-based: the template's position, or the cloze number
    question: str
    answer: str


def field_is_empty(text: str) -> bool:
    return bool(_EMPTY_FIELD.match(text))


_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def encode_attribute(text: str) -> str:
    """HTML-attribute escaping as Anki's cloze code does it (the htmlescape crate)."""
    return "".join(
        c if (c.isascii() and c.isalnum()) or ord(c) > 255 else _ENTITIES.get(c, f"&#x{ord(c):X};")
        for c in text)


def cloze(text: str, ordinal: int, question: bool) -> str:
    """Anki's {{cloze:}} filter: deletion `ordinal` hidden (question) or shown (answer)."""

    def one(match: re.Match) -> str:
        number = int(match.group(1))
        content, _, hint = match.group(2).partition("::")
        if number != ordinal:
            return f'<span class="cloze-inactive" data-ordinal="{number}">{content}</span>'
        if question:
            return (f'<span class="cloze" data-cloze="{encode_attribute(content)}" '
                    f'data-ordinal="{number}">[{hint or "..."}]</span>')
        return f'<span class="cloze" data-ordinal="{number}">{content}</span>'

    previous = None
    while previous != text:
        previous, text = text, _CLOZE.sub(one, text)
    return text


def render_template(template: str, fields: dict[str, str], *, cloze_ordinal: int = 0,
                    question: bool = True, front_side: str = "") -> str:
    """Fill one side's template with a note's fields."""
    previous = None
    while previous != template:  # sections may nest; resolve from the outside in
        previous = template
        template = _SECTION.sub(
            lambda m: m.group(3) if field_is_empty(fields.get(m.group(2), "")) == (
                m.group(1) == "^") else "", template)

    def replace(match: re.Match) -> str:
        *filters, name = match.group(1).split(":")
        if name == "FrontSide" and not filters:
            return front_side
        if name not in fields:
            return f"{{{{{match.group(1)}}}}}: no such field"
        value = fields[name]
        for name_ in reversed(filters):
            if name_ == "cloze":
                value = cloze(value, cloze_ordinal, question)
            elif name_ == "text":
                value = plain_text(value)
        return value

    return _REPLACEMENT.sub(replace, template)


def render_note(note: Note) -> list[RenderedCard]:
    """Every card Anki makes of the note, in order, with question and answer HTML."""
    note_type = note.note_type
    fields = dict(zip(note_type.fields, note.fields, strict=True))
    cards = []
    if note_type.is_cloze:
        name, qfmt, afmt = note_type.templates[0]
        for number in (ordinal + 1 for ordinal in note.card_ords):
            q = render_template(qfmt, fields, cloze_ordinal=number)
            a = render_template(afmt, fields, cloze_ordinal=number, question=False, front_side=q)
            cards.append(RenderedCard(f"{name} {number}", number, q, a))
        return cards
    for ordinal, (name, qfmt, afmt) in enumerate(note_type.templates, 1):
        q = render_template(qfmt, fields)
        if not _shows_something(q):
            continue  # Anki makes no card whose question would be blank
        a = render_template(afmt, fields, question=False, front_side=q)
        cards.append(RenderedCard(name, ordinal, q, a))
    return cards


def _shows_something(html: str) -> bool:
    return bool(plain_text(html)) or "<img" in html or "[sound:" in html
