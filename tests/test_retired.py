"""Retired notes (issue 19, item 7), with the real Anki engine: a new learner's copies go to a
top-level deck of their own, never among the cards to learn; an existing learner's cards stay
where they are, with their reviews; one retirement notice, generated from the release."""

from __future__ import annotations

import sqlite3
import time
import zipfile
from pathlib import Path

from click.testing import CliRunner
from helpers import (
    DECK_ID,
    DECK_YAML,
    import_package,
    note_for,
    progress,
    study,
)

from deckbuilder.cli import cli
from deckbuilder.notes import RETIRED_TAG
from deckbuilder.package import retired_deck_id, retired_deck_name

NOW = int(time.time())
MAIN = "Test Treaty Deck"
RETIRED = "Retired, not for study: Test Treaty Deck"


def build(deck_dir, monkeypatch, epoch: int, version: str, retired: bool) -> None:
    (deck_dir.cards / "deck.yaml").write_text(DECK_YAML + f"version: {version}\n", "utf-8")
    text = (deck_dir.cards / "treaty.yaml").read_text("utf-8")
    mark = "  - id: signatories\n    retired: true\n"
    text = text.replace(mark, "  - id: signatories\n")
    if retired:
        text = text.replace("  - id: signatories\n", mark)
    (deck_dir.cards / "treaty.yaml").write_text(text, "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 0, result.output


def package_decks(package: Path) -> dict[int, str]:
    import json

    with zipfile.ZipFile(package) as zf:
        data = zf.read("collection.anki2")
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    (decks,) = conn.execute("SELECT decks FROM col").fetchone()
    conn.close()
    return {int(i): d["name"] for i, d in json.loads(decks).items()}


def queued_notes(col, deck: str) -> set[int]:
    """The notes of every card the scheduler would show in deck today (new and due)."""
    col.decks.select(col.decks.id_for_name(deck))
    queued = col.sched.get_queued_cards(fetch_limit=1000)
    return {col.get_card(c.card.id).nid for c in queued.cards}


def test_a_new_learner_never_gets_retired_cards_to_learn(deck_dir, collection, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000, "1.0.0", retired=True)
    import_package(collection, deck_dir.output)
    retired = note_for(collection, "signatories")
    assert RETIRED_TAG in retired.tags
    assert {collection.decks.name(c.did) for c in retired.cards()} == {RETIRED}
    assert "::" not in RETIRED  # top level: a subdeck would be studied with its parent
    queued = queued_notes(collection, MAIN)
    assert queued and retired.id not in queued  # the others are there to learn, it is not
    assert note_for(collection, "signing-date").id in queued
    # the notice says which release retired it, generated, not written on the card: it is
    # the card's question and answer now, each retired note's its own (no duplicates)
    assert retired["Front"] == retired["Back"]
    assert retired["Front"].startswith("<strong>Retired in version 1.0.0</strong>: this card "
                                       "(<code>signatories</code>) is no longer part of the deck")
    assert "Who signed" not in retired["Front"]
    assert "Retired" not in note_for(collection, "signing-date")["Front"]


def test_an_existing_learner_keeps_retired_cards_and_reviews(deck_dir, collection,
                                                             monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000, "1.0.0", retired=False)
    import_package(collection, deck_dir.output)
    studied = study(collection, 6, MAIN)
    note = note_for(collection, "signatories")
    (card,) = note.cards()
    assert card.id in studied
    build(deck_dir, monkeypatch, NOW, "1.1.0", retired=True)
    import_package(collection, deck_dir.output)
    note = note_for(collection, "signatories")
    (after,) = note.cards()
    # Anki never moves a card a learner has: it stays in the study deck, with its reviews
    assert after.id == card.id and collection.decks.name(after.did) == MAIN
    assert progress(collection)[card.id] == studied[card.id]
    assert RETIRED_TAG in note.tags and "Retired in version 1.1.0" in note["Front"]
    # and the next release keeps naming the release that retired it
    build(deck_dir, monkeypatch, NOW + 10, "1.2.0", retired=True)
    import_package(collection, deck_dir.output)
    assert "Retired in version 1.1.0" in note_for(collection, "signatories")["Front"]


def test_a_retired_notes_cards_ship_suspended_in_a_deck_with_no_new_cards(deck_dir, monkeypatch):
    """What the package asks of a first import (Anki 2.1.50 and 2.1.55 do it; later importers
    reset a card's queue and the deck's options: tests/test_engines.py measures each)."""
    import json

    build(deck_dir, monkeypatch, NOW, "1.0.0", retired=True)
    with zipfile.ZipFile(deck_dir.output) as zf:
        data = zf.read("collection.anki2")
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    rid = retired_deck_id(DECK_ID)
    queues = dict(conn.execute("SELECT did, group_concat(DISTINCT queue) FROM cards GROUP BY did"))
    dconf, decks = (json.loads(x) for x in conn.execute("SELECT dconf, decks FROM col").fetchone())
    conn.close()
    assert queues == {DECK_ID: "0", rid: "-1"}
    options = dconf[str(decks[str(rid)]["conf"])]
    assert options["new"]["perDay"] == options["rev"]["perDay"] == 0
    assert decks[str(DECK_ID)]["conf"] == 1 and dconf["1"]["new"]["perDay"] > 0


def test_the_retired_deck_id_is_permanent_and_its_own(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000, "1.0.0", retired=False)
    assert package_decks(deck_dir.output) == {1: "Default", DECK_ID: MAIN}  # none retired: none
    build(deck_dir, monkeypatch, NOW, "1.1.0", retired=True)
    decks = package_decks(deck_dir.output)
    assert decks[retired_deck_id(DECK_ID)] == retired_deck_name(MAIN) == RETIRED
    assert retired_deck_id(DECK_ID) not in (DECK_ID, 1)
    assert retired_deck_id(DECK_ID) == retired_deck_id(DECK_ID) < 2 ** 53
    assert retired_deck_name("Parent::Child") == "Retired, not for study: Parent - Child"


def test_install_puts_a_new_learners_retired_notes_in_the_retired_deck(deck_dir, tmp_path,
                                                                       monkeypatch):
    from anki.collection import Collection

    build(deck_dir, monkeypatch, NOW - 1000, "1.0.0", retired=True)
    path = tmp_path / "Anki2" / "User 1" / "collection.anki2"
    path.parent.mkdir(parents=True)
    Collection(str(path)).close()
    result = CliRunner().invoke(cli, ["install", str(deck_dir.output), "--collection",
                                      str(path)])
    assert result.exit_code == 0, result.output
    col = Collection(str(path))
    try:
        retired = note_for(col, "signatories")
        assert {col.decks.name(c.did) for c in retired.cards()} == {RETIRED}
        assert retired.id not in queued_notes(col, MAIN)
    finally:
        col.close()


def test_a_ledger_rebuilt_from_a_release_keeps_the_retiring_release(deck_dir, monkeypatch,
                                                                    tmp_path):
    build(deck_dir, monkeypatch, NOW - 1000, "1.0.0", retired=False)
    build(deck_dir, monkeypatch, NOW - 500, "1.1.0", retired=True)
    released = tmp_path / "released.apkg"
    released.write_bytes(deck_dir.output.read_bytes())
    deck_dir.ledger.unlink()
    result = CliRunner().invoke(cli, ["ledger", "--from", str(released), "--cards",
                                      str(deck_dir.cards), "--media", str(deck_dir.media)])
    assert result.exit_code == 0, result.output
    assert "0 changed since" in result.output
    assert "change\t1.1.0\tsignatories\tretired\n" in deck_dir.ledger.read_text("utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW))
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 0, result.output
    assert "0 new, 0 updated, 4 unchanged" in result.output


def test_the_changelog_tells_a_card_retired_earlier_from_a_reworded_one(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000, "1.0.0", retired=False)
    build(deck_dir, monkeypatch, NOW - 500, "2.0.0", retired=True)
    deck_dir.edit("treaty.yaml", "    notes: Stalin and Mao attended.\n",
                  "    notes: Stalin and Mao attended the signing.\n")
    build(deck_dir, monkeypatch, NOW, "3.0.0", retired=True)
    result = CliRunner().invoke(cli, ["changelog", "--cards", str(deck_dir.cards), "--media",
                                      str(deck_dir.media), "--ledger", str(deck_dir.ledger)])
    assert result.exit_code == 0, result.output
    three = result.output.split("## 3.0.0")[1].split("## 2.0.0")[0]
    assert ("0 new, 0 corrected, 0 reworded and 0 retired notes; 1 card retired in an earlier "
            "release updated") in three
    assert "### Retired earlier, updated" in three and "`signatories` (retired in 2.0.0)" in three
    assert "### Reworded" not in three


def test_a_retired_cloze_keeps_every_card_and_none_turns_blank(deck_dir, collection,
                                                               monkeypatch):
    """The notice replaces a retired cloze's text with one deletion for each of its numbers: a
    learner who studied both of its cards keeps both, each still showing a question."""
    build(deck_dir, monkeypatch, NOW - 1000, "1.0.0", retired=False)
    import_package(collection, deck_dir.output)
    studied = study(collection, 6, MAIN)
    before = {c.id for c in note_for(collection, "article-three").cards()}
    assert len(before) == 2 and before <= set(studied)
    deck_dir.edit("treaty.yaml", "  - id: article-three\n",
                  "  - id: article-three\n    retired: true\n")
    build(deck_dir, monkeypatch, NOW, "1.1.0", retired=False)
    import_package(collection, deck_dir.output)
    note = note_for(collection, "article-three")
    assert {c.id for c in note.cards()} == before
    assert "Retired in version 1.1.0" in note["Text"] and "alliance" not in note["Text"]
    for card in note.cards():
        question = card.question()
        assert "Retired in version 1.1.0" in question and "[...]" in question
    verified = CliRunner().invoke(cli, ["verify", str(deck_dir.output)])
    assert verified.exit_code == 0, verified.output
    assert "no empty cards" in verified.output
