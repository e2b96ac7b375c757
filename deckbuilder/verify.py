"""Import a built package into a throwaway Anki collection and report what Anki makes of it.

Uses Anki's own Python package (the optional `anki` extra), so what it finds is what a learner's
Anki would find: cards with nothing to show, media the cards name but the package lacks (or the
other way round), and notes the import skipped or matched as duplicates.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from deckbuilder.apkg import USE_OURS, exported_by_anki, refuse_export
from deckbuilder.errors import DeckError, Problem, display_path
from deckbuilder.files import InputFileError, check_regular
from deckbuilder.ledger import read_ledger
from deckbuilder.notes import guid_for
from deckbuilder.paths import DECK_FILE, default_output
from deckbuilder.render import plain_text
from deckbuilder.source import YAMLFileError, load_yaml

INSTALL_HINT = "pip install anki (from a checkout of build-deck: pip install '.[anki]')"

# Import-log lists that name notes Anki did not simply add; any of them is a problem.
_LOG_PROBLEMS = {
    "duplicate": "is a duplicate of a note already in the collection",
    "conflicting": "conflicts with a note already in the collection",
    "first_field_match": "has the same first field as a note already in the collection",
    "missing_notetype": "names a note type the package does not contain",
    "missing_deck": "names a deck the package does not contain",
    "empty_first_field": "has an empty first field, so Anki skipped it",
}


class AnkiMissing(DeckError):
    """The `anki` package, which verify needs, is not installed."""


@dataclass
class Report:
    """What Anki made of one package."""

    package: Path
    notes: int = 0
    cards: int = 0
    media: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def default_package(cards_dir: Path) -> Path | None:
    """The file `build-deck build` writes by default, from the deck name in deck.yaml."""
    try:
        data = load_yaml(Path(cards_dir, DECK_FILE).read_bytes())
    except (OSError, YAMLFileError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    return default_output(name.strip())


def card_ids_from_ledger(ledger_path: Path) -> dict[str, str]:
    """guid -> card id for every card the ledger knows, so problems can name the card."""
    try:
        ledger = read_ledger(ledger_path)
    except (DeckError, OSError):
        return {}
    return {guid_for(ledger.deck_id, origin): card_id
            for card_id, origin in ledger.origins().items()}


def verify(package: Path, card_ids: dict[str, str] | None = None) -> Report:
    """Import package into a new, temporary Anki collection and collect every problem.

    Raises AnkiMissing without the `anki` package, DeckError if the file cannot be read at all.
    """
    try:
        from anki.collection import Collection
    except ImportError:
        raise AnkiMissing([Problem(display_path(Path(package)), message=(
            f"verify needs Anki's Python package; install it with: {INSTALL_HINT}"))]) from None
    package = Path(package)
    file = display_path(package)
    if not package.exists() and not package.is_symlink():
        raise DeckError([Problem(file, message="no such package; build it first with "
                                 "`build-deck build`, or name the .apkg to verify")])
    unreadable = _unreadable(package)
    if unreadable:
        raise DeckError([Problem(file, message=f"{unreadable}; name a package you can read")])
    if not zipfile.is_zipfile(package):
        raise DeckError([Problem(file, message="is damaged or not an Anki package (.apkg is a "
                                 f"zip file, and this is none); {USE_OURS}")])
    with zipfile.ZipFile(package) as zf:
        exported = exported_by_anki(zf.namelist())
    if exported:
        refuse_export(package, f"{exported}, which only Anki writes", "verify checks a package "
                      "as build-deck built it for learners to import. Name the .apkg build-deck "
                      "wrote (without PACKAGE, verify takes the last build)")
    report = Report(package)
    with tempfile.TemporaryDirectory(prefix="build-deck-verify-") as tmp:
        col = Collection(str(Path(tmp) / "collection.anki2"))
        try:
            _check(col, package, report, card_ids or {})
        finally:
            col.close()
    return report


def _unreadable(package: Path) -> str | None:
    """Why the file cannot be read, in a person's words, or None. Never opens a pipe."""
    if package.is_symlink() and not package.exists():
        return f"is unreadable: a symbolic link to {os.readlink(package)}, which does not exist"
    try:
        check_regular(package, 1 << 40)
        with open(package, "rb") as f:
            f.read(1)
    except InputFileError as e:
        return f"is unreadable: it {e}"
    except OSError as e:
        return f"is unreadable: {e.strerror or e}"
    return None


