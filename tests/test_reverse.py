"""The second card of a basic note: `reverse: true` (the back is asked) or a question and an
answer of its own (`reverse: {question, answer}`), built, imported into a real Anki collection
and shown in a real browser with the package's CSS and no script of the card's own."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from helpers import (
    anki_collection,
    chromium,
    imported_note,
    needs_chromium,
    run_build,
    write_deck,
)

from deckbuilder import DeckError
from deckbuilder.notes import CSS
from deckbuilder.source import load_deck

CARDS_YAML = """\
tags: [treaty::dates]
cards:
  - id: signing-date
    front: On what day was the treaty signed?
    back: 14 February 1950
    reverse:
      question: Which treaty was signed in the Kremlin on **14 February 1950**?
      answer: The Sino-Soviet Treaty of 1950
    sources: [treaty-text]
  - id: legacy
    front: Who signed the treaty for China?
    back: Zhou Enlai
    reverse: true
    sources: [treaty-text]
"""


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("reverse")
    write_deck(root, {"cards.yaml": CARDS_YAML})
    result = run_build(root)
    assert result.exit_code == 0, result.output
    with anki_collection(root / "dist" / "deck.apkg", root / "anki") as col:
        notes = {card_id: imported_note(col, card_id) for card_id in ("signing-date", "legacy")}
        yield {card_id: {"Reverse": note["Reverse"],
                         "cards": {c.ord: (c.question(), c.answer()) for c in note.cards()}}
               for card_id, note in notes.items()}


def test_a_reverse_mapping_fills_the_reverse_field_with_question_and_answer(imported):
    assert imported["signing-date"]["Reverse"] == (
        '<div class="reverse-question">Which treaty was signed in the Kremlin on '
        "<strong>14 February 1950</strong>?</div>"
        '<div class="reverse-answer">The Sino-Soviet Treaty of 1950</div>')
    assert imported["legacy"]["Reverse"] == "y"  # `reverse: true` as before


def test_anki_makes_both_cards_of_each_form(imported):
    for card_id in ("signing-date", "legacy"):
        assert sorted(imported[card_id]["cards"]) == [0, 1]


def _cards(imported, card_id):
    return imported[card_id]["cards"]


def test_the_reverse_card_holds_its_question_and_answer(imported):
    question, answer = _cards(imported, "signing-date")[1]
    assert "reverse-question" in question and "Which treaty was signed" in question
    assert 'id="answer"' in answer and "reverse-answer" in answer
    forward_q, forward_a = _cards(imported, "signing-date")[0]
    assert "Which treaty" not in forward_q + forward_a  # the forward card never shows it


def _seen(card_html: str, tmp: Path) -> str:
    """What a reader sees of a card in Chromium: the page's innerText after layout, which
    leaves out what the CSS hides (display: none, visibility: hidden)."""
    page = tmp / "card.html"
    page.write_text(
        f"<!doctype html><meta charset=utf-8><style>{CSS}</style>"
        f'<body class="card">{card_html}<pre id="seen"></pre>'
        "<script>document.getElementById('seen').textContent = "
        "JSON.stringify(document.body.innerText)</script>", "utf-8")
    dom = chromium("--dump-dom", page.resolve().as_uri())
    found = re.search(r'<pre id="seen">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    seen = json.loads(html.unescape(found.group(1)))
    return " ".join(seen.split())


@needs_chromium
def test_a_browser_shows_the_reverse_question_and_hides_its_answer(imported, tmp_path):
    question, answer = _cards(imported, "signing-date")[1]
    # The answer side's own script (Anki adds none to a template) is not needed: the card's
    # question shows only the reverse question, the answer side both, question first.
    assert _seen(question, tmp_path) == (
        "Which treaty was signed in the Kremlin on 14 February 1950?")
    seen = _seen(answer, tmp_path)
    assert seen.startswith("Which treaty was signed in the Kremlin on 14 February 1950? "
                           "The Sino-Soviet Treaty of 1950"), seen
    assert "On what day" not in seen and "\n14 February 1950\n" not in seen


@needs_chromium
def test_a_browser_shows_a_legacy_reverse_card_as_before(imported, tmp_path):
    question, answer = _cards(imported, "legacy")[1]
    assert _seen(question, tmp_path) == "Zhou Enlai"  # the lone "y" is not shown
    assert _seen(answer, tmp_path).startswith("Zhou Enlai Who signed the treaty for China?")


@pytest.mark.parametrize("reverse, message", [
    ("{question: q}", "'reverse' has no 'answer'"),
    ("{question: q, answer: a, hint: h}", "'reverse' has an unknown key 'hint'"),
    ("{question: '  ', answer: a}", "'reverse' 'question' is empty"),
    ("maybe", "'reverse' must be true or false, not 'maybe' (or a mapping with 'question' and "
              "'answer')"),
])
def test_a_bad_reverse_mapping_is_refused(tmp_path, reverse, message):
    write_deck(tmp_path, {"cards.yaml": (
        "cards:\n  - id: a\n    front: f\n    back: b\n    sources: [treaty-text]\n"
        f"    reverse: {reverse}\n")})
    with pytest.raises(DeckError) as caught:
        load_deck(tmp_path / "cards", tmp_path / "media")
    assert message in str(caught.value)
