"""The ledger in memory: what cards.lock records (its format is in lockfile.py), the releases it
records changes under, what a build hands the ledger (Shipment) and what it gets back (Plan)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from deckbuilder.notes import Note, NoteType

# What a release does to a card; the ledger records one per card and release.
NEW, CORRECTED, REWORDED, RETIRED = "new", "corrected", "reworded", "retired"
CHANGE_KINDS = (NEW, CORRECTED, REWORDED, RETIRED)
VERSION_RE = re.compile(r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$")


def version_key(version: str) -> tuple[int, ...]:
    """A version as numbers, to compare releases (1.10.0 comes after 1.9.0)."""
    return tuple(int(part) for part in version.split(".")) if version else ()


def correction_tag(version: str) -> str:
    """The tag on the notes a release corrects, so learners can find them in Anki."""
    return f"build-deck::corrected::v{version}"


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
class Revision:
    """A release's word on an earlier release's correction of a card: withdrawn (reason "": it
    corrected nothing) or amended (a truer reason)."""

    version: str  # the release that revises
    card_id: str  # the card's id in that release
    corrected: str  # the release whose correction is revised
    reason: str = ""  # the amended reason; "" when withdrawn

    @property
    def withdrawn(self) -> bool:
        return not self.reason


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
    released: dict[str, int] = field(default_factory=dict)  # version -> its release build's time
    built_from: str = ""  # the check of the ledger the last build that changed anything read
    # This ledger's own check, as read (its last line); "" when not read from a file.
    digest: str = field(default="", compare=False)
    revisions: dict[tuple[str, str], Revision] = field(default_factory=dict)  # (corrected, id)

    def former_ids(self, card_id: str) -> list[str]:
        """The ids a card had before, latest first (renames form a chain)."""
        return former_ids(card_id, self.renamed_from())

    def renamed_from(self) -> dict[str, str]:
        return {r.new: r.old for r in self.renames.values()}

    def origins(self) -> dict[str, str]:
        """card id -> the id its note takes its identity (guid) from: its first id."""
        by_new = self.renamed_from()
        return {card_id: ([card_id, *former_ids(card_id, by_new)])[-1] for card_id in self.cards}

    def retirements(self) -> dict[str, str]:
        """card id (the id it had then) -> the first release that retired it."""
        found: dict[str, str] = {}
        for change in sorted(self.changes.values(), key=lambda c: version_key(c.version)):
            if change.kind == RETIRED:
                found.setdefault(change.card_id, change.version)
        return found

    def revisions_by_card(self) -> dict[str, list[Revision]]:
        """The revisions of past corrections recorded for each card id (the id it had then)."""
        found: dict[str, list[Revision]] = {}
        for revision in self.revisions.values():
            found.setdefault(revision.card_id, []).append(revision)
        return found

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


@dataclass
class Plan:
    """What a re-import of the new package will do, and the ledger that goes with it.

    `notes` are the notes to write: those given, with the tags and identity the ledger adds
    (a correction tag, a former id's guid).
    """

    ledger: Ledger
    notes: list[Note] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)  # newly corrected in this build
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old, new) in this build
    revised: list[str] = field(default_factory=list)  # past corrections withdrawn or amended
    new_note_types: list[NoteType] = field(default_factory=list)
    replaced_note_types: list[str] = field(default_factory=list)
    previous_package: str = ""  # the sha256 of the package the old ledger was written with
    stamped_for_release: list[str] = field(default_factory=list)  # by this release build
    released: bool = False  # this build released the deck's version

    @property
    def created(self) -> int:
        return self.ledger.created

    def note_mod(self, note: Note) -> int:
        return self.ledger.cards[note.card_id].mod

    def note_type_mod(self, note_type: NoteType) -> int:
        return self.ledger.note_types[note_type.id].mod
