"""Hostile and odd input, through the CLI: wrong input is refused cleanly and changes nothing;
odd but legitimate input is built, and checked in a real Anki collection."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import (
    BuiltDeck,
    active_content,
    anki_collection,
    card,
    imported_note,
    run_build,
    visible_text,
    write_deck,
)

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
