"""build-deck install, end to end through the CLI, on real Anki collections: a learner who has
release 1.0.0 of the test deck (untouched, or studied and edited) installs 2.0.0."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    CARDS_YAML,
    DECK_YAML,
    import_package,
    note_for,
    run_build,
    study,
    write_deck,
)

from deckbuilder.cli import cli

V2_EDITS = [
    # a correction of the field the learner also edits
    ("back: 14 February 1950, in **Moscow**",
     "back: 14 February 1950, in the **Kremlin**\n"
     "    correction: the signing took place in the Kremlin"),
    ("notes: Stalin and Mao attended.", "notes: Stalin and Mao looked on.\n    reverse: true"),
    ("{{c2::other::a party}}", "other"),  # its second card is left empty
    ("    audio: name.wav\n", "    audio: name.wav\n    retired: true\n"),
]
NEW_CARD = "  - id: term-years\n    front: For how many years?\n    back: Thirty\n"


class Learner:
    """The test deck released as 1.0.0 and 2.0.0 (2.0.0 carries the record of both builds, as
    every build's package does), and a learner's profile holding 1.0.0 imported as Anki
    imports it."""

    def __init__(self, root: Path):
        self.root = root
        deck = root / "deck"
        write_deck(deck, deck_yaml=DECK_YAML + "version: 1.0.0\n")
        self.v1 = root / "v1.apkg"
        assert run_build(deck, self.v1).exit_code == 0
        cards = CARDS_YAML
        for old, new in V2_EDITS:
            assert old in cards
            cards = cards.replace(old, new)
        write_deck(deck, {"treaty.yaml": cards + NEW_CARD},
                   deck_yaml=DECK_YAML + "version: 2.0.0\n")
        self.v2 = root / "v2.apkg"
        built = CliRunner().invoke(cli, ["build", "--cards", str(deck / "cards"), "--media",
                                         str(deck / "media"), "-o", str(self.v2)])
        assert built.exit_code == 0, built.output
        self.plan = _match(r"Re-import plan: (.*)\.", built.output)
        self.base = root / "Anki2"
        self.path = self.base / "User 1" / "collection.anki2"
        self.path.parent.mkdir(parents=True)
        with self.open() as col:
            import_package(col, self.v1)

    def open(self):
        from anki.collection import Collection

        return _Closing(Collection(str(self.path)))

    def install(self, *args: str):
        return CliRunner().invoke(cli, ["install", str(self.v2), "--base", str(self.base),
                                        *args])


class _Closing:
    def __init__(self, col):
        self.col = col

    def __enter__(self):
        return self.col

    def __exit__(self, *exc):
        self.col.close(downgrade=False)


@pytest.fixture
def learner(tmp_path: Path) -> Learner:
    return Learner(tmp_path)


def _counts(text: str) -> str:
    return _match(r"(\d+ new, \d+ updated, \d+ unchanged, \d+ retired)", text)


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return found.group(1)


def _package_fields(package: Path) -> dict[str, list[str]]:
    from deckbuilder.install import read_package

    return {n.guid: list(n.fields) for n in read_package(package).notes}


def test_untouched_previous_release_gets_exactly_the_build_plan(learner):
    result = learner.install()
    assert result.exit_code == 0, result.output
    assert _counts(result.output) == learner.plan  # 1 new, 2 updated, 1 unchanged, 1 retired
    assert "Backup first:" in result.output
    backup = Path(_match(r"Backup first: (.+\.colpkg)", result.output))
    assert backup.is_file() and backup.parent == learner.path.parent / "backups"
    ours = _package_fields(learner.v2)
    with learner.open() as col:
        notes = {n.guid: n for n in map(col.get_note, col.find_notes(""))}
        assert {g: list(n.fields) for g, n in notes.items()} == ours
        retired = note_for(col, "chinese-name")
        assert {c.queue for c in retired.cards()} == {-1}
        # the cloze's second card, left empty and never reviewed, is gone
        assert [c.ord for c in note_for(col, "article-three").cards()] == [0]
        assert col.get_config("build-deck")["version"] == "2.0.0"
    again = learner.install()
    assert again.exit_code == 0 and "Nothing to change" in again.output, again.output
    assert "Backup first" not in again.output


def test_install_without_the_anki_package_says_how_to_get_it(learner, monkeypatch):
    """`pip install .` alone does not bring Anki's engine: a message, not a traceback."""
    before = learner.path.read_bytes()
    for module in ("anki", "anki.collection", "anki.errors"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    result = learner.install()
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert ("install needs Anki's Python package; install it with: pip install anki (from a "
            "checkout of build-deck: pip install '.[anki]')") in result.output
    assert learner.path.read_bytes() == before


def test_install_without_a_package_builds_first_then_installs(learner, monkeypatch):
    """`build-deck install` alone builds the deck as `build-deck` does (its package carries the
    record of both builds), then installs it: the learner holding 1.0.0 gets 2.0.0's plan."""
    monkeypatch.chdir(learner.root)  # the build's default dist/ lands here
    deck = learner.root / "deck"
    result = CliRunner().invoke(cli, ["install", "--cards", str(deck / "cards"), "--media",
                                      str(deck / "media"), "--base", str(learner.base)])
    assert result.exit_code == 0, result.output
    built = Path(_match(r"Built (.+\.apkg)\.", result.output))
    assert (learner.root / built).is_file() and built.parent.name == "dist"
    assert (learner.root / built).read_bytes() == learner.v2.read_bytes()  # as `build-deck`
    assert f"Installed version 2.0.0 into {learner.path}: {learner.plan}." in result.output
    with learner.open() as col:
        assert {n.guid: list(n.fields) for n in map(col.get_note, col.find_notes(""))} == (
            _package_fields(learner.v2))


def test_a_studied_and_edited_collection_keeps_everything_of_the_learner(learner):
    with learner.open() as col:
        before = study(col, 6)
        signing = note_for(col, "signing-date")
        signing["Back"] = "14 February 1950 <i>(my note)</i>"  # the release corrects it too
        signing.tags += ["mine", "leech", "marked"]
        col.update_note(signing)
        people = note_for(col, "signatories")
        people["Front"] = "Who signed it? (my wording)"  # the release leaves it alone
        people.tags += ["build-deck::protect::Notes"]  # and the release changes Notes
        col.update_note(people)
        col.sched.suspend_cards(people.card_ids())  # and gains a reverse card
        mine = col.decks.id("My deck")
        col.set_deck(people.card_ids(), mine)
        reviewed_c2 = [c.id for c in note_for(col, "article-three").cards() if c.ord == 1]
    result = learner.install("--delete-retired")
    assert result.exit_code == 0, result.output
    assert "1 changed by you and by the release" in result.output
    assert "Correction held back" not in result.output
    assert "1 your edits kept" in result.output
    assert "1 protected by your build-deck::protect tag" in result.output
    report = learner.path.parent / "build-deck" / "conflicts-v2.0.0.md"
    text = report.read_text("utf-8")
    assert "14 February 1950 <i>(my note)</i>" in text and "(a correction" in text
    assert "in the <strong>Kremlin</strong>" in text
    ours = _package_fields(learner.v2)
    with learner.open() as col:
        signing = note_for(col, "signing-date")
        assert list(signing.fields) == ours[signing.guid]  # the correction arrived
        assert {"mine", "leech", "marked", "build-deck::conflict::v2.0.0",
                "build-deck::corrected::v2.0.0", "treaty::dates"} <= set(signing.tags)
        assert signing.mod == _package_mod(learner.v2, signing.guid)
        people = note_for(col, "signatories")
        assert people["Front"] == "Who signed it? (my wording)"
        assert people["Notes"] == "Stalin and Mao attended."  # protected
        assert people["Reverse"] == "y"
        cards = people.cards()
        assert len(cards) == 2 and {c.queue for c in cards} == {-1}
        assert {c.did for c in cards} == {col.decks.id_for_name("My deck")}
        # reviews, intervals and history untouched; the reviewed empty card suspended
        kept = {cid: col.get_card(cid).ivl for cid in before if col.find_cards(f"cid:{cid}")}
        assert kept == {cid: ivl for cid, (ivl, _) in before.items()}
        assert col.db.scalar("select count() from revlog") == len(before)
        assert col.get_card(reviewed_c2[0]).queue == -1
        # retired, but reviewed: suspended, not deleted
        retired = note_for(col, "chinese-name")
        assert {c.queue for c in retired.cards()} == {-1}
        col.sched.unsuspend_cards(retired.card_ids())  # the learner wants it back
    again = learner.install()
    assert again.exit_code == 0 and "Nothing to change" in again.output, again.output
    with learner.open() as col:  # unsuspended by the learner, not overruled
        assert -1 not in {c.queue for c in note_for(col, "chinese-name").cards()}
    shown = CliRunner().invoke(cli, ["install", "--conflicts", "--base", str(learner.base)])
    assert shown.exit_code == 0 and shown.output == text


def _package_mod(package: Path, guid: str) -> int:
    from deckbuilder.install import read_package

    return next(n.mod for n in read_package(package).notes if n.guid == guid)


def test_retired_notes_never_reviewed_are_deleted_on_request(learner):
    result = learner.install("--delete-retired")
    assert result.exit_code == 0, result.output
    assert "1 retired and never reviewed: deleted" in result.output
    with learner.open() as col:
        assert not [n for n in map(col.get_note, col.find_notes("")) if "中苏" in n.joined_fields()]
    again = learner.install()
    assert "Nothing to change" in again.output and "1 deleted by you: not added back" in \
        again.output, again.output


@pytest.mark.parametrize("studied", [False, True], ids=["never-studied", "studied"])
def test_a_retirement_that_came_by_plain_import_is_put_away_if_never_studied(learner, studied):
    """The release retiring a card reached the learner by File > Import: its card stayed among
    the cards to learn. Install suspends it unless the learner studied it (then it is theirs)."""
    with learner.open() as col:
        if studied:
            study(col, 6)
        import_package(col, learner.v2)
        (card,) = note_for(col, "chinese-name").cards()
        assert card.queue != -1
    result = learner.install()
    assert result.exit_code == 0, result.output
    said = "1 retired by an earlier release and never studied: suspended." in result.output
    assert said != studied, result.output
    with learner.open() as col:
        (after,) = note_for(col, "chinese-name").cards()
        assert (after.queue == -1) != studied and after.id == card.id
    again = learner.install()
    assert "Nothing to change" in again.output, again.output


def test_dry_run_changes_nothing(learner):
    before = learner.path.read_bytes()
    result = learner.install("--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Would install version 2.0.0 into {learner.path}: {learner.plan}." in result.output
    assert learner.path.read_bytes() == before
    assert not (learner.path.parent / "backups").exists()


HOLD = """
import sys, time
from anki.collection import Collection
col = Collection(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_a_collection_open_in_another_process_is_refused_untouched(learner):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(learner.path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        before = learner.path.read_bytes()
        result = learner.install()
        assert result.exit_code == 1
        assert "close Anki, then run again" in result.output and "Traceback" not in result.output
        assert learner.path.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert learner.install().exit_code == 0


# Run install in a process of its own that dies (SIGKILL) or is interrupted (SIGINT, as Ctrl-C)
# in the middle of its transaction: after the third note it wrote.
DIE = """
import os, signal, sys
sys.argv = ["build-deck", *sys.argv[2:]]
import deckbuilder.install.apply as apply
import deckbuilder.install.runner as runner
written, stamp, backup = [], apply._stamp, runner._backup
def armed_backup(col, target):  # made before the pass that commits: die in that one
    written.append("backup")
    return backup(col, target)
def dying_stamp(col, nid, mod):
    stamp(col, nid, mod)
    if written:
        written.append(nid)
    if len(written) == 4:
        os.kill(os.getpid(), int(SIGNAL))
apply._stamp = dying_stamp
runner._backup = armed_backup
from deckbuilder.cli import main
main()
"""


@pytest.mark.parametrize("signal_number,status", [(signal.SIGKILL, -9), (signal.SIGINT, 130)])
def test_killed_or_interrupted_mid_install_leaves_the_collection_as_it_was(
        learner, signal_number, status):
    with learner.open() as col:
        before = {n.guid: (list(n.fields), n.tags, n.mod)
                  for n in map(col.get_note, col.find_notes(""))}
        cards_before = col.card_count()
    script = DIE.replace("SIGNAL", str(int(signal_number)))
    done = subprocess.run([sys.executable, "-c", script, "x", "install", str(learner.v2),
                           "--collection", str(learner.path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    with learner.open() as col:
        after = {n.guid: (list(n.fields), n.tags, n.mod)
                 for n in map(col.get_note, col.find_notes(""))}
        assert after == before and col.card_count() == cards_before
        assert col.get_config("build-deck", None) is None
    assert learner.install().exit_code == 0


def test_bad_input_is_a_message_not_a_traceback(learner, tmp_path):
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    bare = tmp_path / "bare.apkg"  # a package of ours without the record (any other tool's)
    with zipfile.ZipFile(learner.v1) as source, zipfile.ZipFile(bare, "w") as copy:
        for name in source.namelist():
            if name != "build-deck.shipped":
                copy.writestr(name, source.read(name))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["install", *args])

    cases = [
        (run(str(not_zip), "--base", str(learner.base)), "not an Anki package"),
        (run(str(bare), "--base", str(learner.base)), "carries no record of what we shipped"),
        (run(str(learner.v2), "--base", str(learner.base), "--profile", "Nobody"),
         "no profile 'Nobody'; the profiles are: User 1"),
        (run(str(learner.v2), "--base", str(tmp_path / "none")), "no Anki profile found"),
    ]
    corrupt = tmp_path / "corrupt" / "collection.anki2"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"not a database at all" * 100)
    cases.append((run(str(learner.v2), "--collection", str(corrupt)), "damaged"))
    # The package named for the collection: not "damaged, restore a backup" alone.
    cases.append((run(str(learner.v2), "--collection", str(learner.v2)),
                  "is not an Anki collection (not an SQLite database): name collection.anki2"))
    fifo = tmp_path / "fifo.anki2"
    os.mkfifo(fifo)
    cases.append((run(str(learner.v2), "--collection", str(fifo)), "is not a regular file"))
    old = tmp_path / "old" / "collection.anki2"
    old.parent.mkdir()
    old.write_bytes(learner.path.read_bytes())
    with sqlite3.connect(old) as conn:
        conn.execute("update col set ver = 11")
    cases.append((run(str(learner.v2), "--collection", str(old)), "schema version 11"))
    (learner.base / "User 2").mkdir()
    (learner.base / "User 2" / "collection.anki2").write_bytes(learner.path.read_bytes())
    cases.append((run(str(learner.v2), "--base", str(learner.base)),
                  "several profiles: User 1, User 2; choose one with --profile NAME"))
    for result, message in cases:
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output, result.output
    both = run(str(learner.v2), "--profile", "User 1", "--collection", str(learner.path))
    assert both.exit_code == 2
    assert old.read_bytes() != b"" and sqlite3.connect(old).execute(
        "select ver from col").fetchone() == (11,)


def test_the_profile_is_found_in_anki_base(learner):
    env = {**os.environ, "ANKI_BASE": str(learner.base)}
    result = CliRunner(env=env).invoke(cli, ["install", str(learner.v2), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert str(learner.path) in result.output


def test_a_read_only_collection_is_refused(learner):
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files")
    learner.path.chmod(0o444)
    learner.path.parent.chmod(0o555)
    try:
        result = learner.install()
    finally:
        learner.path.parent.chmod(0o755)
        learner.path.chmod(0o644)
    assert result.exit_code == 1 and "read-only" in result.output, result.output

