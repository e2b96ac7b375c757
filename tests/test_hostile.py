"""Hostile and odd input, through the CLI: wrong input is refused cleanly and changes nothing;
odd but legitimate input is built, and checked in a real Anki collection."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import (
    GOOD_CARDS,
    active_content,
    anki_collection,
    imported_note,
    run_build,
    visible_text,
    write_deck,
)

from deckbuilder import DeckError
from deckbuilder.build import prepare
from deckbuilder.render import markdown

ROOT = Path(__file__).resolve().parent.parent


def card(body: str, card_id: str = "bad") -> str:
    """A card file with one card; body lines are indented under the card."""
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return f"cards:\n  - id: {card_id}\n{lines}"


BASIC = "front: q\nback: a\n"


@dataclass
class BuiltDeck:
    """A deck built once, with a snapshot of every file in it to compare after a failed build."""

    root: Path

    def snapshot(self) -> dict[str, bytes]:
        return {str(p.relative_to(self.root)): p.read_bytes()
                for p in sorted(self.root.rglob("*")) if p.is_file() and "cards" not in p.parts}


@pytest.fixture
def built(tmp_path: Path) -> BuiltDeck:
    write_deck(tmp_path, {"good.yaml": GOOD_CARDS})
    result = run_build(tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dist" / "deck.apkg").is_file() and (tmp_path / "cards.lock").is_file()
    return BuiltDeck(tmp_path)


def _symlink_out_of_media(root: Path) -> None:
    (root / "secret.png").write_bytes(b"\x89PNG not really")
    os.symlink(root / "secret.png", root / "media" / "link.png")


def _folder_of_links(root: Path) -> None:
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "pic.png").write_bytes(b"\x89PNG")
    os.symlink(root / "elsewhere", root / "media" / "pics")


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
cards: *i
"""

