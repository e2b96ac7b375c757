"""What we shipped: an append-only record of every note any build of ours put in a package.

One JSON object a line, each a shipment of one note: its guid, the card id it had, the
canonical hash of each field, its tags, its stamp (the note's mod time in the package), the
deck version and commit it was built at, and whether that build was a release. Lines are only
ever added, so two branches merge by taking both sides' lines (git's union merge), and a
commit's record is a superset of its parents'. It is the ledger's memory (a stamp never goes
down) and install's: a learner's field that equals a value we shipped is ours to update.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from deckbuilder.errors import Problems

HEADER = "# build-deck shipped: one note a line, appended by every build; never edit a line."


@dataclass(frozen=True, slots=True)
class ShippedNote:
    """One note as one build shipped it."""

    note: str  # guid
    card: str  # the card id it had then
    fields: tuple[tuple[str, str], ...]  # (field name, canonical hash), in note-type order
    tags: tuple[str, ...]
    stamp: int
    version: str | None = None
    commit: str | None = None
    release: bool = False

    def line(self) -> str:
        data = {"note": self.note, "card": self.card, "fields": dict(self.fields),
                "tags": list(self.tags), "stamp": self.stamp, "version": self.version,
                "commit": self.commit}
        if self.release:
            data["release"] = True
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def field(self, name: str) -> str | None:
        return dict(self.fields).get(name)


@dataclass
class Shipped:
    """Every shipment, in the order recorded, with the questions install and the ledger ask."""

    shipments: list[ShippedNote] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)
    _by_note: dict[str, list[ShippedNote]] = field(default_factory=dict, repr=False)

    def add(self, shipment: ShippedNote) -> bool:
        """Record a shipment; False if exactly this one is recorded already."""
        line = shipment.line()
        if line in self._seen:
            return False
        self._seen.add(line)
        self.shipments.append(shipment)
        self._by_note.setdefault(shipment.note, []).append(shipment)
        return True

    def notes(self) -> set[str]:
        return set(self._by_note)

    def of(self, note: str) -> list[ShippedNote]:
        return self._by_note.get(note, [])

    def values(self, note: str, field_name: str) -> set[str]:
        """The hash of every value we ever shipped in this field of this note."""
        return {h for s in self.of(note) if (h := s.field(field_name)) is not None}

    def highest_stamp(self, note: str) -> int:
        return max((s.stamp for s in self.of(note)), default=0)

    def tags_ever(self, note: str) -> set[str]:
        """Every tag a build of ours ever put on this note."""
        return {tag for s in self.of(note) for tag in s.tags}

    def releases(self, note: str) -> list[ShippedNote]:
        """The note as each release shipped it, oldest release first."""
        return [s for s in self.of(note) if s.release]

    def missing_from(self, other: Shipped) -> list[ShippedNote]:
        """Our shipments that other lacks (empty when other is a superset of us)."""
        return [s for s in self.shipments if s.line() not in other._seen]

    def text(self) -> str:
        return "\n".join([HEADER, *(s.line() for s in self.shipments)]) + "\n"


def read_shipped(text: str, file: str) -> Shipped:
    """Parse the record; every bad line is a problem naming its line. Raises DeckError."""
    shipped = Shipped()
    problems = Problems()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            problems.add(file, number, 1, None, "a merge-conflict line: the record is merged by "
                         "taking both sides' lines (remove the markers, keep every line)")
            continue
        try:
            shipped.add(_shipped_note(json.loads(line)))
        except (ValueError, TypeError, KeyError) as error:
            problems.add(file, number, 1, None, f"not a shipment record ({error}); restore "
                         "the file from git: it is only ever appended to")
    problems.raise_if_any()
    return shipped


def _shipped_note(data: dict) -> ShippedNote:
    fields = data["fields"]
    if not isinstance(fields, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
        raise ValueError("fields must map names to hashes")
    stamp = data["stamp"]
    if not isinstance(stamp, int) or isinstance(stamp, bool) or stamp < 0:
        raise ValueError("stamp must be a whole number of seconds")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags must be a list of text")
    return ShippedNote(note=str(data["note"]), card=str(data["card"]), fields=tuple(fields.items()),
                    tags=tuple(tags), stamp=stamp, version=data.get("version"),
                    commit=data.get("commit"), release=bool(data.get("release", False)))


def merged(records: Iterable[Shipped]) -> Shipped:
    """The union of several records, in order of first appearance."""
    out = Shipped()
    for record in records:
        for shipment in record.shipments:
            out.add(shipment)
    return out
