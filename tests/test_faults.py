"""Faults around the ledger and the build, through the CLI: a lost ledger, times from the future,
a package and ledger out of step, builds at once, a closed stdout, Ctrl-C. Where a learner is
concerned, checked in a real Anki collection: their edit and tag survive, or nothing was built."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import DeckDir, import_package, note_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckbuilder.cli import cli
from deckbuilder.ledger import (
    EARLIEST,
    CardEntry,
    Change,
    Ledger,
    NoteTypeEntry,
    Rename,
    ledger_lines,
    read_ledger,
)

ROOT = Path(__file__).resolve().parent.parent
NOW = int(time.time())


def run(deck_dir: DeckDir, *args: str, epoch: int | None = None):
    env = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch else {}
    return CliRunner().invoke(cli, [*args, *deck_dir.args()] if args[:1] != ("ledger",)
                              else [*args, "--cards", str(deck_dir.cards), "--media",
                                    str(deck_dir.media)], env=env)


def built_ok(deck_dir: DeckDir, epoch: int | None = None) -> str:
    result = run(deck_dir, epoch=epoch)
    assert result.exit_code == 0, result.output
    return result.output


def files(deck_dir: DeckDir) -> tuple[bytes | None, ...]:
    """The package, the ledger and the record of what we shipped, as they are."""
    return tuple(p.read_bytes() if p.exists() else None
                 for p in (deck_dir.output, deck_dir.ledger, deck_dir.record))


def learner_edits(collection, deck_dir: DeckDir) -> None:
    """Import the release, then edit a note and tag it as a learner would."""
    import_package(collection, deck_dir.output)
    mine = note_for(collection, "signatories")
    mine["Notes"] = "My own mnemonic"
    mine.tags.append("my-tag")
    collection.update_note(mine)


def learner_edit_survived(collection) -> None:
    kept = note_for(collection, "signatories")
    assert kept["Notes"] == "My own mnemonic" and "my-tag" in kept.tags


def _missing(deck_dir: DeckDir) -> None:
    deck_dir.ledger.unlink()


def _empty(deck_dir: DeckDir) -> None:
    deck_dir.ledger.write_bytes(b"")


def _truncated(deck_dir: DeckDir) -> None:
    data = deck_dir.ledger.read_bytes()
    deck_dir.ledger.write_bytes(data[: len(data) * 2 // 3])


def _cut_at_a_line(deck_dir: DeckDir) -> None:
    lines = deck_dir.ledger.read_bytes().splitlines(keepends=True)
    deck_dir.ledger.write_bytes(b"".join(lines[:-3]))


def _conflicted(deck_dir: DeckDir) -> None:
    text = deck_dir.ledger.read_text("utf-8")
    head, tail = text.split("card\t", 1)
    deck_dir.ledger.write_text(f"{head}<<<<<<< HEAD\ncard\t{tail}=======\n>>>>>>> other\n",
                               "utf-8")


def _merged_cleanly(deck_dir: DeckDir) -> None:
    text = deck_dir.ledger.read_text("utf-8")
    deck_dir.ledger.write_text(text.replace("\tbasic\n", "\tcloze\n", 1), "utf-8")


def _another_decks(deck_dir: DeckDir) -> None:
    text = deck_dir.ledger.read_text("utf-8")
    other = Ledger(deck_id=777, deck_name="Another Deck", created=NOW)
    assert "deck\t1234567890\t" in text
    deck_dir.ledger.write_text("".join(ledger_lines(other)), "utf-8")


LOST = [
    pytest.param(_missing, "the ledger is missing, but", id="missing-package-left"),
    pytest.param(_empty, "the ledger is empty", id="empty"),
    pytest.param(_truncated, "the ledger is cut short", id="truncated-mid-line"),
    pytest.param(_cut_at_a_line, "is cut short", id="truncated-at-a-line"),
    pytest.param(_conflicted, "a merge conflict is left in the ledger", id="conflicted"),
    pytest.param(_merged_cleanly, "does not match the check on its last line", id="hand-edit"),
    pytest.param(_another_decks, "the deck id was 777 in the last build", id="another-decks"),
]


@pytest.mark.parametrize(("lose", "message"), LOST)
def test_a_lost_ledger_is_refused_and_the_learners_edit_survives(deck_dir, collection, lose,
                                                                 message):
    built_ok(deck_dir, NOW - 1000)
    learner_edits(collection, deck_dir)
    lose(deck_dir)
    before = files(deck_dir)
    for command in ((), ("check",)):
        result = run(deck_dir, *command)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and message in result.output
        assert "build-deck ledger --from" in result.output or "another deck" in result.output
        assert files(deck_dir) == before
    import_package(collection, deck_dir.output)
    learner_edit_survived(collection)


def test_a_fresh_clone_without_ledger_or_package_builds_and_overwrites_nothing(deck_dir,
                                                                             collection):
    """Never committed, dist/ never kept: a build cannot tell the release from a new deck. It
    builds (a new deck must), and its notes cannot beat the learner's copies."""
    built_ok(deck_dir, NOW - 1000)
    learner_edits(collection, deck_dir)
    deck_dir.ledger.unlink()
    deck_dir.output.unlink()
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    output = built_ok(deck_dir)
    assert "4 new, 0 updated" in output
    log = import_package(collection, deck_dir.output)
    assert not log.updated and not log.new
    learner_edit_survived(collection)


