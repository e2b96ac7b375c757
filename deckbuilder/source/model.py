"""The deck as the author wrote it: its settings, sources and cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class NoteTypeSetting:
    """One of the deck's own note types, as deck.yaml names it."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CorrectionRevision:
    """A later release's word on a past release's correction of this card: withdrawn (it
    corrected nothing a learner had wrong) or amended (a truer reason)."""

    version: str  # the release whose correction this revises
    reason: str | None = None  # the amended reason; None when the correction is withdrawn


@dataclass(frozen=True, slots=True)
class Card:
    """One card as the author wrote it, with where it was written."""

    id: str
    file: str
    line: int
    col: int = 0
    front: str | None = None
    back: str | None = None
    reverse: bool | tuple[str, str] = False  # or the second card's (question, answer)
    cloze: str | None = None
    extra: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    image: str | None = None
    audio: str | None = None
    retired: bool = False
    correction: str | None = None  # why this release's change corrects a fact
    was: str | None = None  # the card's former id
    revisions: tuple[CorrectionRevision, ...] = ()  # of past corrections, by the release revised

    @property
    def is_cloze(self) -> bool:
        return self.cloze is not None


@dataclass
class Deck:
    name: str
    id: int
    description: str
    sources: dict[str, Source]
    cards: list[Card]
    cards_dir: Path
    media_dir: Path
    media: dict[str, Path] = field(default_factory=dict)  # name in a card -> file on disk
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)  # deck.yaml key -> line, col
    version: str | None = None  # the release being built (major.minor.patch)
    # 'fact' and 'cloze' -> the deck's own note types; empty: it shares build-deck's
    note_types: dict[str, NoteTypeSetting] = field(default_factory=dict)
    style: str | None = None  # the deck's style.css; None: the tool's
