"""A field's canonical form: what makes two HTML texts the same field for a learner.

Anki's editor re-serialises a field as a browser does (`&quot;` becomes `"`, `<br />` becomes
`<br>`, entities become characters) and saves it as soon as a note is shown. Comparing
canonical forms, never raw text, tells such rewrites from a learner's edit.
"""

from __future__ import annotations

import hashlib
import unicodedata
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


class _Serialiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.out.append(_tag(tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.out.append(_tag(tag, attrs))
        if tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag):
        if tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(_text(data))

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def unknown_decl(self, data):  # a stray "<![" is text to a browser
        self.out.append(_text(f"<![{data}]"))


def _text(data: str) -> str:
    return (data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\xa0", "&nbsp;"))


def _tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    parts = [tag]
    for name, value in attrs:
        if value is None:
            parts.append(name)
        else:
            value = value.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")
            parts.append(f'{name}="{value}"')
    return "<" + " ".join(parts) + ">"


def canonical(field_html: str) -> str:
    """The field as one fixed serialisation: NFC, entities decoded except `&lt; &gt; &amp;`
    and no-break space, tags and attributes as a browser writes them, `<br>` never `<br />`."""
    text = unicodedata.normalize("NFC", field_html)
    if "<" not in text and "&" not in text and "\xa0" not in text and ">" not in text:
        return text
    parser = _Serialiser()
    parser.feed(text)
    parser.close()  # a trailing incomplete tag ("a <b") comes out as text, as in a browser
    return "".join(parser.out)


def field_hash(field_html: str) -> str:
    """A short digest of the field's canonical form: equal for a field Anki merely rewrote."""
    return hashlib.sha256(canonical(field_html).encode("utf-8")).hexdigest()[:16]
