"""The treaty deck keeps its note types for good (issue 18): now that each deck names its own in
deck.yaml, a learner of the first edition who imports today's package still has exactly one
note type per kind, the same ones, and every review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import import_package, progress, study

ROOT = Path(__file__).resolve().parents[2]
FIRST_EDITION = "ae3bc8a"
DECK = "Sino-Soviet Treaty of 1950"


def _first_edition(folder: Path) -> Path:
    """The first edition's package, as that commit's own code built it from its own files."""
    tree = folder / FIRST_EDITION
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", FIRST_EDITION, "build_deck.py",
                              "cards.lock", "cards", "deckbuilder", "media"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    package = folder / "first-edition.apkg"
    subprocess.run([sys.executable, "build_deck.py", "-o", str(package), "--quiet"], cwd=tree,
                   check=True, env={"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": ""})
    return package


def test_a_first_edition_learner_keeps_one_note_type_per_kind(tmp_path, collection,
                                                             treaty_build):
    import_package(collection, _first_edition(tmp_path))
    before = {m["id"]: m["name"] for m in collection.models.all()}
    assert {1950021401, 1950021402} <= set(before)
    studied = study(collection, 10, DECK)

    import_package(collection, treaty_build / "deck.apkg")
    after = {m["id"]: m["name"] for m in collection.models.all()}
    assert after == before  # no copy ("Fact (build-deck)+"), no new note type
    used = {collection.get_note(n).mid for n in collection.find_notes(f'"deck:{DECK}"')}
    assert used == {1950021401, 1950021402}
    assert [after[1950021401], after[1950021402]] == ["Fact (build-deck)", "Cloze (build-deck)"]
    assert {cid: p for cid, p in progress(collection).items() if cid in studied} == studied


def test_the_treaty_deck_names_the_note_types_it_always_had():
    from deckbuilder.build import make_notes
    from deckbuilder.ledger import read_ledger

    own = make_notes(ROOT / "cards", ROOT / "media").note_types
    first = read_ledger(ROOT / "tests" / "first-edition.lock").note_types
    current = read_ledger(ROOT / "cards.lock").note_types
    assert [(t.id, t.name, t.fields) for t in own] == [
        (e.id, e.name, e.fields) for e in first.values()]
    assert {t.id: t.digest() for t in own} == {i: e.digest for i, e in current.items()}
