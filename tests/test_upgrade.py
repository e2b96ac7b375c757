"""The model of Anki's importers (deckbuilder.upgrade), on notes made by hand and through
`build-deck verify --upgrade-from`; the real engines check it in tests/test_engines.py."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from helpers import DECK_YAML, build_args

from deckbuilder.cli import cli
from deckbuilder.upgrade import (
    BEHAVIOURS,
    IMPORT_TIME,
    LEGACY,
    PACKAGE_TIME,
    PackageNote,
    late_from,
    missed,
)

FIRST = 946_684_800  # a note never changed since it was added
T = 1_700_000_000
# A note unchanged since it was added, one the old release changed and the new one changes again,
# one changed only now, and one added now.
OLD = {"kept": PackageNote(FIRST, "a"), "changed-twice": PackageNote(T + 1_000, "b"),
       "changed-now": PackageNote(FIRST, "c")}
NEW = {"kept": PackageNote(FIRST, "a"), "changed-twice": PackageNote(T + 2_000, "b2"),
       "changed-now": PackageNote(T + 2_500, "c2"), "added": PackageNote(FIRST, "d")}


@pytest.mark.parametrize("behaviour", [LEGACY, PACKAGE_TIME])
def test_importers_that_keep_the_package_stamp_miss_nothing_a_later_stamp_brings(behaviour):
    assert missed(OLD, NEW, behaviour, imported_at=T + 3_000) == set()


def test_import_time_stamps_hide_a_change_stamped_before_the_learner_imported_old():
    assert missed(OLD, NEW, IMPORT_TIME, imported_at=T + 1_500) == set()
    # Imported between the build that changed the note (2 000) and the next release: missed.
    assert missed(OLD, NEW, IMPORT_TIME, imported_at=T + 2_000) == {"changed-twice"}
    # A note the import of OLD only added keeps the package's stamp.
    assert missed(OLD, NEW, IMPORT_TIME, T + 2_000, updated=set()) == set()
    assert late_from(OLD, NEW) == {"changed-twice": T + 2_000}


def test_a_change_without_a_later_stamp_is_missed_everywhere():
    new = {**NEW, "kept": PackageNote(FIRST, "a2")}
    assert all("kept" in missed(OLD, new, b, T + 3_000) for b in BEHAVIOURS)


def test_an_unknown_behaviour_is_an_error():
    with pytest.raises(ValueError, match="unknown importer behaviour"):
        missed(OLD, NEW, "psychic", 0)


def test_verify_upgrade_from_names_what_learners_on_each_anki_would_miss(deck_dir, monkeypatch):
    """1.1.0 corrects the signatories; 1.2.0 rewords them in its first build, then rewords
    Article 3 in the build it ships. A learner on Anki 2.1.55 to 24.11 who imported 1.1.0 (an
    update) between the two builds misses the first change."""
    t = 1_700_000_000
    shipped = {}

    def release(version: str, at: int, old: str = "", new: str = "") -> None:
        (deck_dir.cards / "deck.yaml").write_text(
            DECK_YAML + f"version: {version}\n", encoding="utf-8")
        if old:
            deck_dir.edit("treaty.yaml", old, new)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(at))
        result = CliRunner().invoke(cli, build_args(deck_dir.root, ledger=deck_dir.ledger))
        assert result.exit_code == 0, result.output
        shipped[version] = deck_dir.root / f"{version}.apkg"
        shutil.copy(deck_dir.root / "dist" / "deck.apkg", shipped[version])

    release("1.0.0", t)
    release("1.1.0", t + 100, "Andrey Vyshinsky", "Andrey Vyshinsky, foreign ministers")
    release("1.2.0", t + 200, "foreign ministers", "the two foreign ministers")
    release("1.2.0", t + 300, "extra: Article 3.", "extra: From Article 3.")

    result = CliRunner().invoke(cli, ["verify", str(shipped["1.2.0"]), "--upgrade-from",
                                      str(shipped["1.1.0"]), "--cards", str(deck_dir.cards),
                                      "--ledger", str(deck_dir.ledger)])
    assert result.exit_code == 1, result.output
    assert f"Upgrade from {shipped['1.1.0']}: 0 new, 2 changed, 0 left out of" in result.output
    assert "Anki 2.1.54 and older: every change arrives." in result.output
    assert "Anki 25.02 and later: every change arrives." in result.output
    assert ("Anki 2.1.55 to 24.11: misses the change to signatories if the learner imported the "
            "old package after 2023-11-14 22:16 UTC; one who imports the old package after this "
            "one was built misses the changes to signatories (`build-deck install` brings "
            "them).") in result.output
    assert ("Error: a learner who imports releases in order would miss a change (above): release "
            "with `build-deck build --release`.") in result.output

    same = CliRunner().invoke(cli, ["verify", str(shipped["1.1.0"]), "--upgrade-from",
                                    str(shipped["1.0.0"]), "--cards", str(deck_dir.cards)])
    assert same.exit_code == 0, same.output
    assert "Anki 2.1.55 to 24.11: every change arrives to a learner who imported" in same.output


def test_verify_upgrade_from_a_newer_package_says_to_swap_them(deck_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert CliRunner().invoke(cli, deck_dir.args()).exit_code == 0
    older = tmp_path / "older.apkg"
    shutil.copy(deck_dir.output, older)
    deck_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    assert CliRunner().invoke(cli, deck_dir.args()).exit_code == 0
    result = CliRunner().invoke(cli, ["verify", str(older), "--upgrade-from", str(deck_dir.output),
                                      "--cards", str(deck_dir.cards)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{older}: is older than {deck_dir.output} (its newest note was built before "
            "theirs)") in result.output and "swap the two" in result.output


def test_verify_upgrade_from_a_file_that_is_no_package_says_so(built, tmp_path):
    old = tmp_path / "old.apkg"
    old.write_text("not a zip", encoding="utf-8")
    result = CliRunner().invoke(cli, ["verify", str(built.package), "--upgrade-from", str(old),
                                      "--cards", str(built.root / "cards")])
    assert result.exit_code == 1, result.output
    assert "old.apkg: is damaged or not an Anki package (File is not a zip file); use the .apkg " \
           "build-deck wrote (build it again, or download it again)" in result.output
    assert "Traceback" not in result.output
