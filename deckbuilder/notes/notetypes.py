"""The two note types of a deck: Fact (front and back, optionally reversed) and Cloze.

Released note types are frozen: their ids, field names and template names never change
(Anki would refuse to update notes and fork a copy of the type). Template HTML and CSS may.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from deckbuilder.source import Deck

# Read beside this module, not through importlib.resources: see schema.py.
CSS = Path(__file__).with_name("card.css").read_text("utf-8")

# The picture comes after the notes, so the notes are read without scrolling past it.
_ANSWER_FOOT = """
{{Audio}}
{{#Notes}}<div class="notes">{{Notes}}</div>{{/Notes}}
{{#Image}}<div class="figure">{{Image}}</div>{{/Image}}
{{#Source}}<div class="source">{{Source}}</div>{{/Source}}"""


@dataclass(frozen=True)
class NoteType:
    id: int
    name: str
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str, str], ...]  # (name, question HTML, answer HTML)
    css: str
    is_cloze: bool = False
    # What the builder puts in each field, by name (a field's name may change in a successor
    # note type; what it holds does not).
    content: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.content) != len(self.fields):
            raise ValueError(f"note type '{self.name}': give the content of each field")

    def field_values(self, values: dict[str, str]) -> tuple[str, ...]:
        """A note's fields, given by content name, in the order of this note type's fields."""
        try:
            if len(values) == len(self.content):  # and every name found: the same names
                return tuple(values[name] for name in self.content)
        except KeyError:
            pass
        raise ValueError(f"note type '{self.name}' holds {', '.join(self.content)}; "
                         f"given {', '.join(values)}")

    def digest(self) -> str:
        """Changes whenever anything a learner would see of the note type changes."""
        data = [self.id, self.name, self.fields, self.templates, self.css, self.is_cloze]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


# Anki scrolls the element with id "answer" into view when it shows the answer. On the
# first element, the answer side opens at the top: the question stays on screen, and so do
# the words a cloze reveals, which would otherwise scroll away above a tall answer.
FACT = NoteType(
    id=1950021401,
    name="Fact (build-deck)",
    fields=("Front", "Back", "Image", "Audio", "Notes", "Source", "Reverse"),
    templates=(
        ("Front to back",
         '<div class="prompt">{{Front}}</div>',
         '<div class="prompt" id="answer">{{Front}}</div>\n<hr class="answer-rule">\n'
         '<div class="answer">{{Back}}</div>' + _ANSWER_FOOT),
        # Reverse holds "y" (ask the back, answer the front) or the card's own question and
        # answer (notes.py); card.css shows the one form or the other, with no script.
        ("Back to front",
         '{{#Reverse}}<div class="reverse">{{Reverse}}'
         '<div class="prompt reverse-back">{{Back}}</div></div>{{/Reverse}}',
         '<div class="reverse reverse-shown" id="answer">{{Reverse}}'
         '<div class="prompt reverse-back">{{Back}}</div>\n<hr class="answer-rule">\n'
         '<div class="answer reverse-back">{{Front}}</div></div>' + _ANSWER_FOOT),
    ),
    css=CSS,
    content=("front", "back", "image", "audio", "notes", "source", "reverse"),
)

CLOZE = NoteType(
    id=1950021402,
    name="Cloze (build-deck)",
    fields=("Text", "Extra", "Image", "Audio", "Notes", "Source"),
    templates=(
        ("Cloze",
         '<div class="prompt cloze-text">{{cloze:Text}}</div>',
         '<div class="prompt cloze-text" id="answer">{{cloze:Text}}</div>\n'
         '<hr class="answer-rule">\n'
         '{{#Extra}}<div class="answer">{{Extra}}</div>{{/Extra}}' + _ANSWER_FOOT),
    ),
    css=CSS,
    is_cloze=True,
    content=("text", "extra", "image", "audio", "notes", "source"),
)

NOTE_TYPES = (FACT, CLOZE)


def note_types_for(deck: Deck) -> tuple[NoteType, ...]:
    """The deck's own note types (deck.yaml's note_types, its style.css or the tool's), or,
    for a deck that names none, the ones the treaty deck and the decks made before it share."""
    if not deck.note_types:
        return NOTE_TYPES
    css = CSS if deck.style is None else deck.style
    fact, cloze = deck.note_types["fact"], deck.note_types["cloze"]
    return (dataclasses.replace(FACT, id=fact.id, name=fact.name, css=css),
            dataclasses.replace(CLOZE, id=cloze.id, name=cloze.name, css=css))
