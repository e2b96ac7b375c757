"""Card text (CommonMark) to the HTML that goes into Anki fields."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Text without any of these needs no Markdown parser: escaping it gives the same HTML.
# ("---" alone is a thematic break, so any leading "-" counts.)
_MARKUP = re.compile(
    r"[\\`*_\[\]<>&!#~\n\r\t]|^\s|^-|^(?:\+|\d{1,9}[.)])(?:\s|$)|\s$|https?:|www\.")
# One line that opens no block (heading, list, quote, fence, link definition...) and has no space
# around it is a lone paragraph: markdown-it's inline rendering is its HTML, without the
# block parser's cost.
_OPENS_BLOCK = re.compile(r"[\s#>*+\-=_`~<\[|]|\d{1,9}[.)]")
_TAGS = re.compile(r"<[^>]*>")
_AV_TAG = re.compile(r"\[(?=sound:|anki:)")
# Anki's editor loads a field into a contenteditable element and saves its innerHTML back as
# soon as a note is shown in the browser: any difference between our HTML and what a browser
# serialises would change the note (and its modification time) without anyone editing it,
# and the next release's update would then lose Anki's "if newer" test. So fields are written
# as a browser serialises them: in text '"' bare and U+00A0 as &nbsp;; in attributes '"' as
# &quot;; void elements without " /". (markdown-it escapes every '>' in attribute values, so
# a tag ends at the first '>'.)
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_NEEDS_SERIALISING = re.compile("&quot;|\xa0|<[^>]*&[lg]t;")


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt  # imported on first use: keeps `--help` fast

    # html=False: raw HTML typed into a card is shown as text, never run.
    # xhtmlOut off: <br>, <hr> and <img> as a browser writes them, not "<br />".
    parser = MarkdownIt("commonmark", {"html": False, "xhtmlOut": False})
    parser.add_render_rule("image", _image)
    parser.inline.ruler.before("escape", "math", _math)
    parser.add_render_rule("math", _math_html)
    return parser


_MATH_END = {"(": "\\)", "[": "\\]"}


def _math(state, silent: bool) -> bool:
    """MathJax, as Anki reads it: \\(...\\) and \\[...\\] reach the field as typed (Markdown
    would eat the backslashes and read '*' and '_' as emphasis). $...$ is no math in Anki."""
    src, pos = state.src, state.pos
    if src[pos] != "\\" or pos + 1 >= state.posMax or src[pos + 1] not in _MATH_END:
        return False
    end = src.find(_MATH_END[src[pos + 1]], pos + 2, state.posMax)
    if end < 0:
        return False
    if not silent:
        state.push("math", "", 0).content = src[pos:end + 2]
    state.pos = end + 2
    return True


def _math_html(renderer, tokens, idx, options, env) -> str:
    return html.escape(tokens[idx].content, quote=False)


def _image(renderer, tokens, idx, options, env) -> str:
    """A Markdown image shows a file of the deck's media, under its name in the package, and
    nothing else: a card must never make a learner's Anki fetch anything. (Every image a card
    names is checked as the cards are read; one without a file here shows its text.)"""
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    package_name = (env or {}).get("images", {}).get(image_name(token.attrGet("src") or ""))
    if package_name is None:
        return html.escape(alt, quote=False)
    # '<' and '>' are left out of alt: browsers disagree on how to write them in an attribute.
    alt = attribute(alt.replace("<", "").replace(">", ""))
    return f'<img src="{attribute(package_name)}" alt="{alt}">'


def image_name(src: str) -> str:
    """The file name a Markdown image's (percent-encoded) link stands for."""
    from urllib.parse import unquote

    return unquote(src)


def image_sources(text: str) -> list[str]:
    """The link of every Markdown image in text, as written (for the media checks)."""
    if "![" not in text:
        return []
    found = []
    stack = list(_parser().parse(unicodedata.normalize("NFC", text)))
    while stack:
        token = stack.pop()
        if token.type == "image":
            found.append(image_name(token.attrGet("src") or ""))
        stack.extend(token.children or ())
    return found


def markdown(text: str, images: dict[str, str] | None = None) -> str:
    """Render Markdown to HTML; a single paragraph comes back without its <p> wrapper.

    images: the name in the package of each media file a Markdown image may show."""
    # Anki stores text in Unicode NFC (it would change e.g. U+F900 on import); storing it so
    # ourselves keeps the package, the ledger and the learner's collection in agreement.
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if not _MARKUP.search(text):
        escaped = html.escape(text, quote=False)
        return escaped.replace("\xa0", "&nbsp;") if "\xa0" in escaped else escaped
    if "\n" not in text and "\r" not in text and not (_OPENS_BLOCK.match(text)
                                                    or text[-1].isspace()):
        rendered = _parser().renderInline(text, {"images": images or {}})
    else:
        rendered = _parser().render(text, {"images": images or {}})
        if (rendered.startswith("<p>") and rendered.endswith("</p>\n")
                and rendered.find("<p>", 3) == -1):  # a single paragraph: unwrap it
            rendered = rendered[3:-5]
        else:
            rendered = rendered.rstrip("\n")
    # Anki plays "[sound:file]" and speaks "[anki:tts]" wherever they appear in a card; typed in
    # text they are shown as typed (audio has its own key). An element around the '[' (not an
    # entity, which the editor's innerHTML would turn back into a '[') keeps them inert.
    rendered = _AV_TAG.sub("<span>[</span>", rendered)
    return _as_browser_serialises(rendered) if _NEEDS_SERIALISING.search(rendered) else rendered


def _as_browser_serialises(rendered: str) -> str:
    parts = _TAG_OR_TEXT.split(rendered)
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            # Chromium from 138 writes '<' and '>' in attribute values as &lt; and &gt;, older
            # ones (Anki's Qt WebEngine) bare: only a value without them reads back the same
            # in both. They can come only from a link's title, which is dropped then.
            if "&lt;" in part or "&gt;" in part:
                part = re.sub(r' title="[^"]*"', "", part)
            parts[i] = part.replace("\xa0", "&nbsp;")
        elif part:
            parts[i] = part.replace("&quot;", '"').replace("\xa0", "&nbsp;")
    return "".join(parts)


def attribute(value: str) -> str:
    """A value for a double-quoted attribute, as a browser serialises it ('<' and '>', which
    browsers disagree on, percent-encoded: attributes we write hold URLs and file names)."""
    return (value.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")
            .replace("<", "%3C").replace(">", "%3E"))


def plain_text(rendered_html: str) -> str:
    """The visible text of rendered HTML, for Anki's sort field."""
    text = " ".join(html.unescape(_TAGS.sub(" ", rendered_html)).split())
    return rendered_html if text == rendered_html else text  # one copy held, not two
