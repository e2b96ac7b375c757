"""The real treaty deck: it builds, its committed ledger is current, and it imports as the
README says."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from helpers import MAPS_AWAITING_CARDS, REPO, import_package

from deckbuilder.ledger import read_shipped

ROOT = REPO


def _readme_counts() -> tuple[int, int, int]:
    match = re.search(r"(\d+) notes, (\d+) cards, (\d+) media files",
                      (ROOT / "README.md").read_text().split("## The deck", 1)[1])
    assert match, "README's 'The deck' section states the counts"
    notes, cards, media = map(int, match.groups())
    return notes, cards, media


def test_committed_ledger_is_current(treaty_build):
    # A stale cards.lock would give learners needless updates; rebuild and commit it.
    assert "0 new, 0 updated" in (treaty_build / "output.txt").read_text()
    assert (treaty_build / "cards.lock").read_bytes() == (ROOT / "cards.lock").read_bytes()


def test_committed_record_is_current_and_travels_in_the_package(treaty_build):
    # The build appends only what was never shipped: nothing, when cards.shipped is current.
    record = (ROOT / "cards.shipped").read_bytes()
    assert (treaty_build / "cards.shipped").read_bytes() == record
    with zipfile.ZipFile(treaty_build / "deck.apkg") as zf:
        assert zf.read("build-deck.shipped") == record
    shipped = read_shipped(record.decode("utf-8"), "cards.shipped")
    # the releases learners were given: the first edition (106 notes) and 2.0.0 (165)
    assert {v: sum(s.version == v for s in shipped.shipments if s.release)
            for v in ("1.0.0", "2.0.0")} == {"1.0.0": 106, "2.0.0": 165}


def test_real_deck_imports_with_the_counts_the_readme_states(treaty_build, collection):
    notes, cards, media = _readme_counts()
    assert f"{notes} notes, {cards} cards, {media} media files" in (
        treaty_build / "output.txt").read_text()
    log = import_package(collection, treaty_build / "deck.apkg")
    assert len(log.new) == notes
    assert collection.note_count() == notes and collection.card_count() == cards
    arrived = sorted(p.name for p in Path(collection.media.dir()).iterdir())
    assert len(arrived) == media
    used = {p.stem for p in (ROOT / "media").iterdir() if p.suffix != ".md"}
    used -= {f"map-{key}" for key in MAPS_AWAITING_CARDS}  # drawn, but no card shows them yet
    assert {name.rsplit("-", 1)[0] for name in arrived} == used
    check = collection.media.check()
    assert check.missing == [] and check.unused == []
    assert collection.get_empty_cards().notes == []


def test_readme_counts_the_notes_the_package_tags_retired_and_corrected(treaty_build,
                                                                         collection):
    """The README's counts of tagged notes are the package's, not remembered (issue 20: it said
    28 corrected notes when the package tagged 10)."""
    text = " ".join((ROOT / "README.md").read_text().split("## The deck", 1)[1].split())
    stated = {tag: int(n) for n, tag in re.findall(
        r"(\d+) (?:notes (?:retired|whose facts)|the third)[^`]*?`(build-deck::[a-z0-9:.]+)`",
        text.split("## ", 1)[0])}
    import_package(collection, treaty_build / "deck.apkg")
    tags = {tag for tag in collection.tags.all() if tag.startswith("build-deck::")}
    assert set(stated) == tags and tags >= {"build-deck::retired", "build-deck::corrected::v2.0.0"}
    assert stated == {tag: len(collection.find_notes(f'"tag:{tag}"')) for tag in tags}


def _undated(text: str) -> str:
    return re.sub(r"^(## \S+) \(\d{4}-\d\d-\d\d\)$", r"\1", text, flags=re.MULTILINE)


def test_committed_changelog_is_current():
    # CHANGELOG.md is `build-deck changelog -o CHANGELOG.md`; tag dates may or may not be in it.
    # The record of what we shipped says 2.0.0 was released, as the command reads it; so 3.0.0
    # is "in the works" (without it, 2.0.0 would not count as released).
    from deckbuilder.build import make_notes
    from deckbuilder.ledger import (
        changelog_markdown,
        read_ledger,
        read_shipped_file,
        released_commits,
    )

    made = make_notes(ROOT / "cards", ROOT / "media")
    released = released_commits(read_shipped_file(ROOT / "cards.shipped").record)
    expected = changelog_markdown(made.deck.name, read_ledger(ROOT / "cards.lock"), made.notes,
                                  dates={}, released=released)
    assert _undated((ROOT / "CHANGELOG.md").read_text(encoding="utf-8")) == _undated(expected)


def test_real_deck_tells_learners_its_version_and_corrections(treaty_build, collection):
    from deckbuilder.ledger import correction_tag, read_ledger, releases

    latest = releases(read_ledger(ROOT / "cards.lock"))[0]
    import_package(collection, treaty_build / "deck.apkg")
    deck = collection.decks.get(collection.decks.id_for_name("Sino-Soviet Treaty of 1950"))
    assert f"<b>Version {latest.version}</b>" in deck["desc"]
    assert f"What's new in {latest.version}: {latest.counts()}." in deck["desc"]
    # Which Anki versions, and what learners on the affected ones do (README: Anki versions).
    assert "import each release in order, or only the newest" in deck["desc"]
    assert "Anki 2.1.55 to 24.11" in deck["desc"] and "AnkiMobile is untested" in deck["desc"]
    assert "<code>build-deck install</code>" in deck["desc"]
    # The newest release that corrected a fact (a release in the works may have corrected none yet).
    corrector = next(r for r in releases(read_ledger(ROOT / "cards.lock")) if r.corrected)
    tagged = collection.find_notes(f"tag:{correction_tag(corrector.version)}")
    assert len(tagged) == len(corrector.corrected) > 0
