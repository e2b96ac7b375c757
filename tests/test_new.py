"""`build-deck new` (issue 18): a deck of your own that builds at once, imports into a real
Anki, and never collides with another deck in a learner's collection."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import import_package, study, write_deck

from deckbuilder.cli import cli
from deckbuilder.ledger import read_ledger, read_shipped
from deckbuilder.notes import CSS, guid_for

VERSAILLES, TRIANON = "Treaty of Versailles", "Treaty of Trianon"


def _run(args: list[str], cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)  # new and build write relative to the folder they are run in, as typed
    try:
        return CliRunner().invoke(cli, args)
    finally:
        os.chdir(old)


def _new(parent: Path, folder: str, name: str) -> Path:
    result = _run(["new", folder, "--name", name], parent)
    assert result.exit_code == 0, result.output
    return parent / folder


def _ids(deck: Path) -> set[int]:
    data = yaml.safe_load((deck / "cards" / "deck.yaml").read_text("utf-8"))
    return {data["id"], data["note_types"]["fact"]["id"], data["note_types"]["cloze"]["id"]}


def _build(deck: Path) -> Path:
    result = _run([], deck)
    assert result.exit_code == 0, result.output
    return next((deck / "dist").glob("*.apkg"))


def test_two_new_decks_get_disjoint_fresh_ids_in_genankis_range(tmp_path):
    first, second = _ids(_new(tmp_path, "a", "Deck A")), _ids(_new(tmp_path, "b", "Deck B"))
    assert len(first) == len(second) == 3 and not first & second
    assert all((1 << 30) <= i < (1 << 31) for i in first | second)


def test_a_new_deck_builds_at_once_and_imports_into_anki(tmp_path, collection):
    result = _run(["new", "versailles", "--name", VERSAILLES], tmp_path)
    assert result.exit_code == 0, result.output
    deck = tmp_path / "versailles"
    assert "Anki merges decks of the same name" in result.output
    steps = result.output.split("Next:\n", 1)[1].splitlines()
    assert steps[:2] == ["  cd versailles", "  build-deck  # builds dist/treaty-of-versailles.apkg"]
    assert steps[2] == ("Then in Anki: File > Import > dist/treaty-of-versailles.apkg (or, with "
                        "Anki closed: build-deck install).")
    assert (deck / "style.css").read_text("utf-8") == CSS
    assert (deck / ".gitignore").read_text("utf-8") == "dist/\n"
    for card_file in (deck / "cards").glob("*.yaml"):  # each points at the schema beside it
        schema = re.match(r"# yaml-language-server: \$schema=(\S+)\n", card_file.read_text())
        assert schema and (deck / "cards" / schema.group(1)).is_file(), card_file

    built = _run([], deck)
    assert built.exit_code == 0, built.output
    assert built.output.startswith("Built dist/treaty-of-versailles.apkg: 3 notes, 5 cards, "
                                   "1 media file.\n")
    assert _run(["check"], deck).output.endswith("update 0 and retire 0.\n")  # no note: own types
    import_package(collection, deck / "dist" / "treaty-of-versailles.apkg")
    notes = [collection.get_note(n) for n in collection.find_notes("")]
    assert len(notes) == 3 and collection.card_count() == 5
    assert {n.note_type()["name"] for n in notes} == {f"Fact ({VERSAILLES})",
                                                      f"Cloze ({VERSAILLES})"}
    cloze = next(n for n in notes if n.note_type()["type"] == 1)
    assert r"\(e^{i\pi} + 1 = 0\)" in cloze["Extra"]  # MathJax reaches Anki as typed
    image = next(n for n in notes if "<img" in n["Image"])
    name = re.search(r'src="([^"]+)"', image["Image"]).group(1)
    assert Path(collection.media.dir(), name).is_file()
    assert study(collection, 5, VERSAILLES)  # the scheduler serves every card


def test_new_refuses_a_folder_that_is_not_empty_and_writes_nothing(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = _run(["new", "taken", "--name", VERSAILLES], tmp_path)
    assert result.exit_code == 1 and "taken: is not empty" in result.output
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("args,message", [
    (["new", "--name", "X"], "name a FOLDER for the new deck, or give --here"),
    (["new", "d", "--here", "--name", "X"], "not both"),
    (["new", "d"], "Missing option '--name'"),
    (["new", "d", "--name", "  "], "give the deck a name of one line"),
    (["new", "d", "--name", "Sino-Soviet Treaty of 1950"], "Anki would merge the two decks"),
])
def test_bad_command_lines_exit_2(tmp_path, args, message):
    result = _run(args, tmp_path)
    assert result.exit_code == 2 and message in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_here_starts_a_deck_beside_what_the_folder_holds(tmp_path):
    (tmp_path / "README.md").write_text("my notes")
    (tmp_path / ".gitignore").write_text(".venv/\n")
    result = _run(["new", "--here", "--name", VERSAILLES], tmp_path)
    assert result.exit_code == 0, result.output
    assert "  cd " not in result.output
    assert (tmp_path / "README.md").read_text() == "my notes"
    assert (tmp_path / ".gitignore").read_text() == ".venv/\ndist/\n"
    _build(tmp_path)


def test_a_fork_gets_one_problem_and_a_way_out(tmp_path):
    """A fork of the repository holds another deck's cards and ledger: the build names one
    problem (not one per card) and `new --here` its fix, which asks to set them aside first."""
    cards, _ = write_deck(tmp_path)
    assert _run([], tmp_path).exit_code == 0  # the other deck's ledger, cards.lock
    (cards / "treaty.yaml").unlink()
    (cards / "20-mine.yaml").write_text("cards:\n  - id: mine\n    front: q\n    back: a\n")
    (cards / "deck.yaml").write_text(f"name: {VERSAILLES}\nid: 1234567001\n")
    result = _run([], tmp_path)
    assert result.exit_code == 1
    assert result.output.count("\n") == 2 and "1 problem found" in result.output
    assert "ledger of another deck: 'Test Treaty Deck'" in result.output
    assert result.output.rstrip().splitlines()[0].endswith("build-deck new --here")

    refused = _run(["new", "--here", "--name", VERSAILLES], tmp_path)
    assert refused.exit_code == 1, refused.output
    # the other deck's record of what it shipped too: kept, the new deck's builds would add
    # to it and every package of the new deck would carry the other deck's notes
    assert "git rm -r -q cards media cards.lock cards.shipped" in refused.output
    for name in ("cards", "media"):  # as git rm would
        for path in sorted((tmp_path / name).rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        (tmp_path / name).rmdir()
    (tmp_path / "cards.lock").unlink()
    assert "git rm -r -q cards.shipped" in _run(["new", "--here", "--name", VERSAILLES],
                                                 tmp_path).output
    (tmp_path / "cards.shipped").unlink()
    started = _run(["new", "--here", "--name", VERSAILLES], tmp_path)
    assert started.exit_code == 0, started.output
    assert "commit cards.lock and cards.shipped with the cards" in started.output
    assert _run([], tmp_path).exit_code == 0
    record = read_shipped((tmp_path / "cards.shipped").read_text("utf-8"), "cards.shipped")
    assert {s.card for s in record.shipments} == set(read_ledger(tmp_path / "cards.lock").cards)


@pytest.mark.parametrize("deck_yaml,message", [
    ("name: Mine\nid: 2059400110\n", "'id': 2059400110 is genanki's example deck id"),
    ("name: Mine\nid: 1111111111\n", "'id': 1111111111 is the README's placeholder id"),
    ("name: Mine\nid: 1950021400\n", "is the deck id of the deck 'Sino-Soviet Treaty of 1950'"),
    ("name: Mine\nid: 1234567001\nnote_types:\n  fact: {id: 1950021401, name: F}\n"
     "  cloze: {id: 1607392319, name: C}\n",
     "note type 'fact': 1950021401 is the Fact note type's id of the deck"),
    ("name: Mine\nid: 1234567001\nnote_types:\n  fact: {id: 1234567002, name: F}\n"
     "  cloze: {id: 1607392319, name: C}\n", "genanki's example note type id"),
    ("name: Mine\nid: 1234567001\nnote_types:\n  fact: {id: 1234567002, name: F}\n",
     "'note_types' has no 'cloze'"),
    ("name: Mine\nid: 1234567001\nnote_types:\n  fact: {id: 1234567002, name: F}\n"
     "  cloze: {id: 1234567002, name: F}\n", "need different ids and different names"),
    ("name: Mine\nid: 1234567001\nnote_types:\n  fact: {id: 1234567002, name: F}\n"
     "  clozee: {id: 1234567003, name: C}\n", "unknown note type 'clozee'"),
])
def test_check_refuses_ids_that_collide_by_accident(tmp_path, deck_yaml, message):
    write_deck(tmp_path, deck_yaml=deck_yaml)
    result = _run(["check"], tmp_path)
    assert result.exit_code == 1 and message in result.output, result.output


def test_check_says_what_a_deck_on_the_shared_note_types_can_do(tmp_path):
    write_deck(tmp_path)
    result = _run(["check"], tmp_path)
    assert result.exit_code == 0
    assert "it shares build-deck's, 'Fact (build-deck)' 1950021401" in result.output
    assert "Either keep them" in result.output and "'Merge note types'" in result.output
    (tmp_path / "style.css").write_text(".card { color: red }")
    refused = _run(["check"], tmp_path)
    assert refused.exit_code == 1 and "style.css: a deck's own style needs its own note types" \
        in refused.output


def _rendered(col) -> dict[tuple[str, int], tuple[str, str, str]]:
    """Every card as Anki renders it, by note guid and card number: question, answer, CSS."""
    found = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        found[card.note().guid, card.ord] = (card.question(), card.answer(), card.css())
    return found


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_two_decks_in_one_collection_never_touch_each_others_cards(tmp_path, collection, order):
    """Made the same way, with the same card ids, one restyled: whichever comes first, and after
    re-importing each, every card renders as its own deck built it and no note is lost."""
    decks = [_new(tmp_path, "versailles", VERSAILLES), _new(tmp_path, "trianon", TRIANON)]
    style = decks[1] / "style.css"
    style.write_text(style.read_text() + "\n.card { color: teal; }\n")
    packages = [_build(deck) for deck in decks]
    first, second = (packages[i] for i in order)

    import_package(collection, first)
    alone = _rendered(collection)
    import_package(collection, second)
    both = _rendered(collection)
    assert len(both) == 10 and collection.note_count() == 6
    assert {k: v for k, v in both.items() if k in alone} == alone
    teal = {guid for (guid, _), (_, _, css) in both.items() if "teal" in css}
    trianon = {guid_for(_ids_of(decks[1]), c) for c in ("example-basic", "example-reverse",
                                                        "example-cloze")}
    assert teal == trianon
    for package in (first, second, first):
        import_package(collection, package)
        assert _rendered(collection) == both and collection.note_count() == 6


def _ids_of(deck: Path) -> int:
    return yaml.safe_load((deck / "cards" / "deck.yaml").read_text("utf-8"))["id"]


def test_the_schemas_beside_a_new_decks_cards_accept_its_files(tmp_path):
    """What editors check as you type: the copies `new` writes, as the build's own."""
    import json

    from jsonschema import Draft202012Validator

    deck = _new(tmp_path, "d", VERSAILLES)
    for path in (deck / "cards").glob("*.yaml"):
        schema_name = path.read_text("utf-8").splitlines()[0].rsplit("=", 1)[1]
        schema = json.loads((deck / "cards" / schema_name).read_text("utf-8"))
        data = yaml.safe_load(path.read_text("utf-8"))
        assert not list(Draft202012Validator(schema).iter_errors(data)), path
