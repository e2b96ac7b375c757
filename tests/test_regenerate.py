"""Edit, rebuild, re-import: the learner keeps every bit of review progress (real Anki)."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import PNG, import_package, note_for, progress, study

from deckbuilder.build import build as core_build
from deckbuilder.cli import cli
from deckbuilder.errors import DeckError
from deckbuilder.ledger import EARLIEST
from deckbuilder.notes import CLOZE, FACT, RETIRED_TAG

NOW = int(time.time())


def build(deck_dir, monkeypatch, epoch: int, *extra: str) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    result = CliRunner().invoke(cli, deck_dir.args(*extra))
    assert result.exit_code == 0, result.output
    return result.output


def package_notes(package: Path) -> dict[str, tuple[int, str]]:
    """guid -> (mod, fields) straight from the package's SQLite file."""
    with zipfile.ZipFile(package) as zf:
        data = zf.read("collection.anki2")
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    rows = {guid: (mod, flds) for guid, mod, flds in conn.execute(
        "SELECT guid, mod, flds FROM notes")}
    conn.close()
    return rows


def note_type_names(col) -> list[str]:
    return sorted(m.name for m in col.models.all_names_and_ids())


def test_edit_add_and_change_image_keeps_progress(deck_dir, collection, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    import_package(collection, deck_dir.output)
    before = study(collection, 3)
    assert len(before) == 3 and all(ivl > 0 and reviews == 1 for ivl, reviews in before.values())
    signing_id = note_for(collection, "signing-date").id
    types_before = note_type_names(collection)

    deck_dir.edit("treaty.yaml", "back: 14 February 1950, in **Moscow**",
                  "back: 14 February 1950, in the Kremlin")
    deck_dir.edit("treaty.yaml", "cards:\n", "cards:\n  - id: new-card\n    front: New?\n"
                  "    back: Yes, new.\n    sources: [treaty-text]\n")
    (deck_dir.media / "timeline.png").write_bytes(PNG + b"changed")
    output = build(deck_dir, monkeypatch, NOW)
    assert "Re-import plan: 1 new, 2 updated, 2 unchanged, 0 retired." in output

    log = import_package(collection, deck_dir.output)
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (1, 2, 2)
    assert not log.conflicting and not log.missing_notetype

    signing = note_for(collection, "signing-date")
    assert signing.id == signing_id  # updated in place, not duplicated
    assert signing["Back"] == "14 February 1950, in the Kremlin"
    assert collection.note_count() == 5
    guids = [collection.get_note(n).guid for n in collection.find_notes("")]
    assert len(guids) == len(set(guids))
    assert note_type_names(collection) == types_before  # no "Fact (build-deck)+" copies
    assert progress(collection) == before  # intervals and review log kept

    image_html = note_for(collection, "signatories")["Image"]
    image_name = image_html.split('"')[1]
    assert (Path(collection.media.dir()) / image_name).read_bytes() == PNG + b"changed"


def test_rebuild_without_changes_is_byte_identical_and_imports_as_no_change(
        deck_dir, collection, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    first = hashlib.sha256(deck_dir.output.read_bytes()).hexdigest()
    first_ledger = deck_dir.ledger.read_bytes()
    output = build(deck_dir, monkeypatch, NOW)  # a later clock changes nothing
    assert "0 new, 0 updated, 4 unchanged, 0 retired" in output
    assert hashlib.sha256(deck_dir.output.read_bytes()).hexdigest() == first
    assert deck_dir.ledger.read_bytes() == first_ledger

    import_package(collection, deck_dir.output)
    log = import_package(collection, deck_dir.output)
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (0, 0, 4)


def test_learner_edits_and_tags_on_untouched_notes_survive(deck_dir, collection, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    import_package(collection, deck_dir.output)
    mine = note_for(collection, "signatories")
    mine["Notes"] = "My own mnemonic"
    mine.tags.append("my-tag")
    collection.update_note(mine)

    deck_dir.edit("treaty.yaml", "back: 14 February 1950, in **Moscow**", "back: 14 Feb 1950")
    # Built after the learner's edit: a builder stamping every note with the build time would
    # overwrite it on re-import.
    build(deck_dir, monkeypatch, NOW + 1000)
    log = import_package(collection, deck_dir.output)
    assert len(log.updated) == 1
    assert note_for(collection, "signing-date")["Back"] == "14 Feb 1950"
    kept = note_for(collection, "signatories")
    assert kept["Notes"] == "My own mnemonic" and "my-tag" in kept.tags


def test_source_date_epoch_and_strictly_increasing_mod(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, 1_700_000_000)
    first = package_notes(deck_dir.output)
    # New notes carry a time no release is older than: should the ledger have been lost, they
    # never beat (and overwrite) a learner's copy of the same note.
    assert {mod for mod, _ in first.values()} == {EARLIEST}

    deck_dir.edit("treaty.yaml", "back: 14 February 1950, in **Moscow**", "back: 14 Feb 1950")
    build(deck_dir, monkeypatch, 1_700_000_000)
    second = package_notes(deck_dir.output)
    changed = [g for g in second if second[g][1] != first[g][1]]
    assert len(changed) == 1
    assert second[changed[0]][0] == 1_700_000_000
    assert all(second[g][0] == EARLIEST for g in second if g not in changed)

    deck_dir.edit("treaty.yaml", "back: 14 Feb 1950", "back: 14.2.1950")
    build(deck_dir, monkeypatch, 1_600_000_000)  # the clock went backwards
    assert package_notes(deck_dir.output)[changed[0]][0] == 1_700_000_001
    deck_dir.edit("treaty.yaml", "back: 14.2.1950", "back: 14/2/1950")
    build(deck_dir, monkeypatch, 1_750_000_000)
    assert package_notes(deck_dir.output)[changed[0]][0] == 1_750_000_000


def test_retired_card_arrives_tagged(deck_dir, collection, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    import_package(collection, deck_dir.output)
    deck_dir.edit("treaty.yaml", "  - id: signatories\n",
                  "  - id: signatories\n    retired: true\n")
    output = build(deck_dir, monkeypatch, NOW, "--verbose")
    assert "0 new, 0 updated, 3 unchanged, 1 retired" in output
    assert "  retired: signatories" in output
    import_package(collection, deck_dir.output)
    assert RETIRED_TAG in note_for(collection, "signatories").tags
    assert collection.find_notes(f"tag:{RETIRED_TAG}") == [note_for(collection, "signatories").id]


def test_removing_a_card_without_retiring_it_is_refused(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    before = deck_dir.output.read_bytes(), deck_dir.ledger.read_bytes()
    text = (deck_dir.cards / "treaty.yaml").read_text()
    start = text.index("  - id: chinese-name")
    (deck_dir.cards / "treaty.yaml").write_text(text[:start])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW))
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1
    assert "cards.lock:" in result.output
    assert "card 'chinese-name': was in the last build but is no longer in the cards" in (
        result.output)
    assert "add 'retired: true'" in result.output
    assert (deck_dir.output.read_bytes(), deck_dir.ledger.read_bytes()) == before


def _core_build(deck_dir, note_types, now):
    return core_build(deck_dir.cards, deck_dir.media, deck_dir.output, note_types=note_types,
                      now=now)


def test_renaming_a_released_field_is_refused(deck_dir):
    _core_build(deck_dir, (FACT, CLOZE), NOW - 1000)
    renamed = dataclasses.replace(FACT, fields=("Question",) + FACT.fields[1:])
    with pytest.raises(DeckError) as caught:
        _core_build(deck_dir, (renamed, CLOZE), NOW)
    message = str(caught.value)
    assert "note type 'Fact (build-deck)'" in message and "Question" in message
    assert "Anki would refuse to update every note of this type" in message
    assert "give the note type a new id and a new name" in message


def test_a_new_note_type_id_and_name_is_accepted_and_asks_to_merge(deck_dir, collection):
    _core_build(deck_dir, (FACT, CLOZE), NOW - 1000)
    import_package(collection, deck_dir.output)
    successor = dataclasses.replace(FACT, id=FACT.id + 100, name="Fact v2 (build-deck)",
                                    fields=("Question",) + FACT.fields[1:])
    result = _core_build(deck_dir, (successor, CLOZE), NOW)
    assert [nt.name for nt in result.plan.new_note_types] == ["Fact v2 (build-deck)"]
    assert result.plan.replaced_note_types == ["Fact (build-deck)"]

    # What the plan tells learners to do: import with "Merge note types" ticked.
    from anki.collection import ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageOptions

    collection.import_anki_package(ImportAnkiPackageRequest(
        package_path=str(deck_dir.output),
        options=ImportAnkiPackageOptions(merge_notetypes=True)))
    moved = note_for(collection, "signing-date")
    assert moved.note_type()["name"] == "Fact v2 (build-deck)"
    assert moved["Question"] == "When was the treaty signed?"
    assert collection.note_count() == 4


def test_css_change_reaches_the_collection(deck_dir, collection):
    _core_build(deck_dir, (FACT, CLOZE), NOW - 1000)
    import_package(collection, deck_dir.output)
    restyled = dataclasses.replace(FACT, css=FACT.css + "\n.answer { color: teal; }\n")
    result = _core_build(deck_dir, (restyled, CLOZE), NOW)
    assert result.plan.updated == [] and result.plan.new_note_types == []
    log = import_package(collection, deck_dir.output)
    assert not log.conflicting
    assert ".answer { color: teal; }" in collection.models.by_name("Fact (build-deck)")["css"]
    assert note_type_names(collection) == sorted(["Fact (build-deck)", "Cloze (build-deck)",
                                                  *_stock_note_types(collection)])


def _stock_note_types(col) -> list[str]:
    return [m.name for m in col.models.all_names_and_ids() if "build-deck" not in m.name]


def test_renaming_the_deck_is_refused(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    deck_dir.edit("deck.yaml", "name: Test Treaty Deck", "name: Another Name")
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1
    assert "the deck name was 'Test Treaty Deck' in the last build" in result.output


def test_changing_the_deck_id_is_refused(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    deck_dir.edit("deck.yaml", "id: 1234567890", "id: 1234567891")
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1
    assert "deck.yaml:2:1: the deck id was 1234567890 in the last build" in (
        result.output)


def test_switching_a_card_between_basic_and_cloze_is_refused(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    deck_dir.edit("treaty.yaml", "    front: Who signed the treaty?\n"
                  "    back: Zhou Enlai and Andrey Vyshinsky\n",
                  "    cloze: '{{c1::Zhou Enlai}} and Andrey Vyshinsky signed it'\n")
    result = CliRunner().invoke(cli, deck_dir.args())
    assert result.exit_code == 1
    assert "cards.lock:" in result.output
    assert ("card 'signatories': was a basic card in the last build and is now a cloze card"
            in result.output)


def test_unreadable_ledger_is_an_error_not_a_crash(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    deck_dir.ledger.write_bytes(b"\xff\xfe not text")
    for command in ([], ["check"]):
        result = CliRunner().invoke(cli, [*command, *deck_dir.args()[:4], "--ledger",
                                          str(deck_dir.ledger)])
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)
        assert "cards.lock:1:1: not valid UTF-8; restore it" in result.output
