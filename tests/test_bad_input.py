"""The one table of bad input: each case refused the same way by the core, `build` and `check`,
with file, line (and column and card where known) and a message; nothing written, no traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import BASIC, CARDS_YAML, GOOD, BuiltDeck, card, deck_media, run_build, write_deck

from deckbuilder import DeckError
from deckbuilder.build import prepare
from deckbuilder.cli import cli


def _symlink_out_of_media(root: Path) -> None:
    (root / "secret.png").write_bytes(b"\x89PNG not really")
    os.symlink(root / "secret.png", root / "media" / "link.png")


def _folder_of_links(root: Path) -> None:
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "pic.png").write_bytes(b"\x89PNG")
    os.symlink(root / "elsewhere", root / "media" / "pics")


def _fifo(root: Path) -> None:
    (root / "cards" / "bad.yaml").unlink()
    os.mkfifo(root / "cards" / "bad.yaml")


def _link_to(target: str):
    def setup(root: Path) -> None:
        (root / "cards" / "bad.yaml").unlink()
        os.symlink(target, root / "cards" / "bad.yaml")
    return setup


def _grow(size: int):
    def setup(root: Path) -> None:
        with open(root / "cards" / "bad.yaml", "r+b") as f:
            f.truncate(size)  # sparse: no disk used
    return setup


def _media_link(name: str, target: str):
    return lambda root: os.symlink(target, root / "media" / name)


def _media_copy(name: str, copy: str):
    def setup(root: Path) -> None:
        (root / "media" / copy).write_bytes((root / "media" / name).read_bytes())
    return setup


def _media_of_size(name: str, size: int):
    def setup(root: Path) -> None:
        with open(root / "media" / name, "wb") as f:
            f.truncate(size)
    return setup


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

# (content of cards/bad.yaml, extra setup, where: "line:", "line:col:" or "line:col: card 'id':",
# part of the message)
BAD_INPUT = [
    pytest.param("# nothing but a comment\n", None, "1:", "the file is empty", id="only-comment"),
    pytest.param(b"cards:\n  - id: bad\n    front: caf\xe9\n    back: a\n", None, "3:",
                 "not valid UTF-8", id="invalid-utf8"),
    pytest.param("cards:\n\t- id: bad\n\t  front: q\n\t  back: a\n", None, "2:1:",
                 "YAML indents with spaces only", id="tab-indent"),
    pytest.param(card("front: q\n\tback: a"), None, "4:5:", "YAML indents with spaces only",
                 id="tab-indent-one-line"),
    pytest.param(card(BASIC) + "---\n" + card(BASIC, "bad-two"), None, "5:1:",
                 "a card file is one YAML document", id="several-documents"),
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
    pytest.param(card(BASIC + "image: /etc/passwd"), None, "5:5:",
                 "image '/etc/passwd' must be a file name in media/, not an absolute path",
                 id="media-absolute"),
    pytest.param(card(BASIC + "image: ../cards/deck.yaml"), None, "5:5:",
                 "leaves media/ ('..' is not allowed)", id="media-dotdot"),
    pytest.param(card(BASIC + "image: link.png"), _symlink_out_of_media, "5:5:",
                 "image 'link.png' leaves media/ (through a link)", id="media-symlink"),
    pytest.param(card(BASIC + "image: pics/pic.png"), _folder_of_links, "5:5:",
                 "leaves media/ (through a link)", id="media-symlinked-folder"),
    pytest.param(card(BASIC + "image: dangling.svg"), _media_link("dangling.svg", "gone.svg"),
                 "5:5:", "image 'dangling.svg' is a link to a file that does not exist "
                 "(gone.svg)", id="media-dangling-link"),
    pytest.param(card(BASIC + "image: figures.png"),
                 lambda root: (root / "media" / "figures.png").mkdir(), "5:5:",
                 "image 'figures.png' is not a file", id="media-folder"),
    pytest.param(card(BASIC + "audio: speech.exe"),
                 lambda root: (root / "media" / "speech.exe").write_bytes(b"MZ"), "5:5:",
                 "audio 'speech.exe' has a type Anki cannot show as audio", id="media-extension"),
    pytest.param(card(BASIC + "image: talk.mp3"),
                 lambda root: (root / "media" / "talk.mp3").write_bytes(b"ID3"), "5:5:",
                 "image 'talk.mp3' has a type Anki cannot show as image", id="media-wrong-kind"),
    pytest.param(card('cloze: "{{c1::Moscow} in {{c2::1950}}"'), None, "3:5:",
                 "a cloze deletion is not closed", id="cloze-half-closed"),
    pytest.param(card('cloze: "[treaty]: {{c1::Moscow}}"'), None, "2:5:",
                 "no cloze deletion is left once the Markdown is rendered",
                 id="cloze-lost-in-markdown"),
    pytest.param('cards:\n  - id: a\n    front: [x\n',
                 None, '4:1:',
                 "YAML syntax error: did not find expected ',' or ']' (while parsing a "
                 'flow sequence at line 3, column 12)',
                 id='yaml-syntax'),
    pytest.param('',
                 None, '1:',
                 "the file is empty; it needs a 'cards:' list",
                 id='empty-file'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: A\n    tags: [two words]\n',
                 None, "5:5: card 'a':",
                 "'tags' item 1 'two words' is not valid: An Anki tag: no spaces",
                 id='tag-with-space'),
    pytest.param('cards: some text\n',
                 None, '1:1:',
                 "'cards' must be a list, not text",
                 id='cards-not-a-list'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: [one, two]\n',
                 None, "4:5: card 'a':",
                 "'back' must be text, not a list",
                 id='wrong-type'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: yes\n',
                 None, "4:5: card 'a':",
                 "'back' must be text, not yes/no (put it in quotes)",
                 id='bool-for-text'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    bakc: A\n',
                 None, "4:5: card 'a':",
                 "unknown key 'bakc' (did you mean 'back'?)",
                 id='unknown-key'),
    pytest.param('cards:\n  - front: Q\n    back: A\n',
                 None, '2:5:',
                 "card has no 'id'",
                 id='missing-id'),
    pytest.param('cards:\n  - id: Bad Id\n    front: Q\n    back: A\n',
                 None, "2:5: card 'Bad Id':",
                 "'id' 'Bad Id' is not valid",
                 id='bad-id'),
    pytest.param('cards:\n  - id: good-card\n    front: A question\n    back: An answer\n'
                 '    sources: [treaty-text]\n  - id: good-card\n    front: Q2\n    back: A2\n',
                 None, "6:5: card 'good-card':",
                 'duplicate id; first used at',
                 id='duplicate-id'),
    pytest.param("cards:\n  - id: a\n    front: Q\n    back: A\n    cloze: '{{c1::x}}'\n",
                 None, "2:5: card 'a':",
                 "has both 'front'/'back' and 'cloze'",
                 id='front-and-cloze'),
    pytest.param('cards:\n  - id: a\n    cloze: no deletion here\n',
                 None, "3:5: card 'a':",
                 "'cloze' has no deletion",
                 id='cloze-without-deletion'),
    pytest.param("cards:\n  - id: a\n    cloze: '{{c0::x}}'\n",
                 None, "3:5: card 'a':",
                 'cloze numbers start at 1',
                 id='cloze-c0'),
    pytest.param("cards:\n  - id: a\n    cloze: '{{c1::x'\n",
                 None, "3:5: card 'a':",
                 'a cloze deletion is not closed',
                 id='cloze-unclosed'),
    pytest.param("cards:\n  - id: a\n    cloze: '{{c1::x}}'\n    reverse: true\n",
                 None, "4:5: card 'a':",
                 "'reverse' only applies to front/back cards",
                 id='reverse-on-cloze'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: A\n    sources: [treaty-txt]\n',
                 None, "5:5: card 'a':",
                 "unknown source 'treaty-txt': define it under 'sources' in deck.yaml "
                 "(did you mean 'treaty-text'?)",
                 id='unknown-source'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: A\n    image: missing.png\n',
                 None, "5:5: card 'a':",
                 "image 'missing.png' not found in",
                 id='missing-media'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: A\n    image: ../secret.png\n',
                 None, "5:5: card 'a':",
                 "image '../secret.png' leaves media/",
                 id='media-leaves-folder'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: A\n    audio: /etc/passwd\n',
                 None, "5:5: card 'a':",
                 "audio '/etc/passwd' must be a file name in media/",
                 id='audio-absolute'),
    pytest.param('cards:\n  - id: a\n    front: Q\n',
                 None, "2:5: card 'a':",
                 "has no 'back'",
                 id='front-without-back'),
    pytest.param('cards:\n  - id: a\n    front: Q\n    back: A\n    front: Q again\n',
                 None, "5:5: card 'a':",
                 "key 'front' is given twice",
                 id='duplicate-key'),
    pytest.param('cards: []\n',
                 None, '1:1:',
                 "'cards' must not be empty",
                 id='empty-list'),
    pytest.param('- id: a\n',
                 None, '1:',
                 "must be a mapping with a 'cards:' list, not a list",
                 id='top-level-list'),
    pytest.param(card(BASIC + "image: timelin.png"), None,
                 "5:5: card 'bad': image 'timelin.png' not found in",
                 "media (did you mean 'timeline.png'?)",
                 id="missing-media-suggestion"),
    pytest.param(card(BASIC + "reverse: yes please"), None, "5:5: card 'bad':",
                 "'reverse' must be true or false, not 'yes please'", id="bool-not-yes-please"),
    pytest.param(card(BASIC + "was: bad"), None, "5:5: card 'bad':",
                 "'was' names the card's own id", id="was-own-id"),
    pytest.param(card(BASIC + "was: nope"), None, "2:5: card 'bad':",
                 "has no card 'nope' to rename", id="was-unknown"),
    pytest.param(card(BASIC + "was: signing-date"), None, "2:5: card 'bad':",
                 "'was: signing-date' names a card that is still in the cards", id="was-active"),
    pytest.param(card(BASIC + 'correction: "one\\ntwo"'), None, "5:5: card 'bad':",
                 "'correction' 'one\\ntwo' is not valid: one line", id="correction-two-lines"),
    pytest.param(card(BASIC + "correction: fixed"), None, "2:5: card 'bad':",
                 "'correction' is announced under a release: add 'version' to deck.yaml",
                 id="correction-without-version"),
    # Files that are no card file: nothing may hang, fill the memory or raise.
    pytest.param(GOOD, _fifo, "", "is not a regular file", id="fifo-as-card-file"),
    pytest.param(GOOD, _link_to("/dev/zero"), "", "is not a regular file",
                 id="dev-zero-as-card-file"),
    pytest.param(GOOD, _link_to("bad.yaml"), "", "is a symbolic link loop",
                 id="symlink-loop-card-file"),
    pytest.param(GOOD, _grow(65 << 20), "", "larger than the 64 MB allowed",
                 id="card-file-too-large"),
    # Ids and numbers the ledger or Anki could not take back.
    pytest.param("cards:\n  - id: |\n      bad\n    front: q\n    back: a\n", None, "2:5:",
                 "'id' 'bad\\n' is not valid", id="id-with-trailing-newline"),
    # Media: every use checked for its kind and its file.
    pytest.param(card(BASIC + "image: loop.png"), _media_link("loop.png", "loop.png"), "5:5:",
                 "image 'loop.png' is a symbolic link loop", id="media-symlink-loop"),
    pytest.param(card(BASIC + "image: pipe.png"), lambda root: os.mkfifo(root / "media" /
                                                                         "pipe.png"),
                 "5:5:", "image 'pipe.png' is not a regular file", id="media-fifo"),
    pytest.param(card(BASIC + "image: empty.png"),
                 lambda root: (root / "media" / "empty.png").write_bytes(b""), "5:5:",
                 "image 'empty.png' is an empty file", id="media-empty"),
    pytest.param(card(BASIC + "image: huge.png"), _media_of_size("huge.png", 101 << 20), "5:5:",
                 "image 'huge.png' is 101 MB, larger than the 100 MB allowed", id="media-huge"),
    pytest.param(card(BASIC + "audio: name.wav") + card(BASIC + "image: name.wav", "bad-two")[6:],
                 None, "10:5: card 'bad-two':", "image 'name.wav' has a type Anki cannot show",
                 id="media-as-audio-and-image"),
    # Markdown images go through the same rules, in every field.
    pytest.param(card('front: "![x](https://evil.example/x.png)"\nback: a'), None, "3:5:",
                 "image 'https://evil.example/x.png' is a URL, not a file in media/",
                 id="markdown-image-remote"),
    pytest.param(card('front: q\nback: "![x](//evil.example/x.png)"'), None, "4:5:",
                 "is a URL, not a file in media/", id="markdown-image-protocol-relative"),
    pytest.param(card('front: q\nback: a\nnotes: "![x](data:image/png;base64,AAAA)"'), None,
                 "5:5:", "is a URL, not a file in media/", id="markdown-image-data-uri"),
    pytest.param(card('cloze: "{{c1::x}} ![m](../cards/deck.yaml)"'), None, "3:5:",
                 "leaves media/ ('..' is not allowed)", id="markdown-image-dotdot"),
    pytest.param(card('front: q\nback: "see ![map](mapp.png)"'), None, "4:5:",
                 "image 'mapp.png' not found in", id="markdown-image-missing"),
    pytest.param(card('front: q\nback: "![s](name.wav)"'), None, "4:5:",
                 "image 'name.wav' has a type Anki cannot show as image",
                 id="markdown-image-of-audio"),
    # Cloze numbers as Anki will see them: ASCII digits, within its limit, after rendering.
    pytest.param(card('cloze: "{{c\uff11::x}}"'), None, "3:5:",
                 "is not written in ASCII digits", id="cloze-full-width-digit"),
    pytest.param(card('cloze: "{{c\u0661::x}}"'), None, "3:5:",
                 "is not written in ASCII digits", id="cloze-arabic-indic-digit"),
    pytest.param(card('cloze: "{{c1::a}} {{c&#55;&#48;&#48;&#48;&#48;::b}}"'), None, "2:5:",
                 "once the Markdown is rendered, as Anki sees it: cloze number 70000 is too high",
                 id="cloze-entity-too-high"),
    pytest.param(card('cloze: "{{c9999::x}}"'), None, "3:5:",
                 "cloze number 9999 is too high: Anki makes cards for c1 to c500 only",
                 id="cloze-9999"),
    pytest.param(card('front: q\nback: a\nsources: [treaty-text, westad, treaty-text]'), None,
                 "5:5: card 'bad':", "'sources' lists 'treaty-text' twice: list each once",
                 id="source-listed-twice"),
    pytest.param(card('front: q\nback: a\nimage: Timeline.png\nnotes: "![t](timeline.png)"'),
                 _media_copy("timeline.png", "Timeline.png"), "6:5: card 'bad':",
                 "'timeline.png' and 'Timeline.png' differ only by case",
                 id="media-names-differ-only-by-case"),
    pytest.param(card('cloze: "{{c1::a}} {{c&#48;::b}}"'), None, "2:5:",
                 "once the Markdown is rendered, as Anki sees it: cloze numbers start at 1",
                 id="cloze-entity-zero"),
]


@pytest.mark.parametrize(("content", "setup", "where", "message"), BAD_INPUT)
def test_bad_input_is_refused_by_build_and_nothing_changes(built: BuiltDeck, content, setup,
                                                           where, message):
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


@pytest.mark.parametrize(("content", "setup", "where", "message"), BAD_INPUT)
def test_check_prints_what_build_prints(built: BuiltDeck, content, setup, where, message,
                                        monkeypatch):
    root = built.root
    data = content.encode("utf-8") if isinstance(content, str) else content
    (root / "cards" / "bad.yaml").write_bytes(data)
    if setup:
        setup(root)
    before = built.snapshot()
    monkeypatch.chdir(root)  # relative paths, as typed in the deck's folder
    args = ["--cards", "cards", "--media", "media"]
    checked = CliRunner().invoke(cli, ["check", *args])
    building = CliRunner().invoke(cli, ["build", *args, "-o", "dist/deck.apkg"])
    assert checked.exit_code == 1, checked.output
    assert building.exit_code == 1, building.output
    assert checked.output == building.output
    assert f"{os.path.join('cards', 'bad.yaml')}:{where}" in checked.output
    assert message in checked.output
    assert "nothing was written" in checked.output
    assert built.snapshot() == before


@pytest.mark.parametrize(("content", "setup", "where", "message"), BAD_INPUT)
def test_bad_input_is_a_deck_error_in_the_core(tmp_path: Path, content, setup, where, message):
    write_deck(tmp_path, {"treaty.yaml": CARDS_YAML, "bad.yaml": content}, deck_media())
    if setup:
        setup(tmp_path)
    with pytest.raises(DeckError) as raised:
        prepare(tmp_path / "cards", tmp_path / "media", tmp_path / "cards.lock")
    prefix = f"{tmp_path / 'cards' / 'bad.yaml'}:{where}"
    problem = next(p for p in raised.value.problems if str(p).startswith(prefix))
    assert message in problem.message
