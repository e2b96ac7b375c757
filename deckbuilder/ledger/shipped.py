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
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deckbuilder.errors import Problems, display_path
from deckbuilder.files import InputFileError, read_regular
from deckbuilder.ledger.records import VERSION_RE, Ledger, Plan, version_key
from deckbuilder.notes import Note, field_hash

HEADER = "# build-deck shipped: one note a line, appended by every build; never edit a line."
MAX_SHIPPED = 256 << 20
# How to get the record back, in every message that refuses one.
RECOVER_SHIPPED = ("restore it from git (git checkout -- {name}), take it from the package "
                   "you last built (unzip -p dist/DECK.apkg build-deck.shipped > {name}), or "
                   "rebuild it from the repository's history: python tools/reconstruct_shipped.py")


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

    def key(self) -> tuple:
        """What makes a shipment new: the note's content and stamp, the version it was shipped
        in, and whether that was a release; not the commit. So a version's first build records
        every note once (install reads a package's version from its record), and its later
        builds only the notes they change."""
        return (self.note, self.fields, self.tags, self.stamp, self.version, self.release)


@dataclass
class Shipped:
    """Every shipment, in the order recorded, with the questions install and the ledger ask."""

    shipments: list[ShippedNote] = field(default_factory=list)
    # A shipment stands for its line: equal shipments write equal lines, as their fields are
    # text, a whole number, a version and commit of text or none, and a flag (_shipped_note);
    # comparing them saves writing each of a record's 4,000 lines again to compare those.
    _seen: set[ShippedNote] = field(default_factory=set, repr=False)
    _keys: set[tuple] = field(default_factory=set, repr=False)
    _by_note: dict[str, list[ShippedNote]] = field(default_factory=dict, repr=False)
    _newest_release: tuple[int, ...] | None = field(default=None, repr=False)

    def add(self, shipment: ShippedNote) -> bool:
        """Record a shipment; False if exactly this one is recorded already."""
        if shipment in self._seen:
            return False
        self._seen.add(shipment)
        self._keys.add(shipment.key())
        self.shipments.append(shipment)
        self._by_note.setdefault(shipment.note, []).append(shipment)
        if shipment.release:
            newest = version_key(shipment.version or "")
            if self._newest_release is None or newest > self._newest_release:
                self._newest_release = newest
        return True

    def recorded(self, shipment: ShippedNote) -> bool:
        """Whether a build already recorded this note with this content and stamp in this
        version (and, for a release, as shipped by the release), whatever its commit. What
        a release shipped covers a later plain build of the same: a rebuild adds nothing."""
        key = shipment.key()
        return key in self._keys or (not shipment.release and (*key[:-1], True) in self._keys)

    def notes(self) -> set[str]:
        return set(self._by_note)

    def of(self, note: str) -> list[ShippedNote]:
        return self._by_note.get(note, [])

    def values(self, note: str, field_name: str) -> set[str]:
        """The hash of every value we ever shipped in this field of this note."""
        return {h for s in self.of(note) if (h := s.field(field_name)) is not None}

    def highest_stamp(self, note: str) -> int:
        return max((s.stamp for s in self.of(note)), default=0)

    def stamp_floor(self, note: str) -> int:
        """The lowest stamp a current ledger may give this note: the highest any release or
        any build since the newest release gave it. Builds of main before a release are
        superseded by it (main was never a release channel, and 2.0.0 stamped lower than
        mid-way builds had: issue 19), so they bind no ledger."""
        newest = self._newest_release
        return max((s.stamp for s in self.of(note) if s.release or newest is None
                    or version_key(s.version or "") > newest), default=0)

    def tags_ever(self, note: str) -> set[str]:
        """Every tag a build of ours ever put on this note."""
        return {tag for s in self.of(note) for tag in s.tags}

    def releases(self, note: str) -> list[ShippedNote]:
        """The note as each release shipped it, oldest release first."""
        return [s for s in self.of(note) if s.release]

    def released_versions(self) -> dict[str, list[ShippedNote]]:
        """Each version a release build shipped, with what it shipped, in the order recorded."""
        found: dict[str, list[ShippedNote]] = {}
        for shipment in self.shipments:
            if shipment.release and shipment.version:
                found.setdefault(shipment.version, []).append(shipment)
        return found

    def missing_from(self, other: Shipped) -> list[ShippedNote]:
        """Our shipments that other lacks (empty when other is a superset of us)."""
        return [s for s in self.shipments if s not in other._seen]

    def text(self) -> str:
        return "\n".join([HEADER, *(s.line() for s in self.shipments)]) + "\n"


def read_shipped(text: str, file: str) -> Shipped:
    """Parse the record; every bad line is a problem naming its line. Raises DeckError."""
    shipped = Shipped()
    problems = Problems()
    # Split on newlines only: a tag may hold U+2028, which splitlines() would split on.
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            problems.add(file, number, 1, None, "a merge-conflict line: the record is merged by "
                         "taking both sides' lines (remove the markers, keep every line)")
            continue
        try:
            shipped.add(_shipped_note(_json(line)))
        except (ValueError, TypeError, KeyError) as error:
            problems.add(file, number, 1, None, f"not a shipment record ({error}); restore "
                         "the file from git: it is only ever appended to")
    problems.raise_if_any()
    return shipped


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in its __init__


