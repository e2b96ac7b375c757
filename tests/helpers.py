"""What the tests share: the one small test deck, writing decks, building them, importing them
into a real Anki collection, and reading HTML as a browser would."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import wave
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from deckbuilder.cli import cli

DECK_ID = 1234567890
DECK_YAML = f"""\
name: Test Treaty Deck
id: {DECK_ID}
description: A *small* deck for the tests.
sources:
  treaty-text:
    title: English text of the treaty
    url: https://example.org/treaty
  westad:
    title: "*Brothers in Arms* (1998)"
"""

# The one test deck: a basic card with reverse; a card with notes, two sources, an image and a
# tag below the file's; a cloze with a hint; a card with audio.
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
    tags: [treaty::people::signers]
    image: timeline.png
  - id: article-three
    cloze: "Neither party joins any {{c1::alliance}} directed against the {{c2::other::a party}}."
    extra: Article 3.
    sources: [treaty-text]
  - id: chinese-name
    front: The treaty's Chinese name
    back: 中苏友好同盟互助条约
    audio: name.wav
    sources: [treaty-text]
"""

# What the cards above make, for tests that count: 2 + 1 + 2 (c1, c2) + 1 cards.
CARD_IDS = ("signing-date", "signatories", "article-three", "chinese-name")
CARD_COUNT = 6
TAGS = {"signing-date": {"treaty::dates"},
        "signatories": {"treaty::dates", "treaty::people::signers"},
        "article-three": {"treaty::dates"}, "chinese-name": {"treaty::dates"}}


# One valid card file, beside bad ones: a problem elsewhere must not hide it.
GOOD = """\
cards:
  - id: good-card
    front: A question
    back: An answer
    sources: [treaty-text]
"""


def write_deck(root: Path, files: dict[str, str | bytes] | None = None,
               media: dict[str, bytes] | None = None,
               deck_yaml: str = DECK_YAML) -> tuple[Path, Path]:
    """cards/ (deck.yaml plus files) and media/ under root: by default, the test deck.

    Returns (cards_dir, media_dir) as absolute paths.
    """
    if files is None:
        files = {"treaty.yaml": CARDS_YAML}
        media = {**deck_media(), **(media or {})}
    cards, media_dir = root / "cards", root / "media"
    cards.mkdir(parents=True, exist_ok=True)
    media_dir.mkdir(exist_ok=True)
    (cards / "deck.yaml").write_text(deck_yaml, encoding="utf-8")
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (cards / name).write_bytes(data)
    for name, data in (media or {}).items():
        (media_dir / name).write_bytes(data)
    return cards.resolve(), media_dir.resolve()


class DeckDir:
    """A deck on disk: cards/, media/, the ledger and the record beside them, under one root."""

    def __init__(self, root: Path):
        self.root = root
        self.cards = root / "cards"
        self.media = root / "media"
        self.ledger = root / "cards.lock"
        self.record = root / "cards.shipped"  # the record of what we shipped, beside the ledger
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


def build_args(root: Path, output: Path | None = None, ledger: Path | None = None) -> list[str]:
    return ["build", "--cards", str(root / "cards"), "--media", str(root / "media"),
            "-o", str(output or root / "dist" / "deck.apkg"),
            "--ledger", str(ledger or root / "cards.lock"), "--quiet"]


def run_build(root: Path, output: Path | None = None, ledger: Path | None = None):
    return CliRunner().invoke(cli, build_args(root, output, ledger))


def script_command(root: Path, output: Path, ledger: Path) -> list[str]:
    """`python build_deck.py build ...` from this checkout, in a process of its own."""
    return [sys.executable, str(REPO / "build_deck.py"), *build_args(root, output, ledger)]


def script_env(epoch: int) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": str(epoch)}


def run_script(root: Path, output: Path, ledger: Path, epoch: int) -> float:
    """Build with script_command; return the seconds it took."""
    start = time.perf_counter()
    subprocess.run(script_command(root, output, ledger), env=script_env(epoch), check=True)
    return time.perf_counter() - start


@contextlib.contextmanager
def anki_collection(package: Path, folder: Path):
    """A fresh Anki collection in folder with the package imported (default import options)."""
    from anki.collection import (
        Collection,
        ImportAnkiPackageOptions,
        ImportAnkiPackageRequest,
    )

    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions()))
        yield col
    finally:
        col.close()


def notes_by_guid(col) -> dict:
    return {note.guid: note for note in (col.get_note(nid) for nid in col.find_notes(""))}


