"""The pipeline every command runs: files -> cards -> notes -> plan -> package (+ ledger).

Each step returns a named result and changes nothing it was given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from deckbuilder import safety
from deckbuilder.atomic import Staged, sync_folders
from deckbuilder.errors import DeckError, Problems, display_path
from deckbuilder.ledger import (
    DeckFacts,
    Ledger,
    Plan,
    Shipment,
    ShippedFile,
    build_time,
    description_html,
    ledger_lines,
    make_plan,
    read_ledger,
    read_shipped_file,
    refuse_stale_ledger,
    shipments,
)
from deckbuilder.notes import Note, NoteType, build_notes, guid_for, note_types_for
from deckbuilder.package import collection_file, package_writer
from deckbuilder.paths import DECK_FILE, default_ledger, default_output, shipped_beside
from deckbuilder.source import Deck, MediaFile, load_deck, media_files


@dataclass(frozen=True)
class DeckNotes:
    """A deck made into notes. `deck.cards` is empty unless the cards were asked to be kept."""

    deck: Deck
    notes: list[Note]
    media: dict[str, MediaFile]
    note_types: tuple[NoteType, ...]

    @property
    def card_count(self) -> int:
        return sum(n.card_count for n in self.notes)


@dataclass(frozen=True)
class Prepared(DeckNotes):
    """Everything a build writes, short of writing it: the notes and the re-import plan."""

    plan: Plan
    ledger_path: Path
    record: ShippedFile  # the record of what we shipped, as the build found it


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
def make_notes(cards_dir: Path, media_dir: Path, note_types: tuple[NoteType, ...] | None = None,
               keep_cards: bool = False, progress: Callable[[str], None] = _quiet) -> DeckNotes:
    """Read and validate the cards and make their notes. Raises DeckError on bad input.

    The notes carry all that later steps need, so the returned deck has no cards unless
    keep_cards: letting them go before the ledger is built keeps a 100k-card build's peak memory
    at the bare genanki job's (tests/benchmark.py). `progress` is told what is being done.
    note_types: the deck's own (deck.yaml, style.css) unless given.
    """
    progress(f"Reading cards from {display_path(Path(cards_dir))}")
    deck = load_deck(cards_dir, media_dir)
    progress(f"Making {len(deck.cards)} notes")
    media = media_files(deck)
    note_types = note_types or note_types_for(deck)
    notes = build_notes(deck, media, note_types)
    if not keep_cards:
        deck = dataclasses.replace(deck, cards=[])  # the only other reference to the cards
    return DeckNotes(deck, notes, media, note_types)


def _deck_facts(deck: Deck) -> DeckFacts:
    """What the ledger needs of deck.yaml, and where it says it (for messages)."""
    marks: dict[str, tuple[int, int]] = {key: deck.marks[key] for key in ("id", "name", "version")
                                         if key in deck.marks}
    return DeckFacts(deck.id, deck.name, deck.version or "",
                     display_path(deck.cards_dir / DECK_FILE), marks)


def _state(ledger: Ledger, deck_id: int) -> safety.LedgerState:
    """What the ledger says of its package, each note by its guid."""
    stamps = {guid_for(deck_id, origin): (card_id, ledger.cards[card_id].mod)
              for card_id, origin in ledger.origins().items()}
    return safety.LedgerState(ledger.package, ledger.digest, ledger.built_from, stamps)


@_no_cyclic_gc()
def prepare(cards_dir: Path, media_dir: Path, ledger_path: Path | None = None,
            note_types: tuple[NoteType, ...] | None = None, now: int | None = None,
            progress: Callable[[str], None] = _quiet, output: Path | None = None,
            release: bool = False) -> Prepared:
    """Everything short of writing: validate, make notes, plan against the ledger.

    Raises DeckError when the ledger or the record of what we shipped beside it is lost
    (safety.refuse_lost_ledger, refuse_lost_record), or the ledger is older than the package
    at output (safety.refuse_stale_ledger) or than what the record says we shipped: output is
    where the package would go, dist/<deck>.apkg by default. release: plan a release build
    (make_plan).
    """
    now = build_time() if now is None else now
    made = make_notes(cards_dir, media_dir, note_types, progress=progress)
    ledger_path = Path(ledger_path or default_ledger(cards_dir))
    output = Path(output or default_output(made.deck.name))
    if shipped_beside(ledger_path) == ledger_path:
        problems = Problems()
        problems.add(display_path(ledger_path), message="a ledger cannot be named *.shipped: "
                     "that is the name of the record of what we shipped beside it; name it "
                     "cards.lock (--ledger)")
        problems.raise_if_any()
    old = read_ledger(ledger_path)
    if old.missing:
        safety.refuse_lost_ledger(ledger_path, output)
    elif safety.mismatched(output, old.package):
        safety.refuse_stale_ledger(_state(old, made.deck.id), ledger_path, output)
    record = read_shipped_file(shipped_beside(ledger_path))
    if record.missing or (old.cards and not record.record.shipments):
        safety.refuse_lost_record(record.path, output, emptied=not record.missing)
    shipment = Shipment(_deck_facts(made.deck), made.notes, made.note_types,
                        {name: m.package_name for name, m in made.media.items()})
    try:
        plan = make_plan(shipment, old, ledger_path, now, release)
    except DeckError:
        # A stale ledger lacks records the cards name (a release's corrections): its errors
        # would point at the cards, when the ledger is what to put back.
        refuse_stale_ledger(old, None, record, display_path(ledger_path), made.notes)
        raise
    refuse_stale_ledger(old, plan, record, display_path(ledger_path))
    # The plan's notes: with the tags and identities the ledger gives them (corrections, renames).
    return Prepared(made.deck, plan.notes, made.media, made.note_types, plan, ledger_path, record)


def _git_head(folder: Path) -> str | None:
    """The commit the repository holding folder is at; None outside git."""
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True,
                               text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = found.stdout.strip()
    return commit if found.returncode == 0 and commit else None


@_no_cyclic_gc()
def build(cards_dir: Path, media_dir: Path, output: Path | None = None,
          ledger_path: Path | None = None, note_types: tuple[NoteType, ...] | None = None,
          now: int | None = None, progress: Callable[[str], None] = _quiet,
          release: bool = False) -> BuildResult:
    """Build the package and update the ledger. Raises DeckError, writing nothing, on bad input.

    The package and the ledger are a pair: the ledger records the package's digest, both are
    written before either is moved into place, and builds of one deck take turns. The record of
    what we shipped (cards.shipped) gains a line for each note shipped as never before; it goes
    into the package whole, and is moved into place last.
    """
    ledger_path = Path(ledger_path or default_ledger(cards_dir))
    with safety.ledger_lock(ledger_path):
        notices = []
        prepared = prepare(cards_dir, media_dir, ledger_path, note_types, now, progress,
                           output, release)
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
        record = prepared.record
        shipped = shipments(plan, prepared.deck.version, _git_head(Path(cards_dir)), plan.released)
        record_text = record.appended(shipped)
        with collection_file(prepared.deck, prepared.notes, prepared.note_types, plan,
                             release_notes) as collection:
            package = Staged(output, package_writer(collection, prepared.media,
                                                    record_text.encode("utf-8"),
                                                    safety.package_comment(plan.ledger.built_from)))
        staged = [package]
        try:
            plan.ledger.package = package.sha256()
            staged.append(Staged(ledger_path, lambda f: f.writelines(
                line.encode("utf-8") for line in ledger_lines(plan.ledger))))
            if record_text != record.text or record.missing:
                staged.append(Staged(record.path, lambda f: f.write(record_text.encode())))
            # All are written and synced before any is moved in. A kill between the renames
            # leaves a new package beside the old ledger, which the next build notices and
            # repairs; or a new pair beside the old record, to which the next build appends
            # the same lines. The record is never ahead of the ledger.
            for one in staged:
                one.commit()
        finally:
            for one in staged:
                one.close()
        sync_folders(output.parent, ledger_path.parent)
    return BuildResult(prepared.deck, prepared.notes, prepared.media, prepared.note_types, plan,
                       prepared.ledger_path, prepared.record, output, tuple(notices))
