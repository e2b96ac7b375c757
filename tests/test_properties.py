"""Property-based tests: any cards either build and survive a real Anki import with their text
intact, or fail with a clean DeckError; the Markdown fast path agrees with markdown-it."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path

import yaml
from helpers import DECK_ID, anki_collection, notes_by_guid, visible_text, write_deck
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deckbuilder import DeckError
from deckbuilder.build import build
from deckbuilder.notes import guid_for
from deckbuilder.render import markdown

ANKI = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- Markdown: the fast path ---------------------------------------------------------------

def _markdown_it(text: str) -> str:
    """What markdown() promises: markdown-it's HTML of the NFC text, a lone paragraph unwrapped,
    typed [sound:]/[anki:] tags kept from playing, MathJax kept as typed, serialised as a
    browser would."""
    from markdown_it import MarkdownIt

    from deckbuilder.render import _as_browser_serialises, _math, _math_html

    parser = MarkdownIt("commonmark", {"html": False, "xhtmlOut": False})
    parser.inline.ruler.before("escape", "math", _math)
    parser.add_render_rule("math", _math_html)
    rendered = parser.render(unicodedata.normalize("NFC", text))
    if (rendered.startswith("<p>") and rendered.endswith("</p>\n")
            and "<p>" not in rendered[3:]):
        rendered = rendered[3:-5]
    rendered = re.sub(r"\[(?=sound:|anki:)", "<span>[</span>", rendered.rstrip("\n"))
    return _as_browser_serialises(rendered)  # as a browser writes it back (test_editor_roundtrip)


# Characters that decide between the fast path and the parser, and plain ones around them.
_TRICKY = st.sampled_from(list("abcXYZ019 .)(-+=:;,?!'\"/%@$^|{}\n\t\r\u00a0\u2028é\u0301中😀")
                          + list("&<>*_`#~[]\\"))
_MOSTLY_PLAIN = st.sampled_from(list("abcdefXYZ0129 .,;:?'\"()-+=/%$@|{}\u00a0é中😀\n"))


@settings(max_examples=500)
@given(st.text(_TRICKY, max_size=40))
def test_markdown_matches_markdown_it(text: str):
    assert markdown(text) == _markdown_it(text)


@settings(max_examples=500)
@given(st.text(_TRICKY.filter(lambda c: c not in "\r\n"), min_size=1, max_size=40))
def test_one_line_matches_markdown_it(text: str):
    # One line takes the inline-only path unless it could open a block.
    assert markdown(text) == _markdown_it(text)


@given(st.text(_MOSTLY_PLAIN, min_size=1, max_size=60))
def test_fast_path_matches_markdown_it(text: str):
    from deckbuilder.render import _MARKUP

    assume(not _MARKUP.search(text))  # only what the fast path handles
    assert markdown(text) == _markdown_it(text)


# --- Cards: round trip through Anki ---------------------------------------------------------

# Text built from pieces whose visible text is known without a Markdown parser: words (no
# markup characters), emphasis, code, links, and the characters HTML must escape.
_word = st.text(st.characters(categories=["L", "N"], exclude_characters="_"),
                min_size=1, max_size=8)
_plain = st.text(st.characters(categories=["L", "N", "Zs", "Pd", "Po", "Sc", "Sm"],
                               exclude_characters="*_`\\[]<>&!#~:|+=-"),
                 min_size=1, max_size=8).filter(lambda s: s.strip())
_piece = st.one_of(
    _plain.map(lambda w: (w, w)),
    _word.map(lambda w: (f"**{w}**", w)),
    _word.map(lambda w: (f"*{w}*", w)),
    _plain.map(lambda w: (f"`{w}`", w)),
    _word.map(lambda w: (f"[{w}](https://example.org/{w})", w)),
    st.sampled_from(["&", "<", ">", "\"", "'", "a&b", "<b>", "{{c9::x}}"]).map(lambda s: (s, s)),
    st.just(("\n", " ")),
    st.just(("\n\n", " ")),
)


def _seen(visible: str) -> str:
    """Visible text as the reader gets it: spaces collapsed, in Unicode NFC (as Anki keeps it)."""
    return unicodedata.normalize("NFC", " ".join(visible.split()))


@st.composite
def _text(draw) -> tuple[str, str]:
    """(Markdown, its visible text before spaces collapse). Starts with a word so no line opens
    a block."""
    first = draw(_word)
    pieces = draw(st.lists(_piece, max_size=6))
    source, visible = [first], [first]
    for typed, shown in pieces:
        source.append(typed if typed.startswith("\n") else f" {typed}")
        visible.append(shown if shown == " " else f" {shown}")
        if typed.startswith("\n"):  # a line starts here: make it a word too
            word = draw(_word)
            source.append(word)
            visible.append(word)
    return "".join(source), "".join(visible)


_ids = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
# One case only: Anki's tags are case-insensitive across the collection, so 'A' on one note and
# 'a' on another become one tag, spelled as Anki first met it.
_tags = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,6}(::[a-z0-9]{1,4})?", fullmatch=True),
                 max_size=3, unique=True)


@st.composite
def _deck(draw) -> list[tuple[dict, dict]]:
    """Cards as written, each with the visible text expected of its fields."""
    cards = []
    for card_id in draw(st.lists(_ids, min_size=1, max_size=4, unique=True)):
        tags = draw(_tags)
        if draw(st.booleans()):
            (front, front_seen), (back, back_seen) = draw(_text()), draw(_text())
            card = {"id": card_id, "front": front, "back": back,
                    "reverse": draw(st.booleans())}
            expected = {"Front": _seen(front_seen), "Back": _seen(back_seen)}
        else:
            (before, before_seen), (hidden, hidden_seen) = draw(_text()), draw(_text())
            card = {"id": card_id, "cloze": f"{before} {{{{c1::{hidden}}}}}"}
            # Collapse spaces over the whole field: a space ending the hidden text stays there.
            expected = {"Text": _seen(f"{before_seen} {{{{c1::{hidden_seen}}}}}")}
        if draw(st.booleans()):
            card["notes"], notes_seen = draw(_text())
            expected["Notes"] = _seen(notes_seen)
        if tags:
            card["tags"] = tags
        cards.append((card, {"fields": expected, "tags": tags}))
    return cards


@ANKI
@given(_deck())
def test_cards_round_trip_through_anki(deck: list[tuple[dict, dict]]):
    text = yaml.safe_dump({"cards": [card for card, _ in deck]}, allow_unicode=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_deck(root, {"cards.yaml": text})
        try:
            result = build(root / "cards", root / "media", root / "deck.apkg",
                           root / "cards.lock", now=1_700_000_000)
        except DeckError as e:  # allowed, but these cards are all valid: say which rule refused
            raise AssertionError(f"valid cards refused:\n{e}\n{text}") from None
        written = {note.card_id: note for note in result.notes}
        with anki_collection(root / "deck.apkg", root / "anki") as col:
            assert col.note_count() == len(deck)
            assert col.card_count() == result.card_count
            imported = notes_by_guid(col)
            for card, expected in deck:
                note = imported[guid_for(DECK_ID, card["id"])]
                for name, seen in expected["fields"].items():
                    assert visible_text(note[name]) == seen, (name, note[name], card)
                assert list(note.fields) == list(written[card["id"]].fields)
                assert sorted(note.tags, key=str.lower) == sorted(expected["tags"],
                                                                   key=str.lower)


# --- Cards: build or fail cleanly ------------------------------------------------------------

_KEYS = ["id", "front", "back", "reverse", "cloze", "extra", "notes", "tags", "sources",
         "image", "audio", "retired", "anwser"]
_scalars = st.one_of(st.text(max_size=30), st.booleans(), st.none(), st.integers(),
                     st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,4})?", fullmatch=True),
                     st.sampled_from(["{{c1::x}}", "{{c0::x}}", "{{c1::", "[sound:a.mp3]",
                                      "a.png", "../a.png", "/etc/passwd", "ref", "x\x00y"]))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
_any_card = st.dictionaries(st.sampled_from(_KEYS), _values, max_size=7)
# Valid cards too, or every example fails validation and the build is never reached.
_valid_card = st.one_of(
    st.fixed_dictionaries({"id": _ids, "front": _word, "back": _word},
                          optional={"reverse": st.booleans(), "notes": _word, "tags": _tags,
                                    "image": st.just("a.png"), "audio": st.just("a.mp3"),
                                    "sources": st.just(["treaty-text"]), "retired": st.booleans()}),
    st.fixed_dictionaries({"id": _ids, "cloze": _word.map(lambda w: f"{{{{c1::{w}}}}}")},
                          optional={"extra": _word, "tags": _tags}))
_raw_cards = st.lists(st.one_of(_valid_card, _valid_card, _any_card), max_size=4)


def test_any_card_file_builds_or_fails_cleanly():
    outcomes = {"built": 0, "refused": 0}

    @settings(max_examples=60, deadline=None)
    @given(_raw_cards, st.one_of(st.none(), st.none(), st.binary(max_size=60)))
    def builds_or_fails_cleanly(cards: list, junk: bytes | None):
        files: dict[str, str | bytes] = {
            "cards.yaml": yaml.safe_dump({"cards": cards}, allow_unicode=True)}
        if junk is not None:
            files["junk.yaml"] = junk
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_deck(root, files, {"a.png": b"\x89PNG", "a.mp3": b"ID3"})
            try:
                result = build(root / "cards", root / "media", root / "deck.apkg",
                               root / "cards.lock", now=1_700_000_000)
            except DeckError as e:
                assert e.problems and all(p.file and p.message for p in e.problems)
                assert not (root / "deck.apkg").exists() and not (root / "cards.lock").exists()
                outcomes["refused"] += 1
            else:
                assert (root / "deck.apkg").is_file() and result.notes
                outcomes["built"] += 1

    builds_or_fails_cleanly()
    # Both branches ran (under CI's fixed examples too): each outcome was really checked.
    assert outcomes["built"] >= 2 and outcomes["refused"] >= 2, outcomes