def imported_note(col, card_id: str, deck_id: int = DECK_ID):
    from deckbuilder.notes import guid_for

    return notes_by_guid(col)[guid_for(deck_id, card_id)]


class _ActiveContent(HTMLParser):
    """Collects what a browser would run in some HTML: script elements, on* handlers, js: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            url = "".join((value or "").split()).lower()
            if name.startswith("on") or url.startswith(("javascript:", "vbscript:", "data:text")):
                self.found.append(f"<{tag} {name}={value!r}>")


def active_content(html_text: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html_text)
    parser.close()
    return parser.found


def visible_text(html_text: str) -> str:
    """What a reader sees of some HTML: styles and inline tags dropped, other tags a space,
    entities decoded, spaces collapsed."""
    from deckbuilder.render import plain_text

    html_text = re.sub(r"<style>.*?</style>", "", html_text, flags=re.DOTALL)
    return plain_text(re.sub(r"</?(?:a|b|code|em|i|span|strong)\b[^>]*>", "", html_text))


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


def study(col, count: int, deck: str = "Test Treaty Deck") -> dict[int, tuple[int, int]]:
    """Answer `count` new cards 'Easy' through the scheduler; return card id -> (ivl, reviews)."""
    from anki.cards import Card
    from anki.scheduler.v3 import CardAnswer

    col.decks.select(col.decks.id_for_name(deck))
    for _ in range(count):
        queued = col.sched.get_queued_cards().cards[0]
        card = Card(col)
        card._load_from_backend_card(queued.card)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=queued.states,
                                                     rating=CardAnswer.EASY))
    return progress(col)


def progress(col) -> dict[int, tuple[int, int]]:
    studied = col.find_cards("-is:new")
    return {cid: (col.get_card(cid).ivl,
                  col.db.scalar("select count() from revlog where cid = ?", cid))
            for cid in studied}


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


def wav_bytes(seconds: float = 0.2) -> bytes:
    """A valid WAV of silence (8 kHz, 8-bit mono)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes([128]) * int(8000 * seconds))
    return out.getvalue()


# The test deck's media, real files a browser decodes: a 40x24 PNG, a 0.2 s WAV.
PNG = png_bytes()
WAV = wav_bytes()


def deck_media() -> dict[str, bytes]:
    return {"timeline.png": PNG, "name.wav": WAV}


# --- a large generated deck, for the crash tests and tests/benchmark.py ------------------------

CARDS_PER_FILE = 1000
SYNTHETIC_DECK_ID = 1950021499
SYNTHETIC_MEDIA = {"map.png": 40_000, "seal.jpg": 120_000, "signing.webp": 60_000,
                   "anthem.mp3": 300_000, "speech.ogg": 200_000}

_WORDS = ("treaty alliance Moscow Beijing friendship mutual assistance article signed "
          "ratified delegation communique Kremlin railway Port Arthur Dalian loan credit "
          "Zhou Enlai Vyshinsky Stalin Mao Liu Shaoqi thirty years lapse renewal 1950 1980 "
          "Japan aggression peace consultation independence sovereignty").split()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize()


