"""A small deck written into a temporary folder: deck.yaml, one card file, a PNG and a WAV.

The real cards/ are written on another branch, so the author-tool tests build their own.
"""

from __future__ import annotations

import struct
import wave
import zlib
from pathlib import Path

DECK_YAML = """\
# yaml-language-server: $schema=../deckbuilder/deck.schema.json
name: Test Deck
id: 1234567890
description: A *small* deck for the tests.
sources:
  treaty:
    title: The *Treaty* text
    url: https://example.org/treaty
"""

CARDS_YAML = """\
# yaml-language-server: $schema=../deckbuilder/cards.schema.json
tags: [history]
cards:
  - id: signing-date
    front: When was the treaty signed?
    back: 14 February 1950
    reverse: true
    image: map.png
    sources: [treaty]
    tags: [dates]

  - id: signers
    cloze: "{{c1::Zhou Enlai}} and {{c2::Vyshinsky::Soviet FM}} signed it in {{c3::Moscow}}."
    extra: Stalin and Mao looked on.
    audio: chime.wav
    tags: [people::leaders]

  - id: term-years
    front: For how many years was the treaty concluded?
    back: Thirty
    notes: It lapsed in **1980**.
"""

# What the cards above make, for tests that count.
CARD_IDS = ("signing-date", "signers", "term-years")
CARD_COUNT = 2 + 3 + 1
TAGS = {"signing-date": {"history", "dates"}, "signers": {"history", "people::leaders"},
        "term-years": {"history"}}


def png_bytes(width: int = 40, height: int = 24,
              rgb: tuple[int, int, int] = (26, 95, 180)) -> bytes:
    """A valid, solid-colour RGB PNG."""
    row = b"\x00" + bytes(rgb) * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def write_wav(path: Path, seconds: float = 0.2) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes([128]) * int(8000 * seconds))


def write_deck(root: Path, cards_yaml: str = CARDS_YAML,
               deck_yaml: str = DECK_YAML) -> tuple[Path, Path]:
    """Write cards/ and media/ under root; return (cards_dir, media_dir) as absolute paths."""
    cards_dir, media_dir = root / "cards", root / "media"
    cards_dir.mkdir(parents=True, exist_ok=True)
    media_dir.mkdir(exist_ok=True)
    (cards_dir / "deck.yaml").write_text(deck_yaml, "utf-8")
    (cards_dir / "facts.yaml").write_text(cards_yaml, "utf-8")
    (media_dir / "map.png").write_bytes(png_bytes())
    write_wav(media_dir / "chime.wav")
    return cards_dir.resolve(), media_dir.resolve()