def test_git_knows_the_lost_ledger(deck_dir):
    built_ok(deck_dir, NOW - 1000)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(deck_dir.root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "cards.lock"], check=True)
    subprocess.run([*git, "commit", "-qm", "release"], check=True)
    deck_dir.ledger.unlink()
    deck_dir.output.unlink()
    result = run(deck_dir)
    assert result.exit_code == 1 and "the ledger is missing, but git has it" in result.output
    assert "-- cards.lock" in result.output and not deck_dir.output.exists()


def test_the_lost_ledger_is_restored_from_the_merge_that_last_changed_it(deck_dir):
    """Two branches that both built the deck merge into a ledger of its own (ledger --merge, or
    a build on the merge): the commit the message names holds that ledger, not an older one."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(deck_dir.root)]

    def commit(message: str) -> None:
        subprocess.run([*git, "add", "cards", "cards.lock", "cards.shipped"], check=True)
        subprocess.run([*git, "commit", "-qm", message], check=True)

    built_ok(deck_dir, NOW - 3000)
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    commit("first build")
    subprocess.run([*git, "checkout", "-qb", "side"], check=True)
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    built_ok(deck_dir, NOW - 2000)
    commit("side")
    subprocess.run([*git, "checkout", "-q", "main"], check=True)
    subprocess.run([*git, "merge", "-q", "-s", "ours", "--no-commit", "side"], check=True)
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao both attended.")
    built_ok(deck_dir, NOW - 1000)
    commit("merge side, built")
    merged = deck_dir.ledger.read_bytes()
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()

    deck_dir.ledger.unlink()
    result = run(deck_dir)
    assert result.exit_code == 1 and f"git checkout {head} -- cards.lock" in result.output
    subprocess.run([*git, "checkout", head, "--", "cards.lock"], check=True)
    assert deck_dir.ledger.read_bytes() == merged

    subprocess.run([*git, "rm", "-q", "cards.lock"], check=True)  # deleted in a commit: the
    subprocess.run([*git, "commit", "-qm", "ledger gone"], check=True)  # one before has it
    result = run(deck_dir)
    assert result.exit_code == 1 and f"git checkout {head} -- cards.lock" in result.output


def test_ledger_from_the_released_package(deck_dir, collection, tmp_path):
    """Rebuilt from the release, the ledger updates the card changed since, and only it."""
    built_ok(deck_dir, NOW - 1000)
    released = tmp_path / "released.apkg"
    released.write_bytes(deck_dir.output.read_bytes())
    learner_edits(collection, deck_dir)
    deck_dir.edit("treaty.yaml", "back: 14 February 1950, in **Moscow**", "back: 14 Feb 1950")
    deck_dir.ledger.unlink()

    result = run(deck_dir, "ledger", "--from", str(released))
    assert result.exit_code == 0, result.output
    assert "4 notes released, 1 changed since, 0 new cards" in result.output
    again = run(deck_dir, "ledger", "--from", str(released))
    assert again.exit_code == 1 and "exists and reads well" in again.output

    assert "0 new, 1 updated, 3 unchanged" in built_ok(deck_dir)
    log = import_package(collection, deck_dir.output)
    assert len(log.updated) == 1
    assert note_for(collection, "signing-date")["Back"] == "14 Feb 1950"
    learner_edit_survived(collection)


def test_ledger_from_another_decks_package_is_refused(deck_dir, tmp_path):
    built_ok(deck_dir, NOW - 1000)
    deck_dir.edit("deck.yaml", "id: 1234567890", "id: 1234567891")
    deck_dir.ledger.unlink()
    result = run(deck_dir, "ledger", "--from", str(deck_dir.output))
    assert result.exit_code == 1 and "another deck's package" in result.output
    assert not deck_dir.ledger.exists()


def test_the_committed_first_edition_ledger_is_read_and_migrated(tmp_path):
    """cards.lock of the released first edition is format 1: it must never count as lost.

    A copy is kept in tests/: the 2.0.0 release rewrote cards.lock in format 2."""
    first_edition = ROOT / "tests" / "first-edition.lock"
    old = first_edition.read_text("utf-8")
    assert "build-deck ledger\t" not in old
    ledger = read_ledger(first_edition)
    assert ledger.deck_name == "Sino-Soviet Treaty of 1950" and len(ledger.cards) >= 100
    rewritten = tmp_path / "cards.lock"
    rewritten.write_text("".join(ledger_lines(ledger)), "utf-8")
    again = read_ledger(rewritten)
    assert {k: (e.digest, e.mod, e.retired, e.kind) for k, e in again.cards.items()} == {
        k: (e.digest, e.mod, e.retired, e.kind) for k, e in ledger.cards.items()}
    assert (again.deck_id, again.created, again.note_types) == (
        ledger.deck_id, ledger.created, ledger.note_types)


def test_a_newer_format_is_refused_by_name(deck_dir):
    deck_dir.ledger.write_text("build-deck ledger\t4\nend\t0\t0\n", "utf-8")
    result = run(deck_dir)
    assert "ledger format 4 by a newer build-deck" in result.output


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_TEXT, card_ids=st.lists(_TEXT.filter(bool), max_size=4, unique=True),
       media=st.dictionaries(_TEXT.filter(bool), _TEXT, max_size=3),
       fields=st.lists(_TEXT, min_size=1, max_size=3))
def test_every_ledger_reads_back_as_written(tmp_path, name, card_ids, media, fields):
    ledger = Ledger(42, name, EARLIEST, package="ab" * 32, media=media)
    ledger.cards = {c: CardEntry("d" * 16, EARLIEST + i, bool(i % 2), ("basic", "cloze")[i % 2])
                    for i, c in enumerate(card_ids)}
    ledger.note_types = {7: NoteTypeEntry(7, "e" * 16, EARLIEST, name, tuple(fields),
                                          tuple(reversed(fields)))}
    # Release records (issue 12): any card id and any reason read back too.
    ledger.releases = {"1.0.0": EARLIEST, "1.10.2": EARLIEST + 1}
    ledger.changes = {("1.10.2", c): Change("1.10.2", c, "corrected", name)
                      if name else Change("1.10.2", c, "reworded") for c in card_ids}
    ledger.renames = {c + name: Rename(c + name, c, "1.0.0" if i % 2 else "")
                      for i, c in enumerate(card_ids)}
    ledger.released = {"1.0.0": EARLIEST + 2}  # issue 19: release builds, where builds came from
    ledger.built_from = "cd" * 32
    path = tmp_path / "cards.lock"
    path.write_text("".join(ledger_lines(ledger)), "utf-8")
    again = read_ledger(path)
    for entry in again.cards.values():
        entry.line = 0
    assert again == ledger


@pytest.mark.parametrize(("value", "message"), [
    ("12x", "is not a time"), ("١٧٠٠٠٠٠٠٠٠", "is not a time"), ("-5", "is not a time"),
    ("1700000000000", "in the future (a time in milliseconds?)"),
    (str(NOW + 3 * 86_400), "is in the future"), ("5", "is before 2000"),
    ("9" * 30, "is not a time")])
def test_a_bad_source_date_epoch_is_refused(deck_dir, value, message):
    result = CliRunner().invoke(cli, deck_dir.args(), env={"SOURCE_DATE_EPOCH": value})
    assert result.exit_code == 1, result.output
    assert "SOURCE_DATE_EPOCH: " in result.output and message in result.output
    assert files(deck_dir) == (None, None, None)


@pytest.mark.parametrize("future", [4_102_444_800, 1_700_000_000_000])  # 2100, milliseconds
def test_ledger_times_from_the_future_are_refused(deck_dir, future):
    built_ok(deck_dir, NOW - 1000)
    ledger = read_ledger(deck_dir.ledger)
    ledger.cards["signatories"].mod = future
    deck_dir.ledger.write_text("".join(ledger_lines(ledger)), "utf-8")
    before = files(deck_dir)
    result = run(deck_dir)
    assert result.exit_code == 1 and "is in the future" in result.output
    assert "card time of 'signatories'" in result.output
    assert files(deck_dir) == before


def test_a_package_out_of_step_with_its_ledger_is_noticed_and_repaired(deck_dir):
    built_ok(deck_dir, NOW - 1000)
    deck_dir.output.write_bytes(b"someone else's package")
    result = run(deck_dir)
    assert result.exit_code == 0
    assert "is not the package the ledger records" in result.output
    again = run(deck_dir)
    assert "is not the package" not in again.output


def test_a_ledger_its_folder_will_not_take_leaves_both_old(deck_dir, monkeypatch):
    """The ledger's folder refuses the new ledger (a real error, which root gets too, unlike a
    read-only folder): the package, written first, is not moved in."""
    built_ok(deck_dir, NOW - 1000)
    # A 250-byte name is a file name, but its temporary, ".<name>.<pid>-<hex>.tmp", is longer
    # than the 255 bytes a folder entry may have.
    ledger = deck_dir.root / f"cards{'-' * 240}.lock"
    deck_dir.ledger.rename(ledger)
    deck_dir.record.rename(ledger.with_suffix(".shipped"))
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    before = deck_dir.output.read_bytes(), ledger.read_bytes()
    # Temporaries named from the start, as where there is no O_TMPFILE: so the name is refused
    # while the ledger is staged, as the read-only folder refused it.
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    result = CliRunner().invoke(cli, deck_dir.args("--ledger", str(ledger)))
    assert result.exit_code == 1 and "File name too long" in result.output, result.output
    assert (deck_dir.output.read_bytes(), ledger.read_bytes()) == before
    assert sorted(p.name for p in deck_dir.root.iterdir()) == sorted(
        ["cards", "dist", ledger.name, ledger.with_suffix(".shipped").name, "media"])
    assert sorted(p.name for p in deck_dir.output.parent.iterdir()) == ["deck.apkg"]


def test_a_failed_ledger_write_leaves_both_old(deck_dir, monkeypatch):
    """A full disk while the ledger is written: the package written before it is not moved in."""
    built_ok(deck_dir, NOW - 1000)
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    before = files(deck_dir)
    real = ledger_lines

    def disk_full(ledger):
        yield from real(ledger)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("deckbuilder.build.ledger_lines", disk_full)  # where the build finds it
    result = run(deck_dir)
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert files(deck_dir) == before
    assert sorted(p.name for p in deck_dir.root.iterdir()) == [
        "cards", "cards.lock", "cards.shipped", "dist", "media"]
    assert sorted(p.name for p in deck_dir.output.parent.iterdir()) == ["deck.apkg"]


def _command(deck_dir: DeckDir, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "build_deck.py"), *deck_dir.args(), *extra]


def _env(**extra: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@pytest.mark.slow
def test_builds_at_once_take_turns(deck_dir):
    built_ok(deck_dir, NOW - 1000)
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao were there.")
    runs = [subprocess.Popen(_command(deck_dir, "-q"), env=_env(SOURCE_DATE_EPOCH=str(NOW + i)))
            for i in range(4)]
    assert [p.wait() for p in runs] == [0] * 4
    ledger = read_ledger(deck_dir.ledger)
    import hashlib

    assert ledger.package == hashlib.sha256(deck_dir.output.read_bytes()).hexdigest()
    assert "0 new, 0 updated, 4 unchanged" in built_ok(deck_dir)


def test_a_closed_stdout_is_no_failure(deck_dir):
    done = subprocess.run(_command(deck_dir), env=_env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, pass_fds=(), close_fds=True,
                          preexec_fn=lambda: os.close(1))
    assert done.returncode == 0, done.stderr
    assert deck_dir.output.is_file() and deck_dir.ledger.is_file()
    piped = subprocess.Popen(_command(deck_dir), env=_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert piped.stdout is not None
    piped.stdout.close()  # `build-deck | head -0`
    _, err = piped.communicate()
    assert piped.returncode == 0, err


# A frame of our own code in a traceback: what Ctrl-C while starting up must never show.
_OUR_FRAME = re.compile(r'File "[^"]*[/\\](deckbuilder[/\\][^"]*|build_deck\.py)"')


@pytest.mark.slow
def test_ctrl_c_while_starting_up_is_one_line_and_130(deck_dir):
    # Issue 19: Ctrl-C in the first ~30 ms printed a traceback from our imports. The handler is
    # now the first thing deckbuilder/__init__.py does. Before it (Python's own start-up and the
    # console script finding our package) no code of ours runs, and Python may print its own
    # KeyboardInterrupt or die of the signal (a shell shows 130 for both).
    script = Path(sys.executable).with_name("build-deck")
    assert script.is_file(), "the console script: pip install -e '.[test]'"
    reached = 0
    for delay_ms in range(0, 60, 3):
        process = subprocess.Popen([str(script), "check", *deck_dir.args()[:4]], env=_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay_ms / 1000)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate()
        assert not _OUR_FRAME.search(err), f"after {delay_ms} ms:\n{err}"
        if "KeyboardInterrupt" in err or process.returncode == -signal.SIGINT:
            continue  # before any code of ours ran: Python's own message, or none
        assert process.returncode in (0, 130), f"after {delay_ms} ms: {err}"
        if process.returncode == 130:
            assert err.strip() == "Interrupted.", f"after {delay_ms} ms: {err}"
            reached += 1
    assert reached, "no signal reached build-deck's handler"


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_130(deck_dir):
    process = subprocess.Popen(_command(deck_dir), env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(0.15)  # while starting up, importing
    process.send_signal(signal.SIGINT)
    out, err = process.communicate()
    if process.returncode == 0:
        pytest.skip("the build finished before the signal")
    assert process.returncode == 130, err
    assert err.strip() == "Interrupted."


@pytest.mark.parametrize("target", ["cards.lock", "cards/deck.yaml", "cards/out.apkg",
                                    "media/timeline.png"])
def test_output_never_overwrites_an_input(deck_dir, target):
    built_ok(deck_dir, NOW - 1000)
    path = deck_dir.root / target
    before = path.read_bytes() if path.exists() else None
    result = CliRunner().invoke(cli, [*deck_dir.args()[:4], "-o", str(path)])
    assert result.exit_code == 1 and "one of build-deck's own inputs" in result.output
    assert (path.read_bytes() if path.exists() else None) == before


# deck.yaml: each a clean error, the package and ledger as they were.
DECK_FILE_CASES = [
    pytest.param("name: D\nid: \"١٢٣٤\"\n", "'id' must be a whole number in ASCII digits",
                 id="deck-id-arabic-indic-digits"),
    pytest.param("name: D\nid: 99999999999999999999999\n", "'id' must be a whole number from 1",
                 id="deck-id-past-2-63"),
    pytest.param("name: \"D\\rE\"\nid: 1234567890\n", "'name' must be one line of text",
                 id="deck-name-with-cr"),
    pytest.param("name: \"D\\u2028E\"\nid: 1234567890\n", "'name' must be one line of text",
                 id="deck-name-with-line-separator"),
    pytest.param("name: Test Treaty Deck\nid: 1234567890\nsources:\n  a:\n    title: One\n"
                 "  a:\n    title: Two\n", "source 'a' is given twice", id="source-given-twice"),
    pytest.param("name: Test Treaty Deck\nid: 1234567890\ndescription: \"![x](timeline.png)\"\n",
                 "the deck description cannot show images", id="description-image"),
    pytest.param("name: Test Treaty Deck\nid: 1234567890\nsources:\n  treaty-text:\n"
                 "    title: \"![x](http://evil.example/t.png)\"\n",
                 "source 'treaty-text': image 'http://evil.example/t.png' is a URL",
                 id="source-title-remote-image"),
]


@pytest.mark.parametrize(("deck_yaml", "message"), DECK_FILE_CASES)
def test_bad_deck_file_is_refused_and_nothing_changes(deck_dir, deck_yaml, message):
    built_ok(deck_dir, NOW - 1000)
    before = files(deck_dir)
    (deck_dir.cards / "deck.yaml").write_text(deck_yaml, "utf-8")
    result = run(deck_dir)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and message in result.output
    assert files(deck_dir) == before


def test_markdown_images_are_packaged_media_in_anki(deck_dir, collection):
    deck_dir.edit("treaty.yaml", "notes: Stalin and Mao attended.",
                  'notes: "Stalin and Mao attended. ![The signing](timeline.png)"')
    deck_dir.edit("deck.yaml", "title: English text of the treaty",
                  'title: "English text of the treaty ![seal](timeline.png)"')
    built_ok(deck_dir, NOW - 1000)
    log = import_package(collection, deck_dir.output)
    assert len(log.new) == 4
    note = note_for(collection, "signatories")
    assert re.fullmatch(r'Stalin and Mao attended\. <img src="timeline-[0-9a-f]{12}\.png" '
                        r'alt="The signing">', note["Notes"]), note["Notes"]
    assert '<img src="timeline-' in note_for(collection, "chinese-name")["Source"]
    packaged = Path(collection.media.dir())
    assert [p.name for p in packaged.iterdir() if p.name.startswith("timeline-")]
    assert not collection.media.check().missing


_NAME = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1,
                max_size=12).filter(lambda s: s.strip() and s == s.strip())


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(deck_name=_NAME, media_name=_NAME)
def test_whatever_builds_the_next_build_reads(tmp_path_factory, deck_name, media_name):
    from helpers import PNG, write_deck

    from deckbuilder import DeckError
    from deckbuilder.build import build

    root = tmp_path_factory.mktemp("any")
    cards = ("cards:\n  - id: one\n    front: q\n    back: a\n    image: "
             f"{json.dumps(media_name + '.png')}\n")
    write_deck(root, {"one.yaml": cards}, {}, deck_yaml=f"name: {json.dumps(deck_name)}\n"
               "id: 4242\n")
    try:
        (root / "media" / f"{media_name}.png").write_bytes(PNG)
    except (OSError, ValueError):
        return  # a name this file system cannot hold
    try:
        build(root / "cards", root / "media", root / "out.apkg", now=NOW - 10)
    except DeckError:
        return  # refused with a message: fine
    again = build(root / "cards", root / "media", root / "out.apkg", now=NOW)
    assert again.plan.unchanged == ["one"]


@pytest.mark.parametrize(("option", "edit_kept", "change_arrives"), [
    ("IF_NEWER", True, True), ("ALWAYS", False, True), ("NEVER", True, False)])
def test_import_options_do_what_the_readme_says(deck_dir, collection, option, edit_kept,
                                                 change_arrives):
    """README, 'Importing into Anki': what each Update notes option does to a learner's edit."""
    from anki.collection import ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageOptions

    built_ok(deck_dir, NOW - 3000)
    learner_edits(collection, deck_dir)  # on 'signatories', whose card stays unchanged here
    deck_dir.edit("treaty.yaml", "back: 14 February 1950, in **Moscow**", "back: 14 Feb 1950")
    built_ok(deck_dir)  # after the learner's edit
    condition = getattr(ImportAnkiPackageOptions, f"IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_{option}",
                        None)
    if condition is None:  # the enum's home in this version of anki
        from anki import import_export_pb2 as pb

        condition = getattr(pb, f"IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_{option}")
    options = ImportAnkiPackageOptions(update_notes=condition)
    collection.import_anki_package(ImportAnkiPackageRequest(package_path=str(deck_dir.output),
                                                            options=options))
    kept = note_for(collection, "signatories")
    assert (kept["Notes"] == "My own mnemonic" and "my-tag" in kept.tags) == edit_kept
    assert (note_for(collection, "signing-date")["Back"] == "14 Feb 1950") == change_arrives


