"""Releases in real Anki: the version and what's new in the deck's description, corrections
tagged per release, renames that keep a learner's reviews, and the changelog."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from helpers import (
    DECK_ID,
    import_package,
    note_for,
    progress,
    study,
    visible_text,
)

from deckbuilder.cli import cli
from deckbuilder.ledger import MIDWAY_BUILDS
from deckbuilder.notes import guid_for

NOW = int(time.time())
CORRECTED_V2 = "build-deck::corrected::v2.0.0"
REASON = "named Stalin and Mao, who attended but did not sign"


def build(deck_dir, monkeypatch, epoch: int, *extra: str) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    result = CliRunner().invoke(cli, deck_dir.args(*extra))
    assert result.exit_code == 0, result.output
    return result.output


def refused(deck_dir, monkeypatch, epoch: int = NOW) -> str:
    """Build, expecting a refusal that leaves the package and the ledger as they were."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    before = {p: p.read_bytes() for p in (deck_dir.output, deck_dir.ledger) if p.exists()}
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "nothing was written" in result.output
    assert {p: p.read_bytes() for p in before} == before
    return result.output


def set_version(deck_dir, version: str) -> None:
    text = (deck_dir.cards / "deck.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("version:")]
    if version:
        lines.append(f"version: {version}")
    (deck_dir.cards / "deck.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def release_two(deck_dir) -> None:
    """The author corrects one card, rewords another and renames a third (editing it too)."""
    set_version(deck_dir, "2.0.0")
    deck_dir.edit("treaty.yaml", "    back: Zhou Enlai and Andrey Vyshinsky\n",
                  "    back: Zhou Enlai and Andrey Vyshinsky, the foreign ministers\n"
                  f"    correction: {REASON}\n")
    deck_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    deck_dir.edit("treaty.yaml", "  - id: chinese-name\n    front: The treaty's Chinese name\n",
                  "  - id: treaty-name-chinese\n    was: chinese-name\n"
                  "    front: The treaty's name in Chinese\n")


def bump_and_edit(deck_dir, old: str, new: str) -> None:
    set_version(deck_dir, "1.0.1")
    deck_dir.edit("treaty.yaml", old, new)


def description(col) -> str:
    return visible_text(col.decks.get(col.decks.id_for_name("Test Treaty Deck"))["desc"])


NEW_CARD = """\
  - id: term-years
    front: For how many years was the treaty concluded?
    back: Thirty
"""


def test_v2_over_v1_flags_the_correction_keeps_the_renamed_note_and_says_what_changed(
        release_dir, collection, monkeypatch):
    build(release_dir, monkeypatch, NOW - 1000)
    import_package(collection, release_dir.output)
    assert "Version 1.0.0" in description(collection)
    before = study(collection, 6)  # every card of the four notes, answered through the scheduler
    assert len(before) == 6 and all(ivl > 0 and reviews == 1 for ivl, reviews in before.values())
    renamed_id = note_for(collection, "chinese-name").id

    release_two(release_dir)
    out = build(release_dir, monkeypatch, NOW - 500)
    assert "Re-import plan: 0 new, 3 updated, 1 unchanged, 0 retired." in out
    assert f"Version 2.0.0: 1 newly corrected (tagged {CORRECTED_V2}), 1 renamed." in out
    log = import_package(collection, release_dir.output)

    # Anki logs the one unchanged note as a "duplicate" of itself: it skipped it.
    assert len(log.updated) == 3 and len(log.duplicate) == 1
    assert not log.new and not log.conflicting
    assert collection.note_count() == 4 and collection.card_count() == 6  # no duplicate
    corrected = note_for(collection, "signatories")
    assert corrected.tags == ["build-deck::corrected::v2.0.0", "treaty::dates",
                             "treaty::people::signers"]
    assert "the foreign ministers" in corrected["Back"]
    for other in ("article-three", "signing-date"):
        assert not any(t.startswith("build-deck::") for t in note_for(collection, other).tags)
    renamed = note_for(collection, "chinese-name")  # the former id's guid, so the same note
    assert renamed.id == renamed_id and renamed["Front"] == "The treaty's name in Chinese"
    assert renamed.tags == ["treaty::dates"]
    assert progress(collection) == before  # intervals and review log of every card kept

    # Anki replaced the deck's description on import: the learner sees v2 and what changed.
    shown = description(collection)
    assert "Version 2.0.0" in shown and "Version 1.0.0" not in shown
    assert ("What's new in 2.0.0: 0 new, 1 corrected, 2 reworded and 0 retired notes; 1 renamed "
            "without losing reviews.") in shown
    assert f"Who signed the treaty? ({REASON})" in shown
    assert f"tag:{CORRECTED_V2}" in shown
    assert "What's new in 1.0.0: 4 new, 0 corrected, 0 reworded and 0 retired notes." in shown
    assert collection.find_notes(f"tag:{CORRECTED_V2}") == [corrected.id]

    # 2.1.0 adds a card and leaves the correction where it was: no note changes but the new one,
    # the corrected note keeps its tag (the author's stale 'correction' is not a new one).
    set_version(release_dir, "2.1.0")
    release_dir.edit("treaty.yaml", "cards:\n", "cards:\n" + NEW_CARD)
    out = build(release_dir, monkeypatch, NOW - 100)
    assert "Re-import plan: 1 new, 0 updated, 4 unchanged, 0 retired." in out
    log = import_package(collection, release_dir.output)
    assert len(log.new) == 1 and not log.updated
    assert note_for(collection, "signatories").tags == corrected.tags
    shown = description(collection)
    assert "Version 2.1.0" in shown and "What's new in 2.1.0: 1 new, 0 corrected" in shown
    assert "What's new in 2.0.0: 0 new, 1 corrected" in shown

    changelog = CliRunner().invoke(cli, ["changelog", "--cards", str(release_dir.cards),
                                         "--media", str(release_dir.media)])
    assert changelog.exit_code == 0, changelog.output
    assert changelog.output == f"""\
# Test Treaty Deck: changelog

Read from the ledger (cards.lock) alone: no git repository here, so release dates are not known.

{MIDWAY_BUILDS}

## 2.1.0

1 new, 0 corrected, 0 reworded and 0 retired notes.

### New

- `term-years`: For how many years was the treaty concluded?

## 2.0.0

0 new, 1 corrected, 2 reworded and 0 retired notes; 1 renamed without losing reviews.

### Corrected

These cards taught something wrong before. In Anki, find them with \
`tag:{CORRECTED_V2}` in the Browse window.

- `signatories`: Who signed the treaty? — *{REASON}*

### Reworded or otherwise changed

- `article-three`: Neither party joins any alliance directed against the other.
- `treaty-name-chinese`: The treaty's name in Chinese

### Renamed (reviews kept)

- `chinese-name` → `treaty-name-chinese`: The treaty's name in Chinese

## 1.0.0

4 new, 0 corrected, 0 reworded and 0 retired notes.

### New

- `article-three`: Neither party joins any alliance directed against the other.
- `chinese-name` (now `treaty-name-chinese`): The treaty's name in Chinese
- `signatories`: Who signed the treaty?
- `signing-date`: When was the treaty signed?
"""
    since = CliRunner().invoke(cli, ["changelog", "--cards", str(release_dir.cards), "--media",
                                     str(release_dir.media), "--since", "2.0.0"])
    assert since.exit_code == 0, since.output
    assert "## 2.1.0" in since.output and "## 2.0.0" not in since.output


def test_anki_replaces_the_description_even_when_no_note_changes(release_dir, collection,
                                                                   monkeypatch):
    build(release_dir, monkeypatch, NOW - 1000)
    import_package(collection, release_dir.output)
    set_version(release_dir, "1.0.1")
    out = build(release_dir, monkeypatch, NOW - 500)
    assert "0 new, 0 updated, 4 unchanged" in out
    log = import_package(collection, release_dir.output)
    assert not log.updated and not log.new
    assert "Version 1.0.1" in description(collection)


def test_a_correction_made_after_a_rewording_in_the_same_release_is_tagged(
        release_dir, monkeypatch):
    build(release_dir, monkeypatch, NOW - 1000)
    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "Andrey Vyshinsky", "Andrei Vyshinsky")
    assert "0 new, 1 updated" in build(release_dir, monkeypatch, NOW - 900)
    release_dir.edit("treaty.yaml", "    notes: Stalin and Mao attended.\n",
                     "    notes: Stalin and Mao attended.\n    correction: the wrong spelling\n")
    out = build(release_dir, monkeypatch, NOW - 800, "-v")
    assert "0 new, 1 updated" in out and "  corrected: signatories" in out
    assert "change\t1.1.0\tsignatories\tcorrected\tthe wrong spelling\n" in \
        release_dir.ledger.read_text(encoding="utf-8")
    assert "0 new, 0 updated, 4 unchanged" in build(release_dir, monkeypatch, NOW - 700)


def test_renames_chain_and_keep_the_first_identity(release_dir, collection, monkeypatch):
    build(release_dir, monkeypatch, NOW - 1000)
    import_package(collection, release_dir.output)
    release_dir.edit("treaty.yaml", "  - id: chinese-name\n",
                     "  - id: name-chinese\n    was: chinese-name\n")
    set_version(release_dir, "1.1.0")
    assert "0 new, 0 updated, 4 unchanged" in build(release_dir, monkeypatch, NOW - 900)
    release_dir.edit("treaty.yaml", "  - id: name-chinese\n    was: chinese-name\n",
                     "  - id: name-zh\n    was: name-chinese\n")
    set_version(release_dir, "1.2.0")
    build(release_dir, monkeypatch, NOW - 800)
    log = import_package(collection, release_dir.output)
    assert not log.new and collection.note_count() == 4
    assert note_for(collection, "chinese-name")  # still the first id's guid
    ledger = release_dir.ledger.read_text(encoding="utf-8")
    assert "rename\tchinese-name\tname-chinese\t1.1.0\n" in ledger
    assert "rename\tname-chinese\tname-zh\t1.2.0\n" in ledger

    # A former id never comes back as a new card: its learners' notes are name-zh's.
    release_dir.edit("treaty.yaml", "cards:\n", "cards:\n" + NEW_CARD.replace(
        "term-years", "name-chinese"))
    out = refused(release_dir, monkeypatch)
    assert ("treaty.yaml:3:5: card 'name-chinese': 'name-chinese' was renamed to 'name-zh' in "
            "release 1.2.0; learners' notes for it are now 'name-zh's, so a former id cannot come "
            "back as a new card. Choose another id") in out


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: set_version(d, "2.0"), "deck.yaml:10:1: 'version' '2.0' is not valid: "
     "a release number, major.minor.patch such as 2.0.0"),
    (lambda d: set_version(d, "0.9.0"), "deck.yaml:10:1: version 0.9.0 is lower than 1.0.0, "
     "which the ledger has already recorded; a version can only go up"),
    (lambda d: set_version(d, ""), "deck.yaml:1: no 'version', but the last build was version "
     "1.0.0; keep 'version'"),
    (lambda d: bump_and_edit(d, "back: 14 February 1950, in **Moscow**\n",
                             "back: 14 February 1950, in **Moscow**\n    correction: was wrong\n"),
     "treaty.yaml:3:5: card 'signing-date': has 'correction' but its content has not changed "
     "in release 1.0.1; edit the card to correct it, or remove 'correction'"),
    (lambda d: d.edit("treaty.yaml", "back: 14 February 1950, in **Moscow**\n",
                      "back: 14 February 1950, in Moscow\n    correction: was wrong\n"),
     "treaty.yaml:3:5: card 'signing-date': 'correction' on a new card"),
    (lambda d: d.edit("treaty.yaml", "cards:\n", "cards:\n" + NEW_CARD
                      + "    correction: was wrong\n"),
     "treaty.yaml:3:5: card 'term-years': 'correction' on a new card"),
    (lambda d: bump_and_edit(d, "extra: Article 3.\n",
                             "extra: Article 3.\n    retired: true\n    correction: wrong\n"),
     "card 'article-three': 'correction' on a card being retired"),
    (lambda d: d.edit("treaty.yaml", "cards:\n", "cards:\n" + NEW_CARD + "    was: chinese\n"),
     "cards.lock) has no card 'chinese' to rename (did you mean 'chinese-name'?)"),
    (lambda d: d.edit("treaty.yaml", "cards:\n", "cards:\n" + NEW_CARD
                      + "    was: signatories\n"),
     "card 'term-years': 'was: signatories' names a card that is still in the cards"),
    (lambda d: d.edit("treaty.yaml", "  - id: signatories\n",
                      "  - id: signatories\n    was: chinese-name\n"),
     "card 'signatories': 'was: chinese-name' names a card that is still in the cards"),
    (lambda d: d.edit("treaty.yaml", "  - id: chinese-name\n",
                      "  - id: name-cn\n    was: chinese-name\n    front: q\n    back: a\n"
                      "  - id: name-zh\n    was: chinese-name\n"),
     "'was: chinese-name': another card is already renamed from 'chinese-name'"),
    (lambda d: d.edit("treaty.yaml", "  - id: chinese-name\n",
                      "  - id: chinese-name\n    was: chinese-name\n"),
     "card 'chinese-name': 'was' names the card's own id"),
    (lambda d: d.edit("treaty.yaml", "  - id: chinese-name\n", "  - id: name-zh\n"),
     "card 'chinese-name': was in the last build but is no longer in the cards"),
])
def test_bad_release_input_is_refused(release_dir, monkeypatch, change, message):
    build(release_dir, monkeypatch, NOW - 1000)
    change(release_dir)
    assert message in refused(release_dir, monkeypatch)


