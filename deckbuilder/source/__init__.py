"""Source: the author's files -> a validated Deck.

Reads cards/deck.yaml and the card files (YAML, checked against the JSON Schemas beside this
module), the media they name, and collects every problem with its file, line and column.
Imports only the shared base: never notes/ or ledger/.
"""

from deckbuilder.source.cards import load_deck
from deckbuilder.source.cloze import cloze_numbers, cloze_problem
from deckbuilder.source.ids import TREATY_NAME, fresh_id
from deckbuilder.source.media import AUDIO_TYPES, IMAGE_TYPES, MediaFile, media_files
from deckbuilder.source.model import Card, CorrectionRevision, Deck, NoteTypeSetting, Source
from deckbuilder.source.schema import schema_texts
from deckbuilder.source.yamlfile import YAMLFileError
from deckbuilder.source.yamlfile import load as load_yaml

__all__ = ["AUDIO_TYPES", "IMAGE_TYPES", "TREATY_NAME", "Card", "CorrectionRevision", "Deck",
           "MediaFile", "NoteTypeSetting", "Source", "YAMLFileError", "cloze_numbers",
           "cloze_problem", "fresh_id", "load_deck", "load_yaml", "media_files", "schema_texts"]
