"""Helpers the hardening tests share: write a deck into a folder, build it, import it into Anki."""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from build_deck import cli

DECK_YAML = "name: Hostile Input\nid: 424242\nsources:\n  ref:\n    title: A reference\n"
GOOD_CARDS = """\
cards:
  - id: good-one
    front: What is kept when a build fails?
    back: The previous package and ledger
"""


def write_deck(root: Path, files: dict[str, str | bytes], media: dict[str, bytes] | None = None,
               deck_yaml: str = DECK_YAML) -> tuple[Path, Path]:
    """cards/ (deck.yaml plus the given files) and media/ under root."""
    cards, media_dir = root / "cards", root / "media"
    cards.mkdir(parents=True, exist_ok=True)
    media_dir.mkdir(exist_ok=True)
    (cards / "deck.yaml").write_text(deck_yaml, encoding="utf-8")
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (cards / name).write_bytes(data)
    for name, data in (media or {}).items():
        (media_dir / name).write_bytes(data)
    return cards, media_dir


def build_args(root: Path, output: Path | None = None, ledger: Path | None = None) -> list[str]:
    return ["build", "--cards", str(root / "cards"), "--media", str(root / "media"),
            "-o", str(output or root / "dist" / "deck.apkg"),
            "--ledger", str(ledger or root / "cards.lock"), "--quiet"]


def run_build(root: Path, output: Path | None = None, ledger: Path | None = None):
    return CliRunner().invoke(cli, build_args(root, output, ledger))


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


def imported_note(col, card_id: str, deck_id: int = 424242):
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
