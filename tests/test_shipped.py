"""The record of what we shipped (cards.shipped): its model, how every build appends to it and
carries it in the package, what is refused, and the CI check that history never goes back;
and the canonical form it compares fields by."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import DECK_YAML, REPO, DeckDir, import_package, load_tool

from deckbuilder import DeckError
from deckbuilder.cli import cli
from deckbuilder.ledger import EARLIEST, Shipped, ShippedNote, merged, read_shipped
from deckbuilder.notes import canonical, field_hash


@pytest.mark.parametrize("ours,as_anki_saves_it", [
    ('He said &quot;no&quot;', 'He said "no"'),
    ("one<br />two", "one<br>two"),
    ("a\xa0b", "a&nbsp;b"),
    ('<img src="m.svg" alt="&quot;x&quot;" />', '<img src="m.svg" alt="&quot;x&quot;">'),
    ("Cafe\u0301", "Café"),
    ("&#8212; &mdash;", "— —"),
])
def test_an_editor_rewrite_is_the_same_field(ours, as_anki_saves_it):
    assert canonical(ours) == canonical(as_anki_saves_it)
    assert field_hash(ours) == field_hash(as_anki_saves_it)


@pytest.mark.parametrize("ours,edited", [
    ("1950", "1951"),
    ("<b>Moscow</b>", "Moscow"),
    ("a &lt;b&gt; c", "a <b> c"),
    ("x&nbsp;y", "x y"),
])
def test_an_edit_is_a_different_field(ours, edited):
    assert field_hash(ours) != field_hash(edited)


def _shipped_note(stamp: int, front: str = "h1", release: bool = False) -> ShippedNote:
    return ShippedNote(note="g1", card="c1", fields=(("Front", front), ("Back", "h2")),
                    tags=("t",), stamp=stamp, version="1.0.0", commit="abc", release=release)


def test_the_record_reads_back_what_it_wrote_and_never_holds_a_line_twice():
    shipped = Shipped()
    assert shipped.add(_shipped_note(10)) and not shipped.add(_shipped_note(10))
    shipped.add(_shipped_note(20, front="h3", release=True))
    again = read_shipped(shipped.text(), "cards.shipped")
    assert again.shipments == shipped.shipments
    assert again.values("g1", "Front") == {"h1", "h3"}
    assert again.highest_stamp("g1") == 20 and again.tags_ever("g1") == {"t"}
    assert [s.stamp for s in again.releases("g1")] == [20]


def test_a_union_is_a_superset_of_both_sides():
    left, right = Shipped(), Shipped()
    left.add(_shipped_note(10))
    right.add(_shipped_note(20))
    both = merged([left, right])
    assert not left.missing_from(both) and not right.missing_from(both)
    assert left.missing_from(right) == [_shipped_note(10)]


def test_a_bad_line_or_a_conflict_marker_names_its_line():
    text = _shipped_note(1).line() + "\n<<<<<<< ours\n{not json\n"
    with pytest.raises(DeckError) as error:
        read_shipped(text, "cards.shipped")
    assert [(p.line, "merge" in p.message) for p in error.value.problems] == [(2, True), (3, False)]


# --- the record as builds write it, through the CLI ----------------------------------------------

NOW = int(time.time())


def _build(deck_dir: DeckDir, epoch: int, *args: str):
    return CliRunner().invoke(cli, deck_dir.args(*args), env={"SOURCE_DATE_EPOCH": str(epoch)})


def _member(package: Path) -> bytes:
    with zipfile.ZipFile(package) as zf:
        return zf.read("build-deck.shipped")


def test_every_build_appends_only_what_was_never_shipped(deck_dir):
    assert _build(deck_dir, NOW - 1000).exit_code == 0
    first = deck_dir.record.read_bytes()
    record = read_shipped(first.decode(), "cards.shipped")
    with zipfile.ZipFile(deck_dir.output) as zf, tempfile.TemporaryDirectory() as tmp:
        zf.extract("collection.anki2", tmp)
        guids = {g for (g,) in sqlite3.connect(Path(tmp) / "collection.anki2").execute(
            "select guid from notes")}
    assert record.notes() == guids and len(record.shipments) == len(guids)
    assert _member(deck_dir.output) == first  # the package carries the whole record
    # the same deck again: nothing new was shipped, nothing is added
    assert _build(deck_dir, NOW - 500).exit_code == 0
    assert deck_dir.record.read_bytes() == first
    # one card changed: one line, added at the end; nothing before it changes
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    assert _build(deck_dir, NOW - 100).exit_code == 0
    second = deck_dir.record.read_bytes()
    assert second.startswith(first) and second[len(first):].count(b"\n") == 1
    (added,) = read_shipped(second[len(first):].decode(), "cards.shipped").shipments
    assert added.stamp == NOW - 100 and added.commit is None  # not in git
    assert _member(deck_dir.output) == second


def test_a_build_after_a_release_build_changes_nothing(release_dir):
    """A release build marks what it shipped as the release's; building again (CI does, to see
    the committed files are current) must find the same package, ledger and record."""
    assert _build(release_dir, NOW - 2000, "--release").exit_code == 0
    (release_dir.cards / "deck.yaml").write_text(DECK_YAML + "version: 1.1.0\n", "utf-8")
    release_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    assert _build(release_dir, NOW - 1000).exit_code == 0
    result = _build(release_dir, NOW - 500, "--release")  # stamps the changed note anew
    assert "Released version 1.1.0: 1 changed note stamped" in result.output, result.output
    files = (release_dir.output, release_dir.ledger, release_dir.record)
    released = [f.read_bytes() for f in files]
    result = _build(release_dir, NOW - 100)
    assert result.exit_code == 0, result.output
    assert [f.read_bytes() for f in files] == released


def test_anki_imports_the_package_as_before_and_ignores_the_record(deck_dir, collection):
    assert _build(deck_dir, NOW - 1000).exit_code == 0
    with zipfile.ZipFile(deck_dir.output) as zf:
        media = json.loads(zf.read("media"))
        assert "build-deck.shipped" in zf.namelist()
    log = import_package(collection, deck_dir.output)
    notes = read_shipped(deck_dir.record.read_text("utf-8"), "cards.shipped").notes()
    assert len(log.new) == len(notes) == collection.note_count()
    assert {n.guid for n in map(collection.get_note, collection.find_notes(""))} == notes
    arrived = sorted(p.name for p in Path(collection.media.dir()).iterdir())
    assert arrived == sorted(media.values())  # every media file, and no stray one
    check = collection.media.check()
    assert not check.missing and not check.unused


def test_a_lost_record_is_refused_with_how_to_get_it_back(deck_dir):
    assert _build(deck_dir, NOW - 1000).exit_code == 0
    record = deck_dir.record.read_bytes()
    deck_dir.record.unlink()
    before = deck_dir.output.read_bytes(), deck_dir.ledger.read_bytes()
    result = _build(deck_dir, NOW - 500)
    assert result.exit_code == 1, result.output
    assert "the record of what we shipped is missing" in result.output
    assert "unzip -p" in result.output and "build-deck.shipped > cards.shipped" in result.output
    assert (deck_dir.output.read_bytes(), deck_dir.ledger.read_bytes()) == before
    assert not deck_dir.record.exists()
    # once git has it, git is where it comes back from
    deck_dir.record.write_bytes(record)
    _git(deck_dir.root, "init", "-q")
    _git(deck_dir.root, "add", "-A")
    _git(deck_dir.root, "commit", "-q", "-m", "deck")
    deck_dir.record.unlink()
    deck_dir.output.unlink()
    result = _build(deck_dir, NOW - 500)
    assert result.exit_code == 1 and "git checkout" in result.output, result.output


@pytest.mark.parametrize("damage", [
    "<<<<<<< ours\n{}\n=======\n{}\n>>>>>>> theirs\n", "{not a record\n",
    # a release's version that is no release number: it was a traceback comparing releases
    '{"note":"g","card":"c","fields":{},"tags":[],"stamp":1,"version":2,"commit":null,'
    '"release":true}\n',
    '{"note":"g","card":"c","fields":{},"tags":[],"stamp":1,"version":"v2","commit":null,'
    '"release":true}\n'])
def test_a_damaged_record_is_refused_and_nothing_changes(deck_dir, damage):
    assert _build(deck_dir, NOW - 1000).exit_code == 0
    with deck_dir.record.open("a") as f:
        f.write(damage)
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    before = [p.read_bytes() for p in (deck_dir.output, deck_dir.ledger, deck_dir.record)]
    result = _build(deck_dir, NOW - 500)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "cards.shipped:" in result.output
    assert ("merge-conflict line" in result.output) == damage.startswith("<")
    assert [p.read_bytes() for p in (deck_dir.output, deck_dir.ledger, deck_dir.record)] == before


def test_the_record_sits_beside_the_ledger_it_goes_with(deck_dir):
    ledger = deck_dir.root / "other.lock"
    assert _build(deck_dir, NOW - 1000, "--ledger", str(ledger)).exit_code == 0
    assert (deck_dir.root / "other.shipped").is_file() and not deck_dir.record.exists()
    assert _member(deck_dir.output) == (deck_dir.root / "other.shipped").read_bytes()
    result = _build(deck_dir, NOW - 1000, "--ledger", str(deck_dir.root / "x.shipped"))
    assert result.exit_code == 1 and "a ledger cannot be named *.shipped" in result.output


def test_a_ledger_older_than_the_record_is_refused(deck_dir):
    """`git checkout <older commit> -- cards.lock` beside a newer record (issue 19 item 2)."""
    assert _build(deck_dir, NOW - 1000).exit_code == 0
    old_ledger = deck_dir.ledger.read_bytes()
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    assert _build(deck_dir, NOW - 500).exit_code == 0
    deck_dir.ledger.write_bytes(old_ledger)
    before = [p.read_bytes() for p in (deck_dir.output, deck_dir.ledger, deck_dir.record)]
    result = _build(deck_dir, NOW - 100)
    assert result.exit_code == 1, result.output
    assert "this ledger is older than what builds of ours already shipped" in result.output
    assert "git checkout HEAD -- cards.lock" in result.output
    assert [p.read_bytes() for p in (deck_dir.output, deck_dir.ledger, deck_dir.record)] == before


def test_the_reconstruct_tool_reads_a_package_as_the_build_recorded_it(deck_dir):
    """tools/reconstruct_shipped.py reads past packages; on today's it must find exactly what
    today's build recorded (card ids from the ledger, field hashes, tags, stamps)."""
    reconstruct = load_tool("reconstruct_shipped", REPO / "tools" / "reconstruct_shipped.py")
    assert _build(deck_dir, NOW - 1000).exit_code == 0
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    assert _build(deck_dir, NOW - 500).exit_code == 0
    read = reconstruct.read_package(deck_dir.output, deck_dir.ledger, None, None, False)
    record = read_shipped(deck_dir.record.read_text("utf-8"), "cards.shipped")
    latest = {s.note: s for s in record.shipments}  # the last line of each note
    assert {s.note: s for s in read} == latest