# (content of cards/bad.yaml, extra setup, "line:" or "line:col:", part of the message)
REFUSED = [
    pytest.param("", None, "1:", "the file is empty", id="empty-file"),
    pytest.param("# nothing but a comment\n", None, "1:", "the file is empty", id="only-comment"),
    pytest.param(b"cards:\n  - id: bad\n    front: caf\xe9\n    back: a\n", None, "3:",
                 "not valid UTF-8", id="invalid-utf8"),
    pytest.param("cards:\n\t- id: bad\n\t  front: q\n\t  back: a\n", None, "2:1:",
                 "YAML indents with spaces only", id="tab-indent"),
    pytest.param(card("front: q\n\tback: a"), None, "4:5:", "YAML indents with spaces only",
                 id="tab-indent-one-line"),
    pytest.param(card(BASIC) + "---\n" + card(BASIC, "bad-two"), None, "5:1:",
                 "a card file is one YAML document", id="several-documents"),
    pytest.param("- id: bad\n  front: q\n  back: a\n", None, "1:",
                 "must be a mapping with a 'cards:' list, not a list", id="top-level-list"),
    pytest.param("cards: " + "[" * 10_000 + "]" * 10_000 + "\n", None, "1:",
                 "nested more than 100 levels deep", id="nested-10000-flow"),
    pytest.param("cards:\n" + "- " * 10_000 + "x\n", None, "2:",
                 "nested more than 100 levels deep", id="nested-10000-block"),
    pytest.param("cards:\n  - id: bad\n    notes: " + "{a: " * 10_000 + "}" * 10_000 + "\n",
                 None, "3:", "nested more than 100 levels deep", id="nested-10000-mappings"),
    pytest.param(BILLION_LAUGHS, None, "1:4:", "anchors and aliases (&, *) are not supported",
                 id="billion-laughs"),
    pytest.param(card("!!merge <<: {front: q}\nback: a"), None, "3:5:",
                 "could not determine a constructor for the tag", id="merge-key"),
    pytest.param(card('front: "a\\0b"\nback: a'), None, "3:5:",
                 "'front' contains the invisible control character U+0000", id="nul-escaped"),
    pytest.param(b"cards:\n  - id: bad\n    front: a\x00b\n    back: a\n", None, "3:13:",
                 "U+0000 is a control character", id="nul-raw"),
    pytest.param(card('front: q\nback: "one\\x1ftwo"'), None, "4:5:",
                 "'back' contains the invisible control character U+001F", id="field-separator"),
    pytest.param(card('front: q\nback: a\ntags: ["ok\\x07"]'), None, "5:5:",
                 "control character U+0007", id="bell-in-tag"),
    pytest.param(card("front: caf\u00e9 \x1b[31m\nback: a"), None, "3:",
                 "U+001B is a control character", id="escape-raw"),
    pytest.param(card(BASIC, "two words"), None, "2:5:", "'id' 'two words' is not valid",
                 id="id-with-space"),
    pytest.param(card(BASIC, "Signing-Date"), None, "2:5:", "lowercase letters, digits and "
                 "single hyphens", id="id-with-capitals"),
    pytest.param(card(BASIC, "caf\u00e9"), None, "2:5:", "'id' 'caf\u00e9' is not valid",
                 id="id-non-ascii"),
    pytest.param(card(BASIC + "tags: [two words]"), None, "5:5:",
                 "'tags' item 1 'two words' is not valid: An Anki tag: no spaces",
                 id="tag-with-space"),
    pytest.param(card(BASIC + "image: /etc/passwd"), None, "5:5:",
                 "image '/etc/passwd' must be a file name in media/, not an absolute path",
                 id="media-absolute"),
    pytest.param(card(BASIC + "image: ../cards/deck.yaml"), None, "5:5:",
                 "leaves media/ ('..' is not allowed)", id="media-dotdot"),
    pytest.param(card(BASIC + "image: link.png"), _symlink_out_of_media, "5:5:",
                 "image 'link.png' leaves media/ (through a link)", id="media-symlink"),
    pytest.param(card(BASIC + "image: pics/pic.png"), _folder_of_links, "5:5:",
                 "leaves media/ (through a link)", id="media-symlinked-folder"),
    pytest.param(card(BASIC + "image: figures.png"),
                 lambda root: (root / "media" / "figures.png").mkdir(), "5:5:",
                 "image 'figures.png' is not a file", id="media-folder"),
    pytest.param(card(BASIC + "audio: speech.exe"),
                 lambda root: (root / "media" / "speech.exe").write_bytes(b"MZ"), "5:5:",
                 "audio 'speech.exe' has a type Anki cannot show as audio", id="media-extension"),
    pytest.param(card(BASIC + "image: talk.mp3"),
                 lambda root: (root / "media" / "talk.mp3").write_bytes(b"ID3"), "5:5:",
                 "image 'talk.mp3' has a type Anki cannot show as image", id="media-wrong-kind"),
    pytest.param(card('cloze: "{{c0::Moscow}}"'), None, "3:5:",
                 "cloze numbers start at 1", id="cloze-c0"),
    pytest.param(card('cloze: "Signed in {{c1::Moscow"'), None, "3:5:",
                 "a cloze deletion is not closed", id="cloze-unclosed"),
    pytest.param(card('cloze: "{{c1::Moscow} in {{c2::1950}}"'), None, "3:5:",
                 "a cloze deletion is not closed", id="cloze-half-closed"),
    pytest.param(card('cloze: "Signed in Moscow"'), None, "3:5:",
                 "'cloze' has no deletion", id="cloze-without-deletion"),
    pytest.param(card('cloze: "[treaty]: {{c1::Moscow}}"'), None, "2:5:",
                 "no cloze deletion is left once the Markdown is rendered",
                 id="cloze-lost-in-markdown"),
]


@pytest.mark.parametrize(("content", "setup", "where", "message"), REFUSED)
def test_wrong_input_is_refused_and_nothing_changes(built: BuiltDeck, content, setup, where,
                                                    message):
    root = built.root
    data = content.encode("utf-8") if isinstance(content, str) else content
    (root / "cards" / "bad.yaml").write_bytes(data)
    if setup:
        setup(root)
    before = built.snapshot()

    result = run_build(root)

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert "Traceback" not in result.output
    assert f"{root / 'cards' / 'bad.yaml'}:{where}" in result.output
    assert message in result.output
    assert "nothing was written" in result.output
    assert built.snapshot() == before  # package and cards.lock byte for byte, no stray files

    first = run_build(root, root / "fresh" / "deck.apkg", root / "fresh" / "cards.lock")
    assert first.exit_code == 1, first.output
    assert not (root / "fresh").exists()


@pytest.mark.parametrize(("content", "setup", "where", "message"), REFUSED)
def test_wrong_input_is_a_deck_error_in_the_core(tmp_path: Path, content, setup, where, message):
    write_deck(tmp_path, {"bad.yaml": content})
    if setup:
        setup(tmp_path)
    with pytest.raises(DeckError) as raised:
        prepare(tmp_path / "cards", tmp_path / "media", tmp_path / "cards.lock")
    problem = next(p for p in raised.value.problems if p.file.endswith("bad.yaml"))
    assert str(problem).startswith(f"{tmp_path / 'cards' / 'bad.yaml'}:{where}")
    assert message in problem.message


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
