"""Shared helpers: small decks written to tmp_path, and a real Anki collection to import into."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# CI must not fail on an example no earlier run tried: there, property tests draw the same
# examples every time. Run them locally to explore new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# A real, tiny PNG (1x1) and a real, tiny MP3 frame header are enough for Anki's media store.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e3a40000000049454e44ae426082")
MP3 = bytes.fromhex("fffb9064") + bytes(413)

DECK_ID = 1234567890
DECK_YAML = f"""\
name: Test Treaty Deck
id: {DECK_ID}
description: A small deck for tests.
sources:
  treaty-text:
    title: English text of the treaty
    url: https://example.org/treaty
  westad:
    title: "*Brothers in Arms* (1998)"
"""

CARDS_YAML = """\
tags: [treaty::dates]
cards:
  - id: signing-date
    front: When was the treaty signed?
    back: 14 February 1950, in **Moscow**
    reverse: true
    sources: [treaty-text]
  - id: signatories
    front: Who signed the treaty?
    back: Zhou Enlai and Andrey Vyshinsky
    notes: Stalin and Mao attended.
    sources: [treaty-text, westad]
    tags: [treaty::people]
    image: timeline.png
  - id: article-three
    cloze: "Neither party joins any {{c1::alliance}} directed against the {{c2::other}}."
    extra: Article 3.
    sources: [treaty-text]
  - id: chinese-name
    front: The treaty's Chinese name
    back: 中苏友好同盟互助条约
    audio: name.mp3
    sources: [treaty-text]
"""


class DeckDir:
    """A deck on disk: cards/, media/ and the ledger beside them, under one root."""

    def __init__(self, root: Path):
        self.root = root
        self.cards = root / "cards"
        self.media = root / "media"
        self.ledger = root / "cards.lock"
        self.output = root / "dist" / "deck.apkg"

    def write(self, name: str, text: str) -> Path:
        path = self.cards / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.cards / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def args(self, *extra: str) -> list[str]:
        return ["--cards", str(self.cards), "--media", str(self.media), "-o", str(self.output),
                *extra]


@pytest.fixture
def deck_dir(tmp_path: Path) -> DeckDir:
    deck = DeckDir(tmp_path / "deck")
    deck.cards.mkdir(parents=True)
    deck.media.mkdir()
    deck.write("deck.yaml", DECK_YAML)
    deck.write("treaty.yaml", CARDS_YAML)
    (deck.media / "timeline.png").write_bytes(PNG)
    (deck.media / "name.mp3").write_bytes(MP3)
    return deck


@pytest.fixture
def collection(tmp_path: Path):
    """A new, empty real Anki collection."""
    from anki.collection import Collection

    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    yield col
    col.close()


def import_package(col, package: Path):
    """Import with Anki's default options, as the desktop import dialog does."""
    from anki.collection import ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageOptions

    return col.import_anki_package(ImportAnkiPackageRequest(
        package_path=str(package), options=ImportAnkiPackageOptions())).log


def note_for(col, card_id: str, deck_id: int = DECK_ID):
    """The collection's note for a card id, found by the guid the builder gives it."""
    from deckbuilder.notes import guid_for

    guid = guid_for(deck_id, card_id)
    found = [n for n in map(col.get_note, col.find_notes("")) if n.guid == guid]
    assert len(found) == 1, f"{len(found)} notes for card {card_id!r}"
    return found[0]
