"""build-deck install on the treaty deck's own history: learners who have the first edition as
built then (studied, edited, tagged, or rewritten by Anki's browser), a mid-way main build, or
2.0.0 install today's package, and every change arrives while every edit of theirs stays.

Each past package is built from its commit with that commit's own code, as learners got it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import import_package, load_tool, study

from deckbuilder.cli import cli

ROOT = Path(__file__).resolve().parents[2]
FIRST_EDITION, MIDWAY, RELEASE_2 = "ae3bc8a", "20e0b55", "a394588"
DECK = "Sino-Soviet Treaty of 1950"
# today's version, which install reads from the record the package carries
VERSION = re.search(r"^version: *(\S+)", (ROOT / "cards" / "deck.yaml").read_text("utf-8"),
                    re.M).group(1)  # type: ignore[union-attr]


def _build_commit(commit: str, folder: Path) -> Path:
    """The package as the commit's own code built it from the commit's cards and ledger."""
    tree = folder / commit
    tree.mkdir()
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", commit],
                           capture_output=True, text=True, check=True).stdout.split()
    wanted = [n for n in names if n in ("build_deck.py", "cards.lock", "cards", "deckbuilder",
                                        "media") or n.startswith("cli_")]
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, *wanted],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    package = folder / f"{commit}.apkg"
    subprocess.run([sys.executable, "build_deck.py", "-o", str(package), "--quiet"], cwd=tree,
                   check=True, env={"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": ""})
    return package


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("history")
    packages = {c: _build_commit(c, folder) for c in (FIRST_EDITION, MIDWAY, RELEASE_2)}
    ledger = folder / "cards.lock"
    shutil.copy(ROOT / "cards.lock", ledger)  # the build rewrites its ledger: never ours
    # the record of every build since the first edition (tools/reconstruct_shipped.py), which
    # today's package carries as every build's does
    shutil.copy(ROOT / "cards.shipped", folder / "cards.shipped")
    today = folder / "today.apkg"
    built = CliRunner().invoke(cli, ["build", "--cards", str(ROOT / "cards"), "--media",
                                     str(ROOT / "media"), "--ledger", str(ledger), "-o",
                                     str(today)])
    assert built.exit_code == 0, built.output
    # The import plan against 2.0.0: the same cards built on 2.0.0's own ledger (the one its
    # release build left), beside no record of what we shipped.
    since = folder / "since-2.0.0"
    since.mkdir()
    shutil.copy(folder / RELEASE_2 / "cards.lock", since / "cards.lock")
    planned = CliRunner().invoke(cli, ["build", "--cards", str(ROOT / "cards"), "--media",
                                       str(ROOT / "media"), "--ledger", str(since / "cards.lock"),
                                       "-o", str(since / "deck.apkg")])
    assert planned.exit_code == 0, planned.output
    (folder / "plan.txt").write_text(planned.output)
    return {**packages, "today": today, "plan": folder / "plan.txt"}


def _collection(tmp_path: Path, package: Path):
    from anki.collection import Collection

    path = tmp_path / "Anki2" / "User 1" / "collection.anki2"
    path.parent.mkdir(parents=True)
    col = Collection(str(path))
    import_package(col, package)
    return col, path


def _notes(col) -> dict:
    return {n.guid: n for n in map(col.get_note, col.find_notes(""))}


def _today(history) -> dict:
    from deckbuilder.install import read_package

    return {n.guid: n for n in read_package(history["today"]).notes}


def _read(package: Path, folder: Path) -> dict:
    """A past package's notes, read as install reads a package: built before packages carried
    the record of what we shipped, it is given the reconstructed one (cards.shipped)."""
    from deckbuilder.install import read_package

    copy = folder / f"read-{package.name}"
    shutil.copy(package, copy)
    with zipfile.ZipFile(copy, "a") as zf:
        zf.write(ROOT / "cards.shipped", "build-deck.shipped")
    return {n.guid: n for n in read_package(copy).notes}


def _install(path: Path, package: Path):
    result = CliRunner().invoke(cli, ["install", str(package), "--collection", str(path)])
    assert result.exit_code == 0, result.output
    return result


def _reopen(path: Path):
    from anki.collection import Collection

    return Collection(str(path))


def _browser_rewrite(col) -> int:
    """What Anki's editor does to every note a learner views: `&quot;` becomes `"`, and the
    note is stamped now."""
    rewritten = 0
    for note in _notes(col).values():
        fields = [f.replace("&quot;", '"') for f in note.fields]
        if fields != list(note.fields):
            note.fields = fields
            col.update_note(note)
            rewritten += 1
    col.db.execute("update notes set mod = ?", int(time.time()))
    return rewritten


@pytest.mark.parametrize("commit", [FIRST_EDITION, MIDWAY, RELEASE_2])
def test_an_untouched_learner_of_any_past_build_gets_todays_text(history, tmp_path, commit):
    col, path = _collection(tmp_path, history[commit])
    col.close(downgrade=False)
    _install(path, history["today"])
    today = _today(history)
    col = _reopen(path)
    try:
        notes = _notes(col)
        assert {g: list(n.fields) for g, n in notes.items()} == {
            g: list(n.fields) for g, n in today.items()}
        past = _read(history[commit], tmp_path)
        updated = [g for g, n in today.items() if g in past and past[g].fields != n.fields]
        assert updated and {g: notes[g].mod for g in updated} == {
            g: today[g].mod for g in updated}  # the package's time, not now
        # A note retired since that build (or born and retired after it) arrives suspended.
        newly_retired = [g for g, n in today.items() if "build-deck::retired" in n.tags
                         and not (g in past and "build-deck::retired" in past[g].tags)]
        assert len(newly_retired) == 28 + (5 if commit == FIRST_EDITION else 0)  # 3.0.0, 2.0.0
        assert {c.queue for g in newly_retired for c in notes[g].cards()} <= {-1}
    finally:
        col.close(downgrade=False)
    again = _install(path, history["today"])
    assert "Nothing to change" in again.output


def test_a_browser_rewritten_first_edition_gets_every_change_a_plain_import_misses(
        history, tmp_path):
    col, path = _collection(tmp_path, history[FIRST_EDITION])
    try:
        assert _browser_rewrite(col) > 0
    finally:
        col.close(downgrade=False)
    plain = tmp_path / "plain.anki2"
    shutil.copy(path, plain)
    col = _reopen(plain)
    try:
        import_package(col, history["today"])
        today = _today(history)
        missed = [g for g, n in _notes(col).items() if list(n.fields) != list(today[g].fields)]
        assert missed, "a plain import of today's package no longer misses changes"
    finally:
        col.close(downgrade=False)
    _install(path, history["today"])
    col = _reopen(path)
    try:
        assert {g: list(n.fields) for g, n in _notes(col).items()} == {
            g: list(n.fields) for g, n in today.items()}
    finally:
        col.close(downgrade=False)


def test_a_studied_and_edited_first_edition_keeps_the_learners_work(history, tmp_path):
    from deckbuilder.install import read_package
    from deckbuilder.notes import field_hash

    first = _read(history[FIRST_EDITION], tmp_path)
    today = _today(history)
    names = read_package(history["today"]).note_types
    # a note whose Back today corrects, and whose Front today keeps
    changed = next(g for g, n in first.items() if g in today and n.note_type == today[g].note_type
                   and field_hash(n.fields[1]) != field_hash(today[g].fields[1])
                   and n.fields[0] == today[g].fields[0]
                   and "build-deck::retired" not in today[g].tags)
    assert names[first[changed].note_type].fields[:2] == ("Front", "Back")
    col, path = _collection(tmp_path, history[FIRST_EDITION])
    try:
        reviewed = study(col, 10, DECK)
        note = _notes(col)[changed]
        note["Back"] = "My own answer"
        note["Front"] = "My own question"
        note.tags += ["leech", "marked", "my::tag"]
        col.update_note(note)
        reviews = col.db.scalar("select count() from revlog")
    finally:
        col.close(downgrade=False)
    result = _install(path, history["today"])
    assert "changed by you and by the release" in result.output, result.output
    assert "your edits kept" in result.output
    col = _reopen(path)
    try:
        note = _notes(col)[changed]
        assert note["Front"] == "My own question"  # today's Front is the first edition's
        assert note["Back"] == today[changed].fields[1]  # today's Back replaces theirs...
        assert {"leech", "marked", "my::tag", f"build-deck::conflict::v{VERSION}"} <= set(note.tags)
        assert col.db.scalar("select count() from revlog") == reviews
        assert {cid: col.get_card(cid).ivl for cid in reviewed} == {
            cid: ivl for cid, (ivl, _) in reviewed.items()}
    finally:
        col.close(downgrade=False)
    report = path.parent / "build-deck" / f"conflicts-v{VERSION}.md"
    assert "My own answer" in report.read_text("utf-8")  # ...and theirs is kept here


def test_todays_package_installs_over_2_0_0_as_its_import_plan_says(history, tmp_path):
    """The package the build just wrote, carrying the reconstructed record, into a collection
    holding release 2.0.0 as its own code built it: the summary is the import plan of a build
    on 2.0.0's ledger."""
    from deckbuilder.install import read_package

    plan = re.search(r"Re-import plan: (\d+) new, (\d+) updated, (\d+) unchanged, (\d+) "
                     r"retired", history["plan"].read_text())
    assert plan, history["plan"].read_text()
    record = read_package(history["today"]).shipped
    release = [s for s in record.shipments if s.release and s.version == "2.0.0"]
    assert {s.commit[:7] for s in release} == {RELEASE_2}
    col, path = _collection(tmp_path, history[RELEASE_2])
    try:  # the collection holds exactly what the record says 2.0.0 shipped
        from deckbuilder.notes import field_hash

        held = {n.guid: [field_hash(f) for f in n.fields] for n in _notes(col).values()}
        assert held == {s.note: [h for _, h in s.fields] for s in release}
    finally:
        col.close(downgrade=False)
    result = _install(path, history["today"])
    counts = "{} new, {} updated, {} unchanged, {} retired".format(*plan.groups())
    assert f"Installed version {VERSION} into " in result.output, result.output
    assert f": {counts}." in result.output, result.output


def test_the_committed_record_holds_each_past_build_as_its_own_code_built_it(history):
    """cards.shipped was reconstructed from git (tools/reconstruct_shipped.py): the first
    edition, the mid-way build and 2.0.0, built here again by their own code, are in it."""
    from deckbuilder.ledger import read_shipped

    reconstruct = load_tool("reconstruct_shipped", ROOT / "tools" / "reconstruct_shipped.py")
    record = read_shipped((ROOT / "cards.shipped").read_text("utf-8"), "cards.shipped")
    ever = {(s.note, s.fields, s.tags, s.stamp) for s in record.shipments}
    for commit, release in ((FIRST_EDITION, "1.0.0"), (MIDWAY, None), (RELEASE_2, "2.0.0")):
        ledger = history[commit].with_suffix("") / "cards.lock"  # as that build left it
        built = {(s.note, s.fields, s.tags, s.stamp)
                 for s in reconstruct.read_package(history[commit], ledger, None, None, False)}
        assert built and built <= ever, commit
        if release:  # a release's lines are exactly what it shipped
            assert {(s.note, s.fields, s.tags, s.stamp) for s in record.shipments
                    if s.release and s.version == release} == built, release