def test_correction_needs_a_version(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    deck_dir.edit("treaty.yaml", "back: Zhou Enlai and Andrey Vyshinsky\n",
                  "back: Zhou Enlai and Vyshinsky\n    correction: wrong name\n")
    assert ("card 'signatories': 'correction' is announced under a release: add 'version' to "
            "deck.yaml") in refused(deck_dir, monkeypatch)


def test_changelog_without_releases_and_bad_since(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    args = ["changelog", "--cards", str(deck_dir.cards), "--media", str(deck_dir.media)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "No releases recorded yet: add `version:` to deck.yaml and build." in result.output
    bad = CliRunner().invoke(cli, [*args, "--since", "v1"])
    assert bad.exit_code == 2 and "'v1' is not a version such as 1.0.0" in bad.output


def test_changelog_reads_release_dates_from_git_tags(release_dir, monkeypatch, tmp_path):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    build(release_dir, monkeypatch, NOW - 1000)
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org",
           "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z", "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z",
           "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "v1"], ["tag", "v1.0.0"]):
        subprocess.run(["git", "-C", str(release_dir.root), *command], check=True, env=env)
    set_version(release_dir, "1.1.0")
    build(release_dir, monkeypatch, NOW - 500)
    result = CliRunner().invoke(cli, ["changelog", "--cards", str(release_dir.cards),
                                      "--media", str(release_dir.media)])
    assert result.exit_code == 0, result.output
    assert "## 1.1.0\n" in result.output  # not tagged yet
    assert "## 1.0.0 (2026-01-02)\n" in result.output
    assert "no git repository" not in result.output


def test_verify_names_a_renamed_card_by_its_new_id(release_dir, monkeypatch):
    from deckbuilder.verify import card_ids_from_ledger

    build(release_dir, monkeypatch, NOW - 1000)
    release_dir.edit("treaty.yaml", "  - id: chinese-name\n",
                     "  - id: name-zh\n    was: chinese-name\n")
    build(release_dir, monkeypatch, NOW - 500)
    assert card_ids_from_ledger(release_dir.ledger)[guid_for(DECK_ID, "chinese-name")] == "name-zh"


def test_preview_page_names_the_version(release_dir):
    page_path = release_dir.root / "p.html"
    result = CliRunner().invoke(cli, ["preview", "--cards", str(release_dir.cards), "--media",
                                      str(release_dir.media), "-o", str(page_path)])
    assert result.exit_code == 0, result.output
    page = page_path.read_text(encoding="utf-8")
    assert '<p class="pv-counts">Version 1.0.0: 4 notes, 6 cards, 2 media files.' in page


def test_a_first_build_takes_corrections_as_past(release_dir, monkeypatch):
    # A new copy of a released deck (no ledger): every note is new, so nothing is corrected.
    release_dir.edit("treaty.yaml", "    notes: Stalin and Mao attended.\n",
                     "    notes: Stalin and Mao attended.\n    correction: an old reason\n")
    out = build(release_dir, monkeypatch, NOW - 1000)
    assert "4 new" in out and "corrected" not in out
    assert "corrected" not in release_dir.ledger.read_text(encoding="utf-8")


def test_release_records_read_back_with_any_reason(release_dir, monkeypatch):
    from deckbuilder.ledger import read_ledger

    build(release_dir, monkeypatch, NOW - 1000)
    set_version(release_dir, "1.1.0")
    reason = r"a|b \ c \u0041 → “quoted”"
    release_dir.edit("treaty.yaml", "    notes: Stalin and Mao attended.\n",
                     "    notes: Stalin and Mao attended; neither signed.\n"
                     f"    correction: '{reason}'\n")
    build(release_dir, monkeypatch, NOW - 900)
    ledger = read_ledger(release_dir.ledger)
    assert ledger.changes["1.1.0", "signatories"].reason == reason
    assert "0 new, 0 updated, 4 unchanged" in build(release_dir, monkeypatch, NOW - 800)


def test_ledger_from_a_plain_build_leaves_its_version_open(release_dir, monkeypatch):
    """A package that no release build wrote (its record of what we shipped says so) names a
    version still in the works: the rebuilt ledger does not close it, so the next change needs
    no new version and the release build still stamps it."""
    build(release_dir, monkeypatch, NOW - 1000)
    release_dir.ledger.unlink()
    args = ["--cards", str(release_dir.cards), "--media", str(release_dir.media)]
    result = CliRunner().invoke(cli, ["ledger", "--from", str(release_dir.output), *args])
    assert result.exit_code == 0, result.output
    assert "released\t" not in release_dir.ledger.read_text(encoding="utf-8")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    assert "1 updated" in build(release_dir, monkeypatch, NOW - 500)
    assert "Released version 1.0.0" in build(release_dir, monkeypatch, NOW - 100, "--release")


def test_ledger_from_a_released_package_keeps_corrections_and_renames(release_dir, collection,
                                                                       monkeypatch, tmp_path):
    build(release_dir, monkeypatch, NOW - 1000)
    release_two(release_dir)
    build(release_dir, monkeypatch, NOW - 500, "--release")
    import_package(collection, release_dir.output)
    released = tmp_path / "released-2.0.0.apkg"
    released.write_bytes(release_dir.output.read_bytes())
    release_dir.ledger.unlink()

    args = ["--cards", str(release_dir.cards), "--media", str(release_dir.media)]
    result = CliRunner().invoke(cli, ["ledger", "--from", str(released), *args])
    assert result.exit_code == 0, result.output
    assert "4 notes released, 0 changed since, 0 new cards" in result.output
    out = build(release_dir, monkeypatch, NOW - 100)
    assert "0 new, 0 updated, 4 unchanged" in out  # the correction tag and the rename kept
    log = import_package(collection, release_dir.output)
    assert not log.new and not log.updated
    assert note_for(collection, "signatories").tags[0] == CORRECTED_V2
    ledger = release_dir.ledger.read_text(encoding="utf-8")
    assert "rename\tchinese-name\ttreaty-name-chinese\t\n" in ledger
    assert f"change\t2.0.0\tsignatories\tcorrected\t{REASON}\n" in ledger
    assert "release\t2.0.0\t" in ledger
    assert "released\t2.0.0\t" in ledger  # the package was released: 2.0.0 takes no change


def test_ledger_from_an_older_release_than_the_record_holds_is_refused(release_dir, monkeypatch,
                                                                        tmp_path):
    """Issue 19: a ledger from release 1.0.0 when 1.1.0 was shipped since would stamp notes
    1.1.0's learners have anew (their edits overwritten on re-import) and let a build change
    the released 1.1.0."""
    build(release_dir, monkeypatch, NOW - 1000, "--release")
    first = tmp_path / "released-1.0.0.apkg"
    first.write_bytes(release_dir.output.read_bytes())
    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(release_dir, monkeypatch, NOW - 500, "--release")
    second = tmp_path / "released-1.1.0.apkg"
    second.write_bytes(release_dir.output.read_bytes())
    release_dir.ledger.unlink()

    args = ["--cards", str(release_dir.cards), "--media", str(release_dir.media)]
    result = CliRunner().invoke(cli, ["ledger", "--from", str(first), *args])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{first}: is release 1.0.0, but the record of what we shipped (cards.shipped) "
            "holds release 1.1.0, shipped after it") in result.output
    assert "Use the package of release 1.1.0" in result.output
    assert not release_dir.ledger.exists()

    result = CliRunner().invoke(cli, ["ledger", "--from", str(second), *args])
    assert result.exit_code == 0, result.output
    ledger = release_dir.ledger.read_text(encoding="utf-8")
    assert "released\t1.0.0\t" in ledger and "released\t1.1.0\t" in ledger
    assert "0 new, 0 updated, 4 unchanged" in build(release_dir, monkeypatch, NOW - 100)
    release_dir.edit("treaty.yaml", "extra: From Article 3.", "extra: Article 3 says so.")
    assert "version 1.1.0 is released" in refused(release_dir, monkeypatch, NOW)