def _markdown(rng: random.Random, text: str) -> str:
    """Sometimes add the Markdown people use in cards."""
    roll = rng.random()
    if roll < 0.08:
        return f"{text} (**{rng.choice(_WORDS)}**)"
    if roll < 0.14:
        return f"{text}, *{rng.choice(_WORDS)}*"
    if roll < 0.17:
        return f"{text} `{rng.choice(_WORDS)}`"
    if roll < 0.19:
        return f"{text} [see](https://example.org/{rng.randrange(1000)})"
    return text


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_synthetic_deck(folder: Path, cards: int, seed: int = 1950) -> tuple[Path, Path]:
    """cards/ (deck.yaml + files of CARDS_PER_FILE cards) and media/ under folder."""
    rng = random.Random(seed)
    cards_dir, media_dir = folder / "cards", folder / "media"
    cards_dir.mkdir(parents=True, exist_ok=True)
    media_dir.mkdir(exist_ok=True)
    (cards_dir / "deck.yaml").write_text(
        f"name: Synthetic {cards}\nid: {SYNTHETIC_DECK_ID}\ndescription: A *generated* deck.\n"
        "sources:\n  ref:\n    title: A reference\n    url: https://example.org/ref\n"
        "  book:\n    title: A book\n", encoding="utf-8")
    for name, size in SYNTHETIC_MEDIA.items():
        (media_dir / name).write_bytes(rng.randbytes(size))
    images = [n for n in SYNTHETIC_MEDIA if not n.endswith((".mp3", ".ogg"))]
    sounds = [n for n in SYNTHETIC_MEDIA if n.endswith((".mp3", ".ogg"))]
    for start in range(0, cards, CARDS_PER_FILE):
        lines = [f"tags: [synthetic::part-{start // CARDS_PER_FILE}]\ncards:\n"]
        for number in range(start, min(start + CARDS_PER_FILE, cards)):
            lines.append(f"  - id: card-{number}\n")
            kind = rng.random()
            if kind < 0.25:
                answer = sentence(rng, rng.randint(1, 4))
                text = f"{sentence(rng, rng.randint(4, 12))} {{{{c1::{answer}}}}}"
                if rng.random() < 0.3:
                    text += f" and {{{{c2::{sentence(rng, 2)}}}}}"
                lines.append(f"    cloze: {_quoted(_markdown(rng, text))}\n")
                if rng.random() < 0.2:
                    lines.append(f"    extra: {_quoted(sentence(rng, 6))}\n")
            else:
                lines.append(f"    front: {_quoted(_markdown(rng, sentence(rng, 8)) + '?')}\n")
                lines.append(f"    back: {_quoted(_markdown(rng, sentence(rng, 3)))}\n")
                if kind < 0.40:
                    lines.append("    reverse: true\n")
            if rng.random() < 0.3:
                lines.append(f"    notes: {_quoted(_markdown(rng, sentence(rng, 12)))}\n")
            lines.append(f"    sources: [{rng.choice(['ref', 'book'])}]\n")
            if rng.random() < 0.2:
                lines.append(f"    tags: [topic::{rng.choice(_WORDS).lower()}]\n")
            if rng.random() < 0.02:
                lines.append(f"    image: {rng.choice(images)}\n")
            if rng.random() < 0.01:
                lines.append(f"    audio: {rng.choice(sounds)}\n")
        (cards_dir / f"part-{start // CARDS_PER_FILE:04d}.yaml").write_text(
            "".join(lines), encoding="utf-8")
    return cards_dir, media_dir


def card(body: str, card_id: str = "bad") -> str:
    """A card file with one card; body lines are indented under the card."""
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return f"cards:\n  - id: {card_id}\n{lines}"


BASIC = "front: q\nback: a\n"


@dataclass
class BuiltDeck:
    """The test deck built by the CLI (build_args) under root: dist/deck.apkg and cards.lock,
    with a snapshot of every file to compare after a failed build."""

    root: Path

    @property
    def package(self) -> Path:
        return self.root / "dist" / "deck.apkg"

    @property
    def ledger(self) -> Path:
        return self.root / "cards.lock"

    @property
    def record(self) -> Path:
        return self.root / "cards.shipped"

    def snapshot(self) -> dict[str, bytes]:
        return {str(p.relative_to(self.root)): p.read_bytes()
                for p in sorted(self.root.rglob("*")) if p.is_file() and "cards" not in p.parts}


# --- a real browser ---------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run "
           "installs it)")
def chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--hide-scrollbars", *args],
            capture_output=True, text=True, timeout=120, env={**os.environ, "TZ": "UTC"})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
# --- the treaty deck: the repository's cards/ and media/, for tests/deck/ ---------------------

REPO = Path(__file__).resolve().parent.parent
TREATY_CARDS_DIR = REPO / "cards"
TREATY_MEDIA_DIR = REPO / "media"
TEXT_FIELDS = ("front", "back", "cloze", "extra", "notes")
# Maps drawn for places no card asks about yet.
MAPS_AWAITING_CARDS = {"changchun", "harbin"}


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.cache
def treaty_cards() -> list[dict]:
    """Every card, with its file name and its full tag set (file tags + card tags)."""
    cards = []
    for path in sorted(TREATY_CARDS_DIR.glob("*.yaml")):
        if path.name == "deck.yaml":
            continue
        data = load_yaml(path)
        file_tags = data.get("tags", [])
        for card in data["cards"]:
            cards.append({**card, "_file": path.name,
                          "_tags": set(file_tags) | set(card.get("tags", []))})
    return cards


def load_tool(name: str, path: Path):
    """A script under tools/, imported as a module."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


@functools.cache
def timeline_tool():
    return load_tool("timeline", REPO / "tools" / "timeline.py")