@pytest.mark.parametrize("name", ["tab\there.png", "cr\rhere.png", "new\nline.png",
                                  "ls\u2028ps\u2029.png", "back\\slash|pipe.png", "nel\x85.png"])
def test_media_names_that_split_lines_read_back(deck_dir, name):
    from helpers import PNG

    (deck_dir.media / name).write_bytes(PNG)
    deck_dir.edit("treaty.yaml", "    image: timeline.png", f"    image: {json.dumps(name)}")
    first = run(deck_dir)
    if first.exit_code:  # refused at input, with a message: also a kept promise
        assert "Traceback" not in first.output and "control character" in first.output
        return
    assert read_ledger(deck_dir.ledger).media[name].endswith(".png")
    assert "0 new, 0 updated, 4 unchanged" in built_ok(deck_dir)


@pytest.mark.parametrize("what", ["not-a-zip", "empty-zip", "fifo"])
def test_ledger_from_something_that_is_no_package(deck_dir, tmp_path, what):
    import zipfile

    package = tmp_path / "released.apkg"
    if what == "not-a-zip":
        package.write_bytes(b"name: not a package\n")
    elif what == "empty-zip":
        zipfile.ZipFile(package, "w").close()
    else:
        os.mkfifo(package)
    result = run(deck_dir, "ledger", "--from", str(package))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "released.apkg" in result.output and not deck_dir.ledger.exists()
