"""A later release withdraws or amends an earlier release's correction (`correction_withdrawn`,
`correction_amended`): recorded in the ledger, told in the changelog and the deck's description,
and, for a withdrawal, the correction tag gone from the note in a real Anki collection."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from helpers import import_package, note_for, progress, study, visible_text

from deckbuilder.cli import cli
from deckbuilder.ledger import read_ledger

NOW = int(time.time())
TAG_V2 = "build-deck::corrected::v2.0.0"
REASON = "named Stalin and Mao, who attended but did not sign"
AMENDED = "the answer named Stalin and Mao as signers; they attended, Zhou and Vyshinsky signed"


def build(deck_dir, monkeypatch, epoch: int) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 0, result.output
    return result.output


def set_version(deck_dir, version: str) -> None:
    text = (deck_dir.cards / "deck.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("version:")]
    (deck_dir.cards / "deck.yaml").write_text("\n".join([*lines, f"version: {version}"]) + "\n",
                                              encoding="utf-8")


def changelog(deck_dir) -> str:
    result = CliRunner().invoke(cli, ["changelog", "--cards", str(deck_dir.cards),
                                      "--media", str(deck_dir.media)])
    assert result.exit_code == 0, result.output
    return result.output


def description(col) -> str:
    return visible_text(col.decks.get(col.decks.id_for_name("Test Treaty Deck"))["desc"])


@pytest.fixture
def corrected(release_dir, monkeypatch, collection):
    """1.0.0 built and studied, 2.0.0 correcting 'signatories', imported; then 3.0.0 begun."""
    build(release_dir, monkeypatch, NOW - 1000)
    import_package(collection, release_dir.output)
    study(collection, 6)
    set_version(release_dir, "2.0.0")
    release_dir.edit("treaty.yaml", "    back: Zhou Enlai and Andrey Vyshinsky\n",
                     "    back: Zhou Enlai and Andrey Vyshinsky, the foreign ministers\n"
                     f"    correction: {REASON}\n")
    build(release_dir, monkeypatch, NOW - 500)
    import_package(collection, release_dir.output)
    assert note_for(collection, "signatories").tags[0] == TAG_V2
    set_version(release_dir, "3.0.0")
    return release_dir


def test_a_withdrawn_correction_leaves_the_note_and_the_lists_of_corrections(
        corrected, monkeypatch, collection):
    corrected.edit("treaty.yaml", "  - id: signatories\n",
                   "  - id: signatories\n    correction_withdrawn: 2.0.0\n")
    before = progress(collection)
    out = build(corrected, monkeypatch, NOW - 100)
    # The tag is part of the note: removing it is an update, which a plain import applies.
    assert "Re-import plan: 0 new, 1 updated, 3 unchanged, 0 retired." in out
    assert "1 earlier correction(s) newly withdrawn or amended." in out
    log = import_package(collection, corrected.output)
    assert len(log.updated) == 1
    assert note_for(collection, "signatories").tags == ["treaty::dates", "treaty::people::signers"]
    assert collection.find_notes(f"tag:{TAG_V2}") == []
    assert progress(collection) == before  # reviews kept

    shown = description(collection)
    assert ("What's new in 3.0.0: 0 new, 0 corrected, 1 reworded and 0 retired notes; 1 earlier "
            "correction withdrawn or amended.") in shown
    assert "Who signed the treaty? (2.0.0 correction withdrawn: not a correction)" in shown
    assert "What's new in 2.0.0: 0 new, 0 corrected, 1 reworded" in shown
    assert REASON not in shown

    text = changelog(corrected)
    assert "### Earlier corrections withdrawn or amended" in text
    assert ("- `signatories`: Who signed the treaty? — *2.0.0 correction withdrawn: not a "
            "correction*") in text
    assert "0 new, 0 corrected, 1 reworded and 0 retired notes.\n\n### Reworded" in (
        text.split("## 2.0.0", 1)[1])
    assert REASON not in text

    # Recorded once: a rebuild changes nothing, and the withdrawal outlives the key.
    corrected.edit("treaty.yaml", "    correction_withdrawn: 2.0.0\n", "")
    set_version(corrected, "3.1.0")
    out = build(corrected, monkeypatch, NOW - 50)
    assert "0 new, 0 updated, 4 unchanged" in out and "earlier correction" not in out
    revisions = read_ledger(corrected.ledger).revisions
    assert [(r.version, r.card_id, r.corrected, r.withdrawn) for r in revisions.values()] == [
        ("3.0.0", "signatories", "2.0.0", True)]


def test_a_ledger_rebuilt_from_the_package_keeps_a_released_withdrawal(
        corrected, monkeypatch):
    corrected.edit("treaty.yaml", "  - id: signatories\n",
                   "  - id: signatories\n    correction_withdrawn: 2.0.0\n")
    build(corrected, monkeypatch, NOW - 100)
    told = changelog(corrected).split("## 1.0.0")[0]
    corrected.ledger.unlink()  # lost: rebuilt from the 3.0.0 package, which has no 2.0.0 tag
    result = CliRunner().invoke(cli, ["ledger", "--from", str(corrected.output), "--cards",
                                      str(corrected.cards), "--media", str(corrected.media)])
    assert result.exit_code == 0, result.output
    out = build(corrected, monkeypatch, NOW - 50)
    assert "0 new, 0 updated, 4 unchanged" in out and "earlier correction" not in out
    assert "*2.0.0 correction withdrawn: not a correction*" in changelog(corrected)
    assert "withdrawn" in told


def test_an_amended_correction_keeps_the_tag_and_tells_the_new_reason(
        corrected, monkeypatch, collection):
    corrected.edit("treaty.yaml", "  - id: signatories\n",
                   "  - id: signatories\n    correction_amended:\n      version: 2.0.0\n"
                   f"      reason: \"{AMENDED}\"\n")
    out = build(corrected, monkeypatch, NOW - 100)
    assert "Re-import plan: 0 new, 0 updated, 4 unchanged, 0 retired." in out
    import_package(collection, corrected.output)
    assert TAG_V2 in note_for(collection, "signatories").tags
    shown = description(collection)
    assert f"Who signed the treaty? (2.0.0 correction amended: {AMENDED})" in shown
    assert f"Who signed the treaty? ({AMENDED} (amended in 3.0.0))" in shown
    text = changelog(corrected)
    assert f"— *2.0.0 correction amended: {AMENDED}*" in text
    assert f"- `signatories`: Who signed the treaty? — *{AMENDED} (amended in 3.0.0)*" in text
    assert REASON not in text

    again = build(corrected, monkeypatch, NOW - 50)
    assert "0 updated" in again and "earlier correction" not in again
    lines = corrected.ledger.read_text("utf-8").splitlines()
    assert f"revision\t3.0.0\tsignatories\t2.0.0\tamended\t{AMENDED}" in lines
    assert lines[3] == "build-deck ledger\t3"


@pytest.mark.parametrize(("card", "message"), [
    ("    correction_withdrawn: 1.0.0\n",
     "'correction_withdrawn: 1.0.0': release 1.0.0 did not correct this card (it was corrected "
     "in 2.0.0); name a release that did"),
    ("    correction_withdrawn: 3.0.0\n",
     "'correction_withdrawn: 3.0.0' names this release; its own correction is changed with "
     "'correction' (or removed)"),
    ("    correction_amended: {version: 2.0.0}\n", "'correction_amended' has no 'reason'"),
    ("    correction_amended: {version: 2.0.0, reason: r, why: w}\n",
     "'correction_amended' has an unknown key 'why'"),
    ("    correction_withdrawn: '2.0'\n",
     "'correction_withdrawn' '2.0' is not valid: The release (major.minor.patch"),
    ("    correction_withdrawn: 2.0.0\n    correction_amended: {version: 2.0.0, reason: r}\n",
     "release 2.0.0's correction is both withdrawn and amended"),
])
def test_a_revision_that_revises_nothing_is_refused(corrected, monkeypatch, card, message):
    corrected.edit("treaty.yaml", "  - id: signatories\n", "  - id: signatories\n" + card)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW - 100))
    result = CliRunner().invoke(cli, corrected.args())
    assert result.exit_code == 1, result.output
    assert "treaty.yaml:" in result.output and "card 'signatories'" in result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_revision_of_a_card_never_corrected_is_refused(corrected, monkeypatch):
    corrected.edit("treaty.yaml", "  - id: signing-date\n",
                   "  - id: signing-date\n    correction_withdrawn: 2.0.0\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW - 100))
    result = CliRunner().invoke(cli, corrected.args())
    assert result.exit_code == 1, result.output
    assert ("card 'signing-date': 'correction_withdrawn: 2.0.0': release 2.0.0 did not correct "
            "this card (no release has corrected it)") in result.output
