"""The pipeline every command runs: files -> cards -> notes -> plan -> package (+ ledger).

Each step returns a named result and changes nothing it was given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from deckbuilder import safety
from deckbuilder.atomic import Staged, sync_folders
from deckbuilder.errors import display_path
from deckbuilder.ledger import (
    DeckFacts,
    Plan,
    Shipment,
    build_time,
    description_html,
    ledger_lines,
    make_plan,
    read_ledger,
)
from deckbuilder.notes import NOTE_TYPES, Note, NoteType, build_notes
from deckbuilder.package import collection_file, package_writer
from deckbuilder.paths import DECK_FILE, default_ledger, default_output
from deckbuilder.source import Deck, MediaFile, load_deck, media_files


@dataclass(frozen=True)
class DeckNotes:
    """A deck made into notes. `deck.cards` is empty unless the cards were asked to be kept."""

    deck: Deck
    notes: list[Note]
    media: dict[str, MediaFile]

    @property
    def card_count(self) -> int:
        return sum(n.card_count for n in self.notes)


@dataclass(frozen=True)
class Prepared(DeckNotes):
    """Everything a build writes, short of writing it: the notes and the re-import plan."""

    plan: Plan
    ledger_path: Path


@dataclass(frozen=True)
class BuildResult(Prepared):
    output: Path
    notices: tuple[str, ...] = ()  # things the build found and put right, for the user


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
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
def make_notes(cards_dir: Path, media_dir: Path, note_types: tuple[NoteType, ...] = NOTE_TYPES,
               keep_cards: bool = False, progress: Callable[[str], None] = _quiet) -> DeckNotes:
    """Read and validate the cards and make their notes. Raises DeckError on bad input.

    The notes carry all that later steps need, so the returned deck has no cards unless
    keep_cards: letting them go before the ledger is built keeps a 100k-card build's peak memory
    at the bare genanki job's (tests/benchmark.py). `progress` is told what is being done.
    """
    progress(f"Reading cards from {display_path(Path(cards_dir))}")
    deck = load_deck(cards_dir, media_dir)
    progress(f"Making {len(deck.cards)} notes")
    media = media_files(deck)
    notes = build_notes(deck, media, note_types)
    if not keep_cards:
        deck = dataclasses.replace(deck, cards=[])  # the only other reference to the cards
    return DeckNotes(deck, notes, media)


def _deck_facts(deck: Deck) -> DeckFacts:
    """What the ledger needs of deck.yaml, and where it says it (for messages)."""
    marks: dict[str, tuple[int, int]] = {key: deck.marks[key] for key in ("id", "name", "version")
                                         if key in deck.marks}
    return DeckFacts(deck.id, deck.name, deck.version or "",
                     display_path(deck.cards_dir / DECK_FILE), marks)


@_no_cyclic_gc()
def prepare(cards_dir: Path, media_dir: Path, ledger_path: Path | None = None,
            note_types: tuple[NoteType, ...] = NOTE_TYPES, now: int | None = None,
            progress: Callable[[str], None] = _quiet, output: Path | None = None) -> Prepared:
    """Everything short of writing: validate, make notes, plan against the ledger.

    Raises DeckError when the ledger is lost (safety.refuse_lost_ledger): output is where the
    package would go, dist/<deck>.apkg by default.
    """
    now = build_time() if now is None else now
    made = make_notes(cards_dir, media_dir, note_types, progress=progress)
    ledger_path = Path(ledger_path or default_ledger(cards_dir))
    old = read_ledger(ledger_path)
    if old.missing:
        safety.refuse_lost_ledger(ledger_path, Path(output or default_output(made.deck.name)))
    shipment = Shipment(_deck_facts(made.deck), made.notes, note_types,
                        {name: m.package_name for name, m in made.media.items()})
    plan = make_plan(shipment, old, ledger_path, now)
    # The plan's notes: with the tags and identities the ledger gives them (corrections, renames).
    return Prepared(made.deck, plan.notes, made.media, plan, ledger_path)


@_no_cyclic_gc()
def build(cards_dir: Path, media_dir: Path, output: Path | None = None,
          ledger_path: Path | None = None, note_types: tuple[NoteType, ...] = NOTE_TYPES,
          now: int | None = None, progress: Callable[[str], None] = _quiet) -> BuildResult:
    """Build the package and update the ledger. Raises DeckError, writing nothing, on bad input.

    The package and the ledger are a pair: the ledger records the package's digest, both are
    written before either is moved into place, and builds of one deck take turns.
    """
    ledger_path = Path(ledger_path or default_ledger(cards_dir))
    with safety.ledger_lock(ledger_path):
        notices = []
        prepared = prepare(cards_dir, media_dir, ledger_path, note_types, now, progress,
                           output)
        output = Path(output) if output else default_output(prepared.deck.name)
        safety.refuse_own_inputs(output, safety.Inputs(cards_dir, media_dir, ledger_path))
        if safety.mismatched(output, prepared.plan.previous_package):
            notices.append(f"{display_path(output)} is not the package the ledger records (a "
                           "build was stopped between writing the two, or the file was "
                           "replaced); both are written anew now.")
        progress(f"Writing {display_path(output)}")
        plan = prepared.plan
        release_notes = (description_html(plan.ledger, prepared.notes, prepared.deck.version)
                         if prepared.deck.version else "")
        with collection_file(prepared.deck, prepared.notes, note_types, plan,
                             release_notes) as collection:
            package = Staged(output, package_writer(collection, prepared.media))
        try:
            plan.ledger.package = package.sha256()
            lock_file = Staged(ledger_path, lambda f: f.writelines(
                line.encode("utf-8") for line in ledger_lines(plan.ledger)))
            try:
                # Both are written and synced; a kill between these two renames leaves a new
                # package beside the old ledger, which the next build notices and repairs.
                package.commit()
                lock_file.commit()
            finally:
                lock_file.close()
        finally:
            package.close()
        sync_folders(output.parent, ledger_path.parent)
    return BuildResult(prepared.deck, prepared.notes, prepared.media, plan,
                       prepared.ledger_path, output, tuple(notices))
