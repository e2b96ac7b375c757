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


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt  # imported on first use: keeps `--help` fast

    # html=False: raw HTML typed into a card is shown as text, never run.
    return MarkdownIt("commonmark", {"html": False})


def markdown(text: str) -> str:
    """Render Markdown to HTML; a single paragraph comes back without its <p> wrapper."""
    # Anki stores text in Unicode NFC (it would change e.g. U+F900 on import); storing it so
    # ourselves keeps the package, the ledger and the learner's collection in agreement.
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if not _MARKUP.search(text):
        return html.escape(text, quote=False).replace('"', "&quot;")
    if "\n" not in text and "\r" not in text and not (_OPENS_BLOCK.match(text)
                                                    or text[-1].isspace()):
        rendered = _parser().renderInline(text)
    else:
        rendered = _parser().render(text)
        if (rendered.startswith("<p>") and rendered.endswith("</p>\n")
                and rendered.find("<p>", 3) == -1):  # a single paragraph: unwrap it
            rendered = rendered[3:-5]
        else:
            rendered = rendered.rstrip("\n")
    # Anki plays "[sound:file]" and speaks "[anki:tts]" wherever they appear in a card; typed in
    # text they are shown as typed (audio has its own key).
    return _AV_TAG.sub("&#91;", rendered)


def plain_text(rendered_html: str) -> str:
    """The visible text of rendered HTML, for Anki's sort field."""
    text = " ".join(html.unescape(_TAGS.sub(" ", rendered_html)).split())
    return rendered_html if text == rendered_html else text  # one copy held, not two
