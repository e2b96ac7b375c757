"""The whole build as one plain function: files -> cards -> notes -> package (+ ledger)."""

from __future__ import annotations

import contextlib
import gc
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import ledger as ledger_file
from .cards import Deck, display_path, load_deck
from .ledger import Plan
from .notes import MediaFile, Note, build_notes, media_files
from .notetypes import NOTE_TYPES, NoteType
from .package import collection_file, write_atomically, write_package


@dataclass
class BuildResult:
    deck: Deck
    notes: list[Note]
    media: dict[str, MediaFile]
    plan: Plan
    output: Path

    @property
    def card_count(self) -> int:
        return sum(n.card_count for n in self.notes)


def slug(name: str) -> str:
    """A file name for the deck: 'Sino-Soviet Treaty of 1950' -> 'sino-soviet-treaty-of-1950'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "deck"


def default_output(deck_name: str, suffix: str = ".apkg") -> Path:
    """Where commands write by default: dist/<deck-slug><suffix>."""
    return Path("dist") / f"{slug(deck_name)}{suffix}"


@contextlib.contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector (reference counting still frees everything).

    A build allocates millions of small objects that form no cycles (YAML nodes, cards, notes);
    the collector kept rescanning them, a third of a 100k-card build's time, and found nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _quiet(stage: str) -> None:
    pass


@_no_cyclic_gc()
def prepare(cards_dir: Path, media_dir: Path, ledger_path: Path | None = None,
            note_types: tuple[NoteType, ...] = NOTE_TYPES, now: int | None = None,
            progress: Callable[[str], None] = _quiet):
    """Everything short of writing: validate, make notes, plan against the ledger.

    The cards end up in the notes: the returned deck's `cards` list is emptied. `progress` is
    told what is being done, in the user's words.
    """
    progress(f"Reading cards from {display_path(Path(cards_dir))}")
    deck = load_deck(cards_dir, media_dir)
    progress(f"Making {len(deck.cards)} notes")
    media = media_files(deck)
    notes = build_notes(deck, media, note_types)
    # The notes carry all that later steps need. Letting the cards go before the ledger is built
    # keeps a 100k-card build's peak memory at the bare genanki job's (tests/benchmark.py).
    deck.cards = []
    ledger_path = Path(ledger_path or ledger_file.default_path(cards_dir))
    old = ledger_file.read(ledger_path)
    plan = ledger_file.plan(deck, notes, note_types, media, old, ledger_path,
                            ledger_file.build_time() if now is None else now)
    return deck, notes, media, plan, ledger_path


@_no_cyclic_gc()
def build(cards_dir: Path, media_dir: Path, output: Path | None = None,
          ledger_path: Path | None = None, note_types: tuple[NoteType, ...] = NOTE_TYPES,
          now: int | None = None, progress: Callable[[str], None] = _quiet) -> BuildResult:
    """Build the package and update the ledger. Raises DeckError, writing nothing, on bad input."""
    deck, notes, media, plan, ledger_path = prepare(cards_dir, media_dir, ledger_path,
                                                    note_types, now, progress)
    output = Path(output) if output else default_output(deck.name)
    progress(f"Writing {display_path(output)}")
    with collection_file(deck, notes, note_types, plan) as collection:
        write_package(output, collection, media)
    # The package first: if we stop between the two, the next build only stamps a few notes anew.
    write_atomically(ledger_path, lambda f: f.writelines(
        line.encode("utf-8") for line in ledger_file.lines(plan.ledger)))
    return BuildResult(deck, notes, media, plan, output)
