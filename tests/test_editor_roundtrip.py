"""Viewing a note never changes it: every field comes back byte for byte from a contenteditable
element in a real browser, as Anki's editor loads and saves it when a note is shown."""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import pytest
from helpers import chromium, needs_chromium, write_deck

from deckbuilder.build import make_notes
from deckbuilder.render import markdown

ROOT = Path(__file__).resolve().parent.parent

# Markdown that reaches every part of the renderer, and what people type that a browser would
# serialise otherwise: quotes, entities, non-breaking spaces, typed HTML and Anki syntax.
HANDPICKED = [
    'He said "no" and \'yes\'', "a &quot;b&quot; &amp; c &lt;d&gt;", "&#91;sound:x.mp3]",
    "[sound:x.mp3] and [anki:tts]hi[/anki:tts]", "non\u00a0breaking&nbsp;space &#160;",
    "&copy; &#x27; &#39; &apos; &hellip;", "line one  \nline two\\\nthree", "---", "***\n\n- a",
    "> quoted \"text\"\n>\n> - nested\n>   1. deeper", "1. one\n2. two\n   - sub *em*\n     > q",
    "```\ncode \"quoted\" & <tag>\n\ttabbed\n```", "    indented <b>code</b> &amp;",
    "`inline \"code\" &`", '[link "x"](https://example.org/?a=1&b="2" "title \'t\' & <u>")',
    "[ref][r]\n\n[r]: https://example.org/a&b 'Ref \"t\"'", "<https://example.org/?q=a&b=c>",
    "<b onclick=\"x\">raw</b> <script>alert(1)</script>", "# Heading \"h\"\n\nText\n\n## Two",
    "Setext\n======", "a\u2028b\u2029c", "tab\tin text", "trailing space ", "emoji 😀 é e\u0301",
    "{{c1::cloze \"q\"::hint &amp;}}", "*a **b** c*", "\\*not em\\*", "a<br>b", "<!-- c -->",
    "1) paren list\n2) two", "+ plus\n+ list", "- [ ] task", "&#0; &#xD800; &#1114112;",
    "\u00a0leading nbsp", "x\u00a0", "a > b < c", '"', "'", "&", "<", ">", "&amp;amp;",
    '![a "q" <b> & c\u00a0d](x.png)', "![](x.png)![*em* `c`](x.png 'title \"t\" <u>')",
    "[![linked](x.png)](https://example.org/?a&b)", "![ref][i]\n\n[i]: x.png",
]
# MathJax as people type it (issue 18): reaches the field verbatim, so it must come back so too.
MATH = [
    r"\(x^2\)", r"\(x_1 * y_2 * z\) and *em*", r"\[a<b & c > d\]", "\\[\n x_1 *a* \n\\]",
    r"\(\frac{1}{2}\) \(\text{\"quoted\"}\)", "\\(a\u00a0b\\)", r"{{c1::\(\sqrt{2}\)::root}}",
    "- \\(x\\)\n- \\[y\\]", r"\(\{a, b\}\) [\(x\)](https://example.org)", r"\\(not math\\)",
    r"$x_1$ and $y_2$ are *not* math", r"\(unclosed *em*",
]
# The media a Markdown image may show, by its name in the cards: as the build passes them.
IMAGES = {"x.png": "x-0123456789ab.png"}


def _random_texts(count: int) -> list[str]:
    """The property tests' alphabet, drawn at random (seeded: the same texts every run)."""
    rng = random.Random(1950)
    alphabet = list("abcXYZ019 .)(-+=:;,?!'\"/%@$^|{}\n\t\u00a0\u2028é\u0301中😀&<>*_`#~[]\\")
    atoms = ["**", "*", "`", "[a](http://x.org/?a=1&b=2)", "![i](x.png)", "&quot;", "&amp;",
             "&nbsp;", "&#91;", "<b>", "\n\n", "\n- ", "\n1. ", "\n> ", "\n```\n", "    ",
             "{{c1::", "}}", "[sound:", "  \n", "---", "&lt;", '"', "'", "\\(", "\\)",
             "\\[", "\\]"]
    texts = []
    for _ in range(count):
        pieces = [rng.choice(atoms) if rng.random() < 0.3 else rng.choice(alphabet)
                  for _ in range(rng.randint(1, 30))]
        texts.append("".join(pieces).replace("\r", ""))
    return texts


def _deck_fields(cards: Path, media: Path) -> set[str]:
    return {f for note in make_notes(cards, media).notes for f in note.fields}


def _through_contenteditable(fields: list[str], folder: Path) -> list[str]:
    page = folder / "editor.html"
    page.write_text(
        '<!doctype html><meta charset="utf-8"><body><pre id="out"></pre><script>'
        f"const fields = {json.dumps(fields)};".replace("</", "<\\/") +
        "const out = fields.map(f => { const e = document.createElement('div');"
        " e.contentEditable = 'true'; document.body.appendChild(e); e.innerHTML = f;"
        " const back = e.innerHTML; e.remove(); return back; });"
        "document.getElementById('out').textContent = JSON.stringify(out);</script>", "utf-8")
    dom = chromium("--dump-dom", page.resolve().as_uri())
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


@needs_chromium
def test_every_field_comes_back_from_a_contenteditable_unchanged(tmp_path):
    fields = _deck_fields(ROOT / "cards", ROOT / "media")
    assert len(fields) > 300  # the treaty deck, every field of every note
    fields |= _deck_fields(*write_deck(tmp_path / "test-deck"))
    fields |= {markdown(text, IMAGES) for text in HANDPICKED + MATH + _random_texts(3000)}
    assert sum('<img src="x-0123456789ab.png"' in f for f in fields) > 50
    ordered = sorted(fields)
    back = _through_contenteditable(ordered, tmp_path)
    assert len(back) == len(ordered)
    changed = [(ours, theirs) for ours, theirs in zip(ordered, back, strict=True) if ours != theirs]
    assert not changed, "\n".join(f"{a!r}\n -> {b!r}" for a, b in changed[:10])


def test_no_entity_a_browser_would_decode():
    """The rule the browser test checks, also without a browser: in text, '"' is bare."""
    assert markdown('He said "no"') == 'He said "no"'
    assert markdown('He said "no" *now*') == 'He said "no" <em>now</em>'
    assert markdown("a\u00a0b") == "a&nbsp;b"
    assert markdown("one  \ntwo") == "one<br>\ntwo"
    assert markdown("[sound:x.mp3]") == "<span>[</span>sound:x.mp3]"


@pytest.mark.parametrize("typed,field", [
    (r"\(x^2\)", r"\(x^2\)"),
    (r"\(x_1 * y_2 * z_3\) and *em*", r"\(x_1 * y_2 * z_3\) and <em>em</em>"),
    (r"\[a<b & c\]", r"\[a&lt;b &amp; c\]"),
    ("\\[\n x_1 *a* \n\\]", "\\[\n x_1 *a* \n\\]"),
    (r"**b** \(\frac{a}{b}\)", r"<strong>b</strong> \(\frac{a}{b}\)"),
    (r"$x_1$ *e* $y_1$", r"$x_1$ <em>e</em> $y_1$"),  # $...$ is not math in Anki
    (r"\\(x\\)", r"\(x\)"),  # escaped backslashes are Markdown's, as before
    (r"\(unclosed *em*", "(unclosed <em>em</em>"),
])
def test_mathjax_reaches_the_field_as_typed(typed, field):
    assert markdown(typed) == field
