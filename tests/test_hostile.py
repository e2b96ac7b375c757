"""Hostile and odd input, through the CLI: wrong input is refused cleanly and changes nothing;
odd but legitimate input is built, and checked in a real Anki collection."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    BuiltDeck,
    DeckDir,
    active_content,
    anki_collection,
    card,
    import_package,
    imported_note,
    run_build,
    visible_text,
    write_deck,
)

from deckbuilder.cli import cli
from deckbuilder.render import markdown

ROOT = Path(__file__).resolve().parent.parent


def test_unwritable_output_is_a_clean_error(built: BuiltDeck):
    root = built.root
    (root / "blocker").write_text("a file where the output folder should be")
    before = built.snapshot()
    result = run_build(root, output=root / "blocker" / "deck.apkg")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert f"could not read or write a file: {root / 'blocker'}: File exists" in result.output
    assert built.snapshot() == before  # the package is written first: the ledger is untouched


def _build_and_open(tmp_path: Path, files: dict, media: dict | None = None):
    write_deck(tmp_path, files, media)
    result = run_build(tmp_path)
    assert result.exit_code == 0, result.output
    return anki_collection(tmp_path / "dist" / "deck.apkg", tmp_path / "anki")


def test_utf8_bom_is_read_as_utf8(tmp_path: Path):
    text = "\ufeff" + card("front: Où fut signé le traité ?\nback: À Moscou", "bom")
    with _build_and_open(tmp_path, {"bom.yaml": text}) as col:
        note = imported_note(col, "bom")
        assert note["Front"] == "Où fut signé le traité ?"
        assert note["Back"] == "À Moscou"


def test_anki_template_syntax_in_a_basic_card_is_shown_as_typed(tmp_path: Path):
    front = "What do {{Back}}, {{c1::Moscow}} and {{#Reverse}}x{{/Reverse}} do?"
    text = card(f"front: '{front}'\nback: 'Nothing: {{{{Front}}}} is text'", "braces")
    with _build_and_open(tmp_path, {"braces.yaml": text}) as col:
        note = imported_note(col, "braces")
        (card_,) = note.cards()
        assert visible_text(card_.question()) == front
        assert "Nothing: {{Front}} is text" in visible_text(card_.answer())


def test_sound_tag_typed_as_text_is_shown_not_played(tmp_path: Path):
    # Anki plays [sound:...] wherever it appears; a card's own audio goes under 'audio:'.
    text = card("front: 'Anki writes [sound:x.mp3] and [anki:tts lang=en_US]hi[/anki:tts]'\n"
                "back: '`[sound:y.mp3]`'\naudio: talk.mp3", "typed-sound")
    with _build_and_open(tmp_path, {"s.yaml": text}, {"talk.mp3": b"ID3 fake"}) as col:
        (card_,) = imported_note(col, "typed-sound").cards()
        assert card_.question_av_tags() == []
        assert visible_text(card_.question()) == (
            "Anki writes [sound:x.mp3] and [anki:tts lang=en_US]hi[/anki:tts]")
        answer_sounds = [tag.filename for tag in card_.answer_av_tags()]
        assert len(answer_sounds) == 1 and answer_sounds[0].startswith("talk-")
        assert "[sound:y.mp3]" in visible_text(card_.answer())


HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    '<img src="x.png" onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "<javascript:alert(1)>",
    "![pic](javascript:alert(1))",
    '[ref]\n\n[ref]: javascript:alert(1) "t"',
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "*<iframe src=x onload=alert(1)>*",
]


@pytest.mark.parametrize("markdown", HOSTILE_MARKDOWN)
def test_html_and_script_in_markdown_are_inert(tmp_path: Path, markdown: str):
    import yaml

    cards = {"cards": [
        {"id": "front", "front": markdown, "back": "a", "notes": markdown},
        {"id": "cloze", "cloze": "{{c1::x}} " + markdown, "extra": markdown},
    ]}
    with _build_and_open(tmp_path, {"x.yaml": yaml.safe_dump(cards)}) as col:
        for card_id in ("front", "cloze"):
            note = imported_note(col, card_id)
            for name, value in note.items():
                assert active_content(value) == [], (name, value)
            for card_ in note.cards():
                assert active_content(card_.question()) == []
                assert active_content(card_.answer()) == []
        # Shown as text: what was typed is still readable.
        assert "alert(1)" in visible_text(imported_note(col, "front")["Front"])


def test_one_megabyte_field_round_trips(tmp_path: Path):
    paragraph = ("The treaty of *1950* was signed in `Moscow` by Zhou Enlai & Vyshinsky. " * 50
                 ).strip()
    back = "\n\n".join([paragraph] * 300)
    assert len(back.encode()) > 1_000_000
    text = card(f"front: big\nback: |-\n{_indent(back, 2)}", "big")
    with _build_and_open(tmp_path, {"big.yaml": text}) as col:
        field = imported_note(col, "big")["Back"]
    assert field.count("<p>") == 300 and field.count("<em>1950</em>") == 300 * 50
    assert visible_text(field) == " ".join([visible_text(markdown(paragraph))] * 300)


def _indent(text: str, by: int) -> str:
    return "\n".join(" " * by + line for line in text.splitlines())


@pytest.mark.slow
def test_fifty_megabyte_card_file_builds_in_bounded_time_and_memory(tmp_path: Path):
    # 50 cards of 1 MB each: a 50 MB file parsed, validated, rendered and packaged in one process.
    # Plain prose, so it measures the build rather than markdown-it (which renders ~1 MB/s).
    words = "Moscow Kremlin 1950 treaty, Article 1: friendship, alliance and mutual assistance\n"
    body = _indent(words * 12_500, 6)
    file = "cards:\n" + "".join(f"  - id: huge-{i}\n    front: card {i}\n    back: |-\n{body}\n"
                                for i in range(50))
    assert len(file) > 50_000_000
    write_deck(tmp_path, {"huge.yaml": file})
    command = [sys.executable, str(ROOT / "build_deck.py"), "build", "--quiet",
               "--cards", str(tmp_path / "cards"), "--media", str(tmp_path / "media"),
               "-o", str(tmp_path / "huge.apkg"), "--ledger", str(tmp_path / "cards.lock")]
    seconds, peak_mb, returncode, stderr = _measured_run(command, tmp_path)
    print(f"50 MB card file: {seconds:.1f} s, peak memory {peak_mb:.0f} MB")
    assert returncode == 0, stderr
    with zipfile.ZipFile(tmp_path / "huge.apkg") as zf:
        (tmp_path / "c.anki2").write_bytes(zf.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as db:
        assert db.execute("SELECT count(*), min(length(flds)) FROM notes").fetchone()[0] == 50
    # Sanity bounds only (this is not a benchmark): linear work, a few copies of the input.
    assert seconds < 120
    assert peak_mb < 50 * 20


def _measured_run(command: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Run command; its wall time, peak resident memory in MB, exit code and stderr."""
    import resource
    import time

    def limit_memory() -> None:  # a runaway build fails instead of taking the machine with it
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, preexec_fn=limit_memory)
    assert process.stderr is not None
    stderr = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    return seconds, usage.ru_maxrss / 1024, process.returncode, stderr


