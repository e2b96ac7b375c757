"""A new deck: a folder that builds at once, with ids, note types and style of its own.

Every id is fresh (from `secrets`), so no two decks made here share one by accident; the style
is a copy of the tool's, so a later release of the tool never restyles the deck.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from deckbuilder.errors import Problems, display_path
from deckbuilder.ledger import Ledger, ledger_lines
from deckbuilder.notes import CSS
from deckbuilder.paths import DECK_FILE, LEDGER_NAME, STYLE_FILE, default_output, shipped_beside
from deckbuilder.source import TREATY_NAME, fresh_id, schema_texts

EXAMPLE_CARDS = "cards/10-example.yaml"
EXAMPLE_IMAGE = "example.svg"
# What a deck's folder holds, for the refusal to start one over another. The record of what
# another deck shipped too: a new deck's builds would add to it, and its packages carry it.
DECK_FILES = ("cards", "media", LEDGER_NAME, shipped_beside(Path(LEDGER_NAME)).name, STYLE_FILE)

_DECK_YAML = """\
# yaml-language-server: $schema=deck.schema.json
name: {name}  # fixed once released: Anki matches decks by name
id: {deck_id}  # permanent, like the note types' ids: every note's identity is made from it
note_types:
  fact: {{id: {fact_id}, name: {fact_name}}}
  cloze: {{id: {cloze_id}, name: {cloze_name}}}
version: 0.1.0
description: What the deck covers, in Markdown; learners see it above *Study Now*.
sources:
  example-source:
    title: Where a fact comes from; cards cite it by its key
    url: https://example.org/
"""

_EXAMPLE_CARDS = r"""# yaml-language-server: $schema=cards.schema.json
# Example cards: edit them, or delete this file once you have written your own (before your
# first release: a released card is retired, never deleted). Files are read in name order.
tags: [example]
cards:
  - id: example-basic              # permanent: ties the learner's note to this card
    front: What does a **basic** card ask?
    back: A question on the front, its answer on the back.
    image: example.svg             # a file in media/
    sources: [example-source]
  - id: example-reverse
    front: reverse card
    back: a card asked both ways, front to back and back to front
    reverse: true
  - id: example-cloze
    cloze: A cloze card hides {{c1::one part}} of a sentence, or {{c2::two}}.
    extra: 'Math is written for MathJax, as in Anki: \(e^{i\pi} + 1 = 0\)'
"""

_EXAMPLE_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120">
<rect x="4" y="4" width="232" height="112" rx="12" fill="#eef3fb" stroke="#3b6fb6" \
stroke-width="4"/>
<text x="120" y="56" font-family="sans-serif" font-size="22" text-anchor="middle" fill="#1d3557">\
question</text>
<line x1="40" y1="70" x2="200" y2="70" stroke="#3b6fb6" stroke-width="2"/>
<text x="120" y="96" font-family="sans-serif" font-size="22" text-anchor="middle" fill="#1d3557">\
answer</text>
</svg>
"""


@dataclass(frozen=True)
class NewDeck:
    """What `new` made: the folder, the files in it and where the first build will write."""

    folder: Path
    files: tuple[str, ...]
    package: Path  # relative to the folder


def new_deck(folder: Path, name: str, here: bool = False) -> NewDeck:
    """Write a deck that builds at once into folder (a new or empty one, or, with here, one
    that holds no deck yet). Never writes over a file. Raises DeckError."""
    folder = Path(folder)
    name = name.strip()
    _refuse(folder, name, here)
    deck_id, fact_id, cloze_id = _fresh_ids(3)
    quoted = json.dumps  # a JSON string is a YAML double-quoted scalar
    files = {
        f"cards/{DECK_FILE}": _DECK_YAML.format(
            name=quoted(name, ensure_ascii=False), deck_id=deck_id, fact_id=fact_id,
            cloze_id=cloze_id, fact_name=quoted(f"Fact ({name})", ensure_ascii=False),
            cloze_name=quoted(f"Cloze ({name})", ensure_ascii=False)),
        EXAMPLE_CARDS: _EXAMPLE_CARDS,
        **{f"cards/{file}": text for file, text in schema_texts().items()},
        f"media/{EXAMPLE_IMAGE}": _EXAMPLE_SVG,
        STYLE_FILE: CSS,
        # A ledger from the start: the deck's own, so a folder whose git history holds another
        # deck's ledger (a fork) builds too.
        LEDGER_NAME: "".join(ledger_lines(Ledger(deck_id, name, int(time.time())))),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as f:  # "x": never over a file
            f.write(text)
    written = list(files)
    if _ignore_dist(folder / ".gitignore"):
        written.append(".gitignore")
    return NewDeck(folder, tuple(written), default_output(name))


def _fresh_ids(count: int) -> list[int]:
    ids: set[int] = set()
    while len(ids) < count:
        ids.add(fresh_id())
    return sorted(ids)


def _ignore_dist(path: Path) -> bool:
    """Keep built packages out of git: add dist/ to .gitignore unless it is there."""
    if path.exists():
        text = path.read_text("utf-8")
        if any(line.strip().strip("/") == "dist" for line in text.splitlines()):
            return False
        with open(path, "a", encoding="utf-8") as f:
            f.write(("\n" if text and not text.endswith("\n") else "") + "dist/\n")
        return True
    path.write_text("dist/\n", "utf-8")
    return True


def _refuse(folder: Path, name: str, here: bool) -> None:
    problems = Problems()
    where = display_path(folder) if not here else "this folder"
    wrong = name_problem(name)
    if wrong:
        problems.add("--name", message=wrong)
    if folder.exists() and not folder.is_dir():
        problems.add(display_path(folder), message="is a file, not a folder; name a new folder")
    elif here:
        found = [f for f in DECK_FILES if (folder / f).exists()
                 and not (folder / f).is_dir() or _has_files(folder / f)]
        if found:
            problems.add(where, message=f"already holds a deck ({', '.join(found)}). To start "
                         "a deck of your own here, set those aside first, for instance "
                         f"`git rm -r -q {' '.join(found)}` (git keeps them in its history), "
                         "then run build-deck new --here again")
    elif folder.exists() and any(folder.iterdir()):
        problems.add(where, message="is not empty; name a new folder (build-deck new DIR), or "
                     "start a deck in the current folder with build-deck new --here")
    problems.raise_if_any()


def name_problem(name: str) -> str | None:
    """What is wrong with a new deck's name, or None."""
    name = name.strip()
    if not name or any(c in name for c in "\t\n\r\u2028\u2029"):
        return "give the deck a name of one line, such as --name \"Treaty of Versailles\""
    if name == TREATY_NAME:
        return (f"'{name}' is the name of the deck this tool was made for; Anki would merge "
                "the two decks in a learner's collection. Choose another name")
    return None


def _has_files(path: Path) -> bool:
    return path.is_dir() and any(p.is_file() for p in path.rglob("*"))
