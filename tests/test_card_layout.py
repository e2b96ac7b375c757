"""How a card's sides lay out on a phone-sized screen: built, imported into a real Anki
collection, and shown in Chromium with the package's CSS, scrolled as Anki's reviewer scrolls
when it shows the answer (reviewer.js: document.getElementById("answer").scrollIntoView())."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from helpers import anki_collection, chromium, imported_note, needs_chromium, run_build, write_deck

from deckbuilder.notes import CSS

# Notes long enough that each answer side is taller than the screen.
NAME = "中苏友好同盟互助条约"
LONG = " ".join(["The notes run on past the bottom of a phone's screen."] * 30)
CARDS_YAML = f"""\
tags: [treaty::names]
cards:
  - id: chinese-name
    front: What is the English name of the treaty called **{NAME}** in Chinese, or of
      **{NAME}**, or of the **{NAME}**, or of a **{NAME}**?
    back: The Sino-Soviet Treaty of Friendship, Alliance and Mutual Assistance
    notes: {LONG}
    reverse:
      question: How is the treaty named in Chinese, in simplified characters?
      answer: {NAME}
    sources: [treaty-text]
  - id: island
    cloze: The island of 1969 lies in the {{{{c1::Ussuri}}}} River.
    notes: {LONG}
    sources: [treaty-text]
"""

_MEASURE = """
<pre id="measured"></pre>
<script>
const answer = document.getElementById("answer");
if (answer) answer.scrollIntoView();
const topOf = sel => {
  const e = document.querySelector(sel);
  return e && e.getBoundingClientRect().top;
};
document.getElementById("measured").textContent = JSON.stringify({
  scrolled: window.scrollY,
  prompt: topOf(".prompt:not(.reverse-back), .reverse-question, .reverse-back"),
  cloze: topOf(".cloze"),
  names: [...document.querySelectorAll("strong")].map(s => s.getClientRects().length),
});
</script>"""


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    write_deck(root, {"cards.yaml": CARDS_YAML})
    result = run_build(root)
    assert result.exit_code == 0, result.output
    with anki_collection(root / "dist" / "deck.apkg", root / "anki") as col:
        yield {card_id: [(c.question(), c.answer()) for c in imported_note(col, card_id).cards()]
               for card_id in ("chinese-name", "island")}


def _laid_out(card_html: str, tmp: Path) -> dict:
    page = tmp / "card.html"
    # Headless Chromium keeps its window at least 500 px wide: the card is held to a phone's.
    page.write_text(f"<!doctype html><meta charset=utf-8><style>{CSS}</style>"
                    "<style>html { width: 390px; }</style>"
                    f'<body class="card">{card_html}{_MEASURE}', "utf-8")
    dom = chromium("--window-size=390,700", "--dump-dom", page.resolve().as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


@needs_chromium
@pytest.mark.parametrize("card_id, ord", [("chinese-name", 0), ("chinese-name", 1),
                                          ("island", 0)])
def test_the_answer_side_opens_with_the_question_on_screen(sides, tmp_path, card_id, ord):
    seen = _laid_out(sides[card_id][ord][1], tmp_path)
    # Anki's scroll may take the card's top padding away, never a line of the question.
    assert seen["prompt"] is not None and -10 < seen["prompt"] < 100, seen


@needs_chromium
def test_the_words_a_cloze_reveals_stay_on_screen(sides, tmp_path):
    seen = _laid_out(sides["island"][0][1], tmp_path)
    assert seen["cloze"] is not None and 0 <= seen["cloze"] < 200, seen


@needs_chromium
def test_a_chinese_name_is_not_broken_across_lines_on_a_phone(sides, tmp_path):
    seen = _laid_out(sides["chinese-name"][0][0], tmp_path)
    assert seen["names"] == [1, 1, 1, 1], seen