def test_messages_use_the_house_format(built: BuiltDeck):
    (built.root / "cards" / "bad.yaml").write_text(card('front: "a\\0b"\nback: "c\\x1fd"'))
    result = run_build(built.root)
    lines = [line for line in result.output.splitlines() if "bad.yaml" in line]
    assert len(lines) == 2, result.output  # every problem, in one pass
    for line in lines:
        assert re.search(r"bad\.yaml:\d+:\d+: card 'bad': '(front|back)' contains", line), line


# --- packages that are not ours, or not whole: one clear error each, never a traceback -------

def _anki_export(tmp_path: Path, legacy: bool, package: Path | None = None) -> Path:
    """A package Anki itself exported (26.x: collection.anki21b, zstd; legacy: collection.anki21
    beside a stub collection.anki2), of a collection holding one note, or package imported."""
    from anki.collection import Collection, ExportAnkiPackageOptions

    folder = tmp_path / f"export-{legacy}"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    try:
        if package is None:
            basic, deck = col.models.by_name("Basic"), col.decks.id("Default")
            assert basic is not None and deck is not None
            note = col.new_note(basic)
            note["Front"], note["Back"] = "hi", "there"
            col.add_note(note, deck)
        else:
            import_package(col, package)
        out = tmp_path / f"export-{'legacy' if legacy else 'new'}.apkg"
        col.export_anki_package(out_path=str(out), limit=None, options=ExportAnkiPackageOptions(
            with_scheduling=False, with_deck_configs=False, with_media=True, legacy=legacy))
    finally:
        col.close()
    with zipfile.ZipFile(out) as zf:
        assert ("collection.anki21" if legacy else "collection.anki21b") in zf.namelist()
    return out


