"""Notes: what Anki stores and shows. The note types (fields, templates, CSS), a Deck's cards
made into notes with stable guids, and a note's cards rendered as Anki renders them."""

from deckbuilder.notes.canonical import canonical, field_hash
from deckbuilder.notes.cardview import RenderedCard, render_note
from deckbuilder.notes.note import (
    RETIRED_TAG,
    Note,
    build_notes,
    guid_for,
    retired_note,
    retiring_release,
)
from deckbuilder.notes.notetypes import CLOZE, CSS, FACT, NOTE_TYPES, NoteType, note_types_for

__all__ = ["CLOZE", "CSS", "FACT", "NOTE_TYPES", "RETIRED_TAG", "Note", "NoteType", "RenderedCard",
           "build_notes", "canonical", "field_hash", "guid_for", "note_types_for", "render_note",
           "retired_note", "retiring_release"]