def test_a_release_supersedes_the_builds_of_main_before_it():
    """Main was never a release channel: a mid-way build's higher stamp binds no ledger once a
    release has shipped the note (2.0.0 stamped 59 notes lower than 20e0b55 had)."""
    record = Shipped()
    record.add(_shipped_note(30))  # a build of main at 1.0.0, before the release
    record.add(_shipped_note(20, release=True))  # the release, stamped lower
    assert record.highest_stamp("g1") == 30 and record.stamp_floor("g1") == 20
    record.add(ShippedNote("g1", "c1", (("Front", "h9"),), (), 40, "2.0.0", "def"))
    assert record.stamp_floor("g1") == 40  # a build since the newest release binds


# --- tools/check_history.py: the ledger never goes back ----------------------------------------

def _git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _check_history(folder: Path, baseline: str):
    return subprocess.run([sys.executable, str(REPO / "tools" / "check_history.py"), baseline,
                           "--repo", str(folder)], capture_output=True, text=True)


@pytest.fixture
def history_repo(deck_dir) -> DeckDir:
    """The test deck in git: built and committed (the baseline), then a card edited, built and
    committed, so the second commit's ledger stamps that note higher."""
    _git(deck_dir.root, "init", "-q", "-b", "main")
    (deck_dir.root / ".gitignore").write_text("dist/\n")
    assert _build(deck_dir, NOW - 1000).exit_code == 0
    _git(deck_dir.root, "add", "-A")
    _git(deck_dir.root, "commit", "-q", "-m", "baseline")
    _git(deck_dir.root, "tag", "baseline")
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    assert _build(deck_dir, NOW - 500).exit_code == 0
    _git(deck_dir.root, "commit", "-q", "-am", "edited")
    return deck_dir


