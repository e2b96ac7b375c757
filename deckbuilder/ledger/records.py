"""The ledger in memory: what cards.lock records (the file's format is in ledgerfile.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from deckbuilder.ledger.release import CORRECTED
from deckbuilder.notes import Note, NoteType


@dataclass(frozen=True)
class DeckFacts:
    """The deck as the ledger needs to know it, made by the build from deck.yaml."""

    id: int
    name: str
    version: str  # "" when deck.yaml gives none
    file: str  # deck.yaml, as messages name it
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)  # "id"... -> line, col

    def mark(self, key: str) -> tuple[int, int]:
        """Where deck.yaml gives a key ('id', 'name' or 'version'), for a message."""
        return self.marks.get(key, (0, 0))


@dataclass(frozen=True)
class Shipment:
    """What a build puts in the package, which the ledger plans from."""

    deck: DeckFacts
    notes: list[Note]
    note_types: tuple[NoteType, ...]
    media: dict[str, str]  # name in the cards -> name in the package


@dataclass(slots=True)
class CardEntry:
    digest: str
    mod: int
    retired: bool = False
    kind: str | None = None  # "basic" or "cloze": a note cannot change between them
    line: int = 0  # in the ledger file, for messages


@dataclass
class NoteTypeEntry:
    id: int
    digest: str
    mod: int
    name: str
    fields: tuple[str, ...]
    templates: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """What a release did to one card: new, corrected (with the reason), reworded or retired."""

    version: str
    card_id: str  # the card's id in that release
    kind: str
    reason: str = ""


@dataclass(frozen=True)
class Rename:
    old: str
    new: str
    version: str  # "" when the deck had no version


@dataclass
class Ledger:
    deck_id: int = 0
    deck_name: str = ""
    created: int = 0
    cards: dict[str, CardEntry] = field(default_factory=dict)
    note_types: dict[int, NoteTypeEntry] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)  # name in cards -> name in the package
    package: str = ""  # sha256 of the package built with this ledger ("" before format 2)
    missing: bool = False  # no ledger file: the deck's first build, or a lost ledger
    releases: dict[str, int] = field(default_factory=dict)  # version -> its first build's time
    changes: dict[tuple[str, str], Change] = field(default_factory=dict)  # (version, card id)
    renames: dict[str, Rename] = field(default_factory=dict)  # by former id

    def former_ids(self, card_id: str) -> list[str]:
        """The ids a card had before, latest first (renames form a chain)."""
        return former_ids(card_id, self.renamed_from())

    def renamed_from(self) -> dict[str, str]:
        return {r.new: r.old for r in self.renames.values()}

    def origins(self) -> dict[str, str]:
        """card id -> the id its note takes its identity (guid) from: its first id."""
        by_new = self.renamed_from()
        return {card_id: ([card_id, *former_ids(card_id, by_new)])[-1] for card_id in self.cards}

    def corrections_by_card(self) -> dict[str, list[Change]]:
        """The corrections recorded for each card id (the id it had then)."""
        found: dict[str, list[Change]] = {}
        for change in self.changes.values():
            if change.kind == CORRECTED:
                found.setdefault(change.card_id, []).append(change)
        return found


def former_ids(card_id: str, renamed_from: dict[str, str]) -> list[str]:
    """The ids a card had before, latest first, given new id -> old id for every rename."""
    found: list[str] = []
    while card_id in renamed_from and renamed_from[card_id] not in found:
        card_id = renamed_from[card_id]
        found.append(card_id)
    return found