def _with_collection(package: Path, out: Path, sql: str) -> Path:
    """A copy of package whose collection had sql run on it."""
    col = out.with_suffix(".anki2")
    with zipfile.ZipFile(package) as zf:
        col.write_bytes(zf.read("collection.anki2"))
    with sqlite3.connect(col) as db:
        db.execute(sql)
    db.close()
    with zipfile.ZipFile(package) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, col.read_bytes() if info.filename == "collection.anki2"
                          else zin.read(info))
    return out


def _bad_packages(built: BuiltDeck) -> dict[str, tuple[Path, str]]:
    """name -> (a bad package, what every command must say of it)."""
    tmp, good = built.root / "bad", built.package.read_bytes()
    tmp.mkdir()
    made = {}
    (tmp / "truncated.apkg").write_bytes(good[: len(good) // 2])
    made["truncated"] = (tmp / "truncated.apkg", "is damaged or not an Anki package")
    with zipfile.ZipFile(tmp / "other.zip", "w") as zf:
        zf.writestr("hello.txt", "not a package")
    made["zip, not a package"] = (tmp / "other.zip", "build-deck wrote")
    with zipfile.ZipFile(built.package) as zf:
        collection = zf.read("collection.anki2")
    with zipfile.ZipFile(tmp / "sqlite.apkg", "w") as zf:
        zf.writestr("collection.anki2", collection[: len(collection) // 2])
        zf.writestr("media", "{}")
    made["corrupt SQLite"] = (tmp / "sqlite.apkg", "build-deck wrote")
    made["deck JSON"] = (_with_collection(built.package, tmp / "decks.apkg",
                                          "UPDATE col SET decks='{not json'"),
                         "build-deck wrote")
    made["note-type JSON"] = (_with_collection(built.package, tmp / "models.apkg",
                                               "UPDATE col SET models='[1,2]'"),
                              "build-deck wrote")
    for legacy in (False, True):
        made[f"Anki export, legacy={legacy}"] = (_anki_export(tmp, legacy),
                                                 "is a package Anki exported from a collection")
    os.mkfifo(tmp / "pipe.apkg")
    made["pipe"] = (tmp / "pipe.apkg", "is not a regular file")
    # A regular file whose read fails (EIO), even for root, who reads a file without permission.
    made["unreadable"] = (Path("/proc/self/mem"), "cannot be read: Input/output error")
    return made


def test_bad_packages_are_one_clear_error_for_verify_and_ledger_from(built: BuiltDeck):
    bad = _bad_packages(built)
    args = ["--cards", str(built.root / "cards"), "--media", str(built.root / "media")]
    lost = built.root / "lost.lock"
    for name, (package, said) in bad.items():
        runs = {
            "verify": ["verify", str(package), "--cards", str(built.root / "cards")],
            "verify --upgrade-from": ["verify", str(built.package), "--upgrade-from",
                                      str(package), "--cards", str(built.root / "cards")],
            "ledger --from": ["ledger", "--from", str(package), *args, "--ledger", str(lost)],
        }
        for command, argv in runs.items():
            if name == "pipe" and command == "verify":
                continue  # test_verify: "is unreadable: it is not a regular file"
            result = CliRunner().invoke(cli, argv)
            assert result.exit_code in (1, 2), (name, command, result.output)
            assert isinstance(result.exception, SystemExit), (name, command, result.exception)
            errors = [line for line in result.output.splitlines() if line.startswith("Error")]
            assert errors == [f"Error: {package}: {errors[0].split(': ', 2)[2]}"], (
                name, command, result.output)
            if command == "verify" and name == "unreadable":  # never "not a zip"
                assert "is unreadable: Input/output error" in result.output, result.output
            elif command != "verify" or "JSON" not in name and "SQLite" not in name:
                assert said in result.output, (name, command, result.output)
            else:  # Anki's own importer finds it first
                assert "Anki cannot import it" in result.output, result.output
            assert "Imported" not in result.output and "OK" not in result.output
            assert not lost.exists()


def test_a_learners_export_of_the_deck_is_no_ledger_source(built: BuiltDeck):
    export = _anki_export(built.root, legacy=False, package=built.package)
    built.ledger.unlink()
    result = CliRunner().invoke(cli, ["ledger", "--from", str(export), "--cards",
                                      str(built.root / "cards"), "--media",
                                      str(built.root / "media")])
    assert result.exit_code == 1, result.output
    assert "is a package Anki exported from a collection" in result.output
    assert not built.ledger.exists()


def test_a_missing_deck_yaml_is_one_problem_with_the_fix(built: BuiltDeck):
    (built.root / "cards" / "deck.yaml").unlink()
    for command in ("build", "check", "preview", "changelog"):
        result = CliRunner().invoke(cli, [command, "--cards", str(built.root / "cards"),
                                          "--media", str(built.root / "media")])
        assert result.exit_code == 1, result.output
        assert "1 problem found" in result.output, (command, result.output)
        assert "deck.yaml: missing" in result.output and "git checkout --" in result.output


@pytest.mark.parametrize("name", ["README.md", "cards/treaty.yaml", "binary.dat"])
def test_ledger_option_naming_another_file_is_one_problem_and_never_written(built: BuiltDeck,
                                                                           name: str):
    (built.root / "README.md").write_text("# My deck\n")
    (built.root / "binary.dat").write_bytes(bytes(range(256)) * 8)
    target = built.root / name
    before = target.read_bytes()
    args = ["--cards", str(built.root / "cards"), "--media", str(built.root / "media"),
            "--ledger", str(target)]
    for command in (["build", "-o", str(built.root / "x.apkg")], ["check"], ["changelog"],
                    ["ledger", "--from", str(built.package)]):
        result = CliRunner().invoke(cli, [*command, *args])
        assert result.exit_code == 1, (command, result.output)
        said = "is the card file" if name.startswith("cards/") and command[0] == "ledger" else (
            "is not a ledger")
        assert said in result.output, (command, result.output)
        assert result.output.count("Error") == 1, (command, result.output)
        assert target.read_bytes() == before


@pytest.mark.parametrize("command", [["build"], ["preview"], ["changelog"]])
def test_output_onto_a_device_or_pipe_is_refused_and_it_stays(built: BuiltDeck, command):
    # `-o /dev/null` as root replaced /dev/null with the package: a device made here stands in.
    device = built.root / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3)) if os.geteuid() == 0 else (
        os.mkfifo(device))
    kind = os.stat(device).st_mode
    result = CliRunner().invoke(cli, [*command, "--cards", str(built.root / "cards"), "--media",
                                      str(built.root / "media"), "-o", str(device)])
    assert result.exit_code == 1, result.output
    assert "is not a regular file but a device, a pipe or a socket" in result.output
    assert os.stat(device).st_mode == kind


def test_ledger_from_onto_a_device_is_refused_and_it_stays(built: BuiltDeck):
    fifo = built.root / "fifo.lock"
    os.mkfifo(fifo)
    built.ledger.unlink()
    result = CliRunner().invoke(cli, ["ledger", "--from", str(built.package), "--cards",
                                      str(built.root / "cards"), "--media",
                                      str(built.root / "media"), "--ledger", str(fifo)])
    assert result.exit_code == 1, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_ledger_from_the_last_package_then_build_keeps_every_stamp_at_its_floor(
        built: BuiltDeck):
    # A build elsewhere (-o other.apkg) shipped a change the last package lacks; the ledger is
    # then lost, and rebuilt from that package: the next build must take it (not refuse it as
    # stale) and stamp no note below what cards.shipped records.
    from deckbuilder.ledger import read_ledger, read_shipped_file
    from deckbuilder.notes import guid_for

    root = built.root
    first = root / "first.apkg"
    first.write_bytes(built.package.read_bytes())
    DeckDir(root).edit("treaty.yaml", "back: Zhou Enlai and Andrey Vyshinsky",
                        "back: Zhou Enlai and Andrey Vyshinsky, in Moscow")
    assert run_build(root, output=root / "other.apkg").exit_code == 0
    built.ledger.unlink()
    args = ["--cards", str(root / "cards"), "--media", str(root / "media")]
    result = CliRunner().invoke(cli, ["ledger", "--from", str(first), *args])
    assert result.exit_code == 0, result.output
    result = run_build(root)
    assert result.exit_code == 0, result.output
    ledger, record = read_ledger(built.ledger), read_shipped_file(built.record).record
    low = {card_id: (entry.mod, record.stamp_floor(guid_for(ledger.deck_id, card_id)))
           for card_id, entry in ledger.cards.items()
           if entry.mod < record.stamp_floor(guid_for(ledger.deck_id, card_id))}
    assert low == {}


@pytest.mark.parametrize("name", ["cards.lock", "cards.shipped"])
def test_a_byte_order_mark_an_editor_added_is_read_past(built: BuiltDeck, name: str):
    # Notepad saves UTF-8 with a BOM: the ledger gave 323 problems, the record one.
    path = built.root / name
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run_build(built.root)
    assert result.exit_code == 0, result.output


def test_an_emptied_record_of_what_we_shipped_is_refused_like_a_lost_one(built: BuiltDeck):
    built.record.write_bytes(b"")
    before = built.snapshot()
    result = run_build(built.root)
    assert result.exit_code == 1, result.output
    assert "the record of what we shipped is empty, but" in result.output
    assert f"unzip -p {built.package} build-deck.shipped > cards.shipped" in result.output
    assert built.snapshot() == before


def test_a_negative_deck_id_is_out_of_range_not_text(built: BuiltDeck):
    deck = built.root / "cards" / "deck.yaml"
    deck.write_text(deck.read_text().replace("id: 1234567890", "id: -5"))
    result = run_build(built.root)
    assert result.exit_code == 1
    assert "'id' must be a whole number from 1 to 9007199254740991, not -5" in result.output


def test_an_unwritable_output_folder_names_the_output_not_a_temporary(built: BuiltDeck):
    # /proc takes no new files, even from root (a read-only folder stands in for it elsewhere).
    output = Path("/proc/build-deck-test.apkg")
    result = run_build(built.root, output=output)
    assert result.exit_code == 1, result.output
    assert f"could not read or write a file: {output}: " in result.output
    assert ".tmp" not in result.output


def test_setup_git_outside_a_repository_says_to_run_git_init(built: BuiltDeck, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(built.root.parent))
    result = CliRunner().invoke(cli, ["setup-git", "--cards", str(built.root / "cards")])
    assert result.exit_code == 1, result.output
    assert "not in a git repository; setup-git sets up the repository that keeps the deck: " \
           "run `git init` there first" in result.output


def test_ledger_merge_with_another_file_is_one_problem_and_writes_nothing(built: BuiltDeck):
    readme = built.root / "README.md"
    readme.write_text("# My deck\n")
    ours = built.root / "ours.lock"
    ours.write_bytes(built.ledger.read_bytes())
    for args in ([built.ledger, ours, readme], [built.ledger, readme, built.ledger]):
        result = CliRunner().invoke(cli, ["ledger", "--merge", *map(str, args)])
        assert result.exit_code == 1, result.output
        assert f"{readme}: is not a ledger" in result.output
        assert readme.read_text() == "# My deck\n"
        assert ours.read_bytes() == built.ledger.read_bytes()


@pytest.mark.parametrize("args", [["-o", ""], ["preview", "-o", ""], ["changelog", "-o", ""],
                                  ["--ledger", ""], ["verify", ""], ["ledger", "--from", ""],
                                  ["install", ""], ["new", "", "--name", "x"], ["--media", ""]])
def test_an_empty_path_is_a_usage_error(built: BuiltDeck, monkeypatch, args):
    # `-o ''` (a variable that was never set) gave a traceback: PosixPath('.') has an empty name.
    monkeypatch.chdir(built.root)
    before = built.snapshot()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "is empty: name a file or folder" in result.output
    assert built.snapshot() == before


def test_a_card_file_with_an_upper_case_extension_is_read(tmp_path: Path):
    write_deck(tmp_path, {"one.yaml": card("front: q1\nback: a1", "one"),
                          "two.YAML": card("front: q2\nback: a2", "two")})
    result = run_build(tmp_path)
    assert result.exit_code == 0, result.output
    with anki_collection(tmp_path / "dist" / "deck.apkg", tmp_path / "anki") as col:
        assert imported_note(col, "two")["Back"] == "a2"


def test_install_of_a_bad_package_is_one_clear_error(built: BuiltDeck):
    # Malformed deck or note-type JSON gave a traceback; a pipe hung install.
    from anki.collection import Collection

    target = built.root / "anki" / "collection.anki2"
    target.parent.mkdir()
    Collection(str(target)).close()
    bad = _bad_packages(built)
    for name in ("deck JSON", "note-type JSON", "pipe"):
        package, said = bad[name]
        result = CliRunner().invoke(cli, ["install", str(package), "--collection", str(target),
                                          "--dry-run"])
        assert result.exit_code == 1, (name, result.output)
        assert isinstance(result.exception, SystemExit), (name, result.exception)
        assert f"Error: {package}: " in result.output and said in result.output, result.output


def test_a_missing_media_folder_is_one_problem(built: BuiltDeck):
    # It gave one problem for each file a card names (80 on the treaty deck).
    (built.root / "media").rename(built.root / "media-moved")
    result = run_build(built.root)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 2, result.output
    assert "media: no such folder of media, though the cards name 2 files in it" in (
        result.output)
    assert "restore it, or name it with --media" in result.output