def test_the_history_check_passes_a_history_that_only_grows(history_repo):
    done = _check_history(history_repo.root, "baseline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 commits since baseline checked" in done.stdout
    shipped = read_shipped(history_repo.record.read_text("utf-8"), "cards.shipped")
    assert {s.commit for s in shipped.shipments} == {None, _git(history_repo.root, "rev-parse",
                                                                 "baseline")}


def test_the_history_check_refuses_a_ledger_that_goes_back(history_repo):
    root = history_repo.root
    _git(root, "checkout", "-q", "baseline", "--", "cards.lock")  # a stale ledger committed
    _git(root, "commit", "-q", "-m", "old ledger back")
    done = _check_history(root, "baseline")
    assert done.returncode == 1, done.stdout
    bad = _git(root, "rev-parse", "--short=10", "HEAD")
    # the edited note, and only it, went down
    (line,) = done.stdout.splitlines()[:-1]
    assert line.startswith(f"commit {bad} (parent ")
    assert re.search(rf"note 'signatories': its stamp went down from {NOW - 500} \(.*\) to "
                     rf"{EARLIEST} ", line), line  # a new note's first stamp


def test_the_history_check_refuses_a_merge_that_drops_a_parents_lines(history_repo):
    root = history_repo.root
    _git(root, "checkout", "-q", "-b", "side", "baseline")
    (root / "notes.txt").write_text("a side branch\n")
    _git(root, "add", "notes.txt")
    _git(root, "commit", "-q", "-m", "side")
    # merging main into the side branch, keeping the side's own (older) ledger and record
    _git(root, "merge", "-q", "-s", "ours", "-m", "merge main, ours", "main")
    done = _check_history(root, "baseline")
    assert done.returncode == 1, done.stdout
    merge, main = _git(root, "rev-parse", "--short=10", "HEAD"), _git(root, "rev-parse",
                                                                      "--short=10", "main")
    assert f"commit {merge} (parent {main}): cards.shipped lost 1 lines" in done.stdout
    assert f"commit {merge} (parent {main}): cards.lock: note" in done.stdout
    assert "parent " + _git(root, "rev-parse", "--short=10", "HEAD^1") not in done.stdout


def test_the_history_check_asks_for_the_full_history_when_the_baseline_is_missing(
        history_repo):
    done = _check_history(history_repo.root, "0" * 40)
    assert done.returncode == 1 and "fetch the full history" in done.stderr