def _check(col, package: Path, report: Report, card_ids: dict[str, str]) -> None:
    from anki.collection import ImportAnkiPackageRequest
    from anki.errors import AnkiException
    from anki.import_export_pb2 import ImportAnkiPackageOptions

    file = display_path(package)

    def problem(message: str, note_id: int | None = None, first_field: str = "") -> None:
        name = _card_name(col, note_id, card_ids) or (
            _short(plain_text(first_field)) if first_field else None)
        report.problems.append(Problem(file, card=name, message=message))

    try:
        response = col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(package.resolve()), options=ImportAnkiPackageOptions()))
    except AnkiException as e:
        reason = " ".join(str(e).split())
        reason = reason if len(reason) <= 160 else reason[:159] + "…"
        raise DeckError([Problem(file, message=f"Anki cannot import it ({reason}): it is damaged "
                                 f"or not a package build-deck wrote; {USE_OURS}")]) from None
    for name, what in _LOG_PROBLEMS.items():
        for entry in getattr(response.log, name):
            problem(f"note {what}", entry.id.nid or None, entry.fields[0] if entry.fields else "")

    report.notes, report.cards = col.note_count(), col.card_count()
    report.media = sum(1 for p in Path(col.media.dir()).iterdir() if p.is_file())
    for empty in col.get_empty_cards().notes:
        for card_id in empty.card_ids:
            problem(_empty_card(col.get_card(card_id)), empty.note_id)
    _check_media(col, package, problem)
    _check_duplicates(col, problem, card_ids)


def _check_media(col, package: Path, problem) -> None:
    media = col.media.check()
    for name in media.missing:
        message = f"media file '{name}' is used by a card but missing from the package"
        users = [nid for nid in media.missing_media_notes
                 if name in "".join(col.get_note(nid).fields)]
        for nid in users or [None]:
            problem(message, nid)
    imported = {p.name for p in Path(col.media.dir()).iterdir()}
    # Anki silently leaves out package media that no note names, so compare with the package.
    for name in sorted(set(media.unused) | (_package_media(package) - imported)):
        problem(f"media file '{name}' is in the package but no card uses it")


def _check_duplicates(col, problem, card_ids: dict[str, str]) -> None:
    # Anki's editor flags a note whose first field (without formatting) another note of the
    # same type already has; col.find_dupes does the same but needs Anki's UI translations.
    by_first_field: dict[tuple[int, str], list[int]] = {}
    by_guid: dict[str, list[int]] = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        by_first_field.setdefault((note.mid, plain_text(note.fields[0]).casefold()),
                                  []).append(note_id)
        by_guid.setdefault(note.guid, []).append(note_id)
    for guid, note_ids in sorted(by_guid.items()):
        if len(note_ids) > 1:
            names = ", ".join(f"'{_short(plain_text(col.get_note(nid).fields[0]))}'"
                              for nid in note_ids)
            problem(f"notes {names} share the id (guid) {guid!r}: on the next import Anki "
                    "would overwrite one with the other")
    for (notetype_id, value), note_ids in sorted(by_first_field.items()):
        if len(note_ids) > 1:
            first_field = col.models.get(notetype_id)["flds"][0]["name"]
            names = ", ".join(f"'{_card_name(col, nid, card_ids)}'" for nid in note_ids)
            problem(f"cards {names} have the same {first_field} '{_short(value)}'; Anki "
                    "marks them as duplicates")


def _package_media(package: Path) -> set[str]:
    """The media file names the package's media list gives (build-deck writes it as JSON)."""
    try:
        with zipfile.ZipFile(package) as zf:
            names = json.loads(zf.read("media"))
    except (KeyError, ValueError, zipfile.BadZipFile):
        return set()
    return set(names.values()) if isinstance(names, dict) else set()


def _empty_card(card) -> str:
    notetype = card.note_type()
    if notetype["type"] == 1:  # cloze: card n shows deletion cn
        n = card.ord + 1
        return (f"cloze card {n} is empty: the text has no {{{{c{n}::...}}}} deletion; Anki "
                "would show a blank card and offer to delete it")
    return (f"card '{notetype['tmpls'][card.ord]['name']}' is empty: its question shows "
            "nothing; Anki would offer to delete it")


def _card_name(col, note_id: int | None, card_ids: dict[str, str]) -> str | None:
    """The card id the author wrote, or else the start of the note's first field."""
    if not note_id:
        return None
    from anki.errors import NotFoundError

    try:
        note = col.get_note(note_id)
    except NotFoundError:  # not imported; the caller falls back to the field the log gives
        return None
    return card_ids.get(note.guid) or _short(plain_text(note.fields[0]))


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