def _json(line: str) -> Any:
    """json.loads(line) for a line without whitespace at either end, without the checks
    json.loads makes of a whole document (a tenth of the time of reading the treaty deck's
    record). A line it cannot take whole goes to json.loads, for the error the message names."""
    try:
        data, end = _scan(line, 0)
        if end == len(line):
            return data
    except (StopIteration, ValueError):
        pass
    return json.loads(line)


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
    version, commit = data.get("version"), data.get("commit")
    if version is not None and not (isinstance(version, str) and VERSION_RE.match(version)):
        raise ValueError("version must be a release number such as 2.0.0, or null")
    if commit is not None and not isinstance(commit, str):
        raise ValueError("commit must be text or null")
    return ShippedNote(note=str(data["note"]), card=str(data["card"]), fields=tuple(fields.items()),
                    tags=tuple(tags), stamp=stamp, version=version, commit=commit,
                    release=bool(data.get("release", False)))


def merged(records: Iterable[Shipped]) -> Shipped:
    """The union of several records, in order of first appearance."""
    out = Shipped()
    for record in records:
        for shipment in record.shipments:
            out.add(shipment)
    return out


@dataclass
class ShippedFile:
    """The record as a build found it: its file, its text as it was, and what it holds."""

    path: Path
    text: str = ""
    record: Shipped = field(default_factory=Shipped)
    missing: bool = False

    def appended(self, shipments: Iterable[ShippedNote]) -> str:
        """The file's text with the shipments not yet recorded added at its end; nothing
        before them changes, so git merges two branches' records by taking both sides."""
        new = [s for s in shipments if not self.record.recorded(s)]
        if not new:
            return self.text
        text = self.text if self.text.strip() else HEADER + "\n"
        if not text.endswith("\n"):
            text += "\n"
        return text + "".join(s.line() + "\n" for s in new)


def read_shipped_file(path: Path) -> ShippedFile:
    """Read the record beside a ledger; a missing file is an empty record marked missing.
    Raises DeckError for one that cannot be read, with how to get it back."""
    path = Path(path)
    file = display_path(path)
    problems = Problems()
    recover = RECOVER_SHIPPED.format(name=path.name)
    try:
        data = read_regular(path, MAX_SHIPPED)
    except FileNotFoundError:
        return ShippedFile(path, missing=True)
    except InputFileError as e:
        if not path.exists() and not path.is_symlink():
            return ShippedFile(path, missing=True)
        problems.add(file, message=f"{e}; {recover}")
        problems.raise_if_any()
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # an editor's byte-order mark
    except UnicodeDecodeError as e:
        problems.add(file, data[: e.start].count(b"\n") + 1, 1,
                     message=f"not valid UTF-8; {recover}")
        problems.raise_if_any()
    return ShippedFile(path, text, read_shipped(text, file))


def shipments(plan: Plan, version: str | None, commit: str | None,
              release: bool = False) -> list[ShippedNote]:
    """What this build ships, one ShippedNote per note, as the package holds it."""
    return [ShippedNote(note.guid, note.card_id,
                        tuple(zip(note.note_type.fields, map(field_hash, note.fields),
                                  strict=True)),
                        tuple(note.tags), plan.note_mod(note), version or None, commit, release)
            for note in plan.notes]


def refuse_stale_ledger(old: Ledger, plan: Plan | None, record: ShippedFile, ledger_file: str,
                        notes: Iterable[Note] = ()) -> None:
    """Raise DeckError when the ledger gives a note a lower stamp than a binding build of ours
    already shipped it with (stamp_floor): the ledger is older than the last build's, and a
    build from it would restamp notes learners already have. Without a plan (one that could
    not be made), the cards' notes and their 'was' ids stand for it."""
    if plan is not None:
        renamed = {new: former for former, new in plan.renamed}
        notes = plan.notes
    else:
        renamed = {note.card_id: note.was for note in notes if note.was}
    stale = []
    for note in notes:
        entry = old.cards.get(renamed.get(note.card_id, note.card_id))
        floor = record.record.stamp_floor(note.guid)
        if entry is not None and entry.mod < floor:
            stale.append(f"'{note.card_id}' ({_day(entry.mod)} < {_day(floor)})")
    if stale:
        problems = Problems()
        shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
        problems.add(ledger_file, message=f"this ledger is older than what builds of ours "
                     f"already shipped ({display_path(record.path)} records higher stamps for "
                     f"{len(stale)} notes: {shown}); it was restored from an older commit, or "
                     "the newer one was lost. Restore the current ledger: git checkout HEAD -- "
                     f"{Path(ledger_file).name} (or from the commit that last changed "
                     f"{record.path.name}), or rebuild it from the package you last built: "
                     "build-deck ledger --from PACKAGE.apkg")
        problems.raise_if_any()


def _day(stamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(stamp))
