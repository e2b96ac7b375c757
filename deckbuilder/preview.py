"""One self-contained HTML page that shows every card as Anki will show it.

Each card's question and answer come from the package's own templates and CSS (templates.py);
images and audio are embedded as data: URIs so the page works offline and can be mailed around.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from deckbuilder.atomic import write_atomically
from deckbuilder.build import make_notes
from deckbuilder.errors import DeckError, counted
from deckbuilder.ledger import read_ledger
from deckbuilder.notes import Note, RenderedCard, note_types_for, render_note, retired_note
from deckbuilder.paths import default_ledger, default_output
from deckbuilder.render import markdown, plain_text
from deckbuilder.source import Card, Deck, MediaFile

_MIME = {".svg": "image/svg+xml", ".webp": "image/webp", ".mp3": "audio/mpeg",
         ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
         ".m4a": "audio/mp4", ".flac": "audio/flac"}
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")', re.IGNORECASE)
_SOUND = re.compile(r"\[sound:([^\]]+)\]")


@dataclass
class Preview:
    deck: Deck
    notes: list[Note]
    html: str

    @property
    def card_count(self) -> int:
        return sum(n.card_count for n in self.notes)


def preview(cards_dir: Path, media_dir: Path) -> Preview:
    """Validate the cards (raising DeckError as the build does) and render the page."""
    made = make_notes(cards_dir, media_dir, keep_cards=True)  # the page says where each card is
    notes = _as_learners_see(made.notes, made.deck, cards_dir)
    return Preview(made.deck, notes, page(made.deck, notes, made.media))


def _as_learners_see(notes: list[Note], deck: Deck, cards_dir: Path) -> list[Note]:
    """Retired notes as the package shows them: the notice naming the release that retired
    them (the ledger's, or this version for a card retired now)."""
    if not any(note.retired for note in notes):
        return notes
    try:
        retirements = read_ledger(default_ledger(cards_dir)).retirements()
    except DeckError:  # the build says what is wrong with it; the page needs no ledger
        retirements = {}
    return [retired_note(n, retirements.get(n.card_id, deck.version or "")) if n.retired else n
            for n in notes]


def write_preview(cards_dir: Path, media_dir: Path, output: Path | None = None
                  ) -> tuple[Preview, Path]:
    """Render the page and write it atomically (default: dist/<deck>-preview.html)."""
    result = preview(cards_dir, media_dir)
    output = Path(output) if output else default_output(result.deck.name, "-preview.html")
    data = result.html.encode("utf-8")
    write_atomically(output, lambda f: f.write(data))
    return result, output


def _data_uri(media: MediaFile) -> str:
    suffix = Path(media.package_name).suffix.lower()
    mime = _MIME.get(suffix) or mimetypes.guess_type(media.package_name)[0] or (
        "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(media.data).decode('ascii')}"


def media_uris(media: dict[str, MediaFile]) -> dict[str, str]:
    """Package media name -> data: URI."""
    return {m.package_name: _data_uri(m) for m in media.values()}


def embed_media(side: str, uris: dict[str, str]) -> str:
    """Point <img> at data: URIs and turn [sound:...] into an audio player, as Anki would."""

    def image(match: re.Match) -> str:
        name = html.unescape(match.group(2))
        return match.group(1) + uris.get(name, match.group(2)) + match.group(3)

    def sound(match: re.Match) -> str:
        uri = uris.get(match.group(1))
        if uri is None:
            return match.group(0)
        return (f'<audio class="pv-audio" controls preload="metadata" src="{uri}" '
                f'title="{html.escape(match.group(1))}"></audio>')

    return _SOUND.sub(sound, _IMG_SRC.sub(image, side))


def _side(label: str, content: str) -> str:
    return (f'<figure class="pv-side"><figcaption>{label}</figcaption>'
            f'<div class="card">{content}</div></figure>')


def _card_html(note: Note, rendered: RenderedCard, uris: dict[str, str]) -> str:
    label = (f"Cloze c{rendered.ordinal}" if note.note_type.is_cloze else rendered.name)
    return (f'<div class="pv-card" data-card="{html.escape(note.card_id)}/{rendered.ordinal}">'
            f'<div class="pv-card-label">{html.escape(label)}</div><div class="pv-sides">'
            + _side("Front", embed_media(rendered.question, uris))
            + _side("Back", embed_media(rendered.answer, uris)) + "</div></div>")


def _note_html(note: Note, card: Card, uris: dict[str, str]) -> str:
    rendered = render_note(note)
    kind = "Cloze" if note.note_type.is_cloze else "Front/back"
    tags = "".join(f'<span class="pv-tag">{html.escape(t)}</span>' for t in note.tags)
    retired = '<span class="pv-retired">retired</span>' if note.retired else ""
    search = _SOUND.sub("", " ".join([note.card_id, *note.tags, *map(plain_text, note.fields)]))
    return (
        f'<section class="pv-note" id="card-{html.escape(note.card_id)}" '
        f'data-id="{html.escape(note.card_id)}" data-tags="{html.escape(" ".join(note.tags))}" '
        f'data-search="{html.escape(search.casefold())}">'
        f'<header class="pv-note-head"><a class="pv-id" href="#card-{html.escape(note.card_id)}">'
        f'{html.escape(note.card_id)}</a> <span class="pv-kind">{kind} · {len(rendered)} '
        f'card{"s" if len(rendered) != 1 else ""}</span> {retired}{tags}'
        f'<span class="pv-where">{html.escape(card.file)}:{card.line}</span></header>'
        + "".join(_card_html(note, r, uris) for r in rendered) + "</section>")


def _all_tags(notes: list[Note]) -> list[str]:
    """Every tag and each of its parents (a::b also offers a), sorted."""
    found: set[str] = set()
    for note in notes:
        for tag in note.tags:
            parts = tag.split("::")
            found.update("::".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(found, key=str.casefold)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text("utf-8")


def page(deck: Deck, notes: list[Note], media: dict[str, MediaFile]) -> str:
    """The preview page as one HTML document."""
    cards = {c.id: c for c in deck.cards}
    uris = media_uris(media)
    total = sum(n.card_count for n in notes)
    options = "".join(f'<option value="{html.escape(t)}">{html.escape(t)}</option>'
                      for t in _all_tags(notes))
    description = markdown(deck.description) if deck.description else ""
    version = f"Version {html.escape(deck.version)}: " if deck.version else ""
    css = "\n".join(dict.fromkeys(nt.css for nt in note_types_for(deck)))  # the package's CSS
    summary = json.dumps({"notes": len(notes), "cards": total, "ids": [n.card_id for n in notes]})
    summary = summary.replace("</", "<\\/")  # cannot end the <script> early
    body = "".join(_note_html(n, cards[n.card_id], uris) for n in notes)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(deck.name)}: card preview</title>
<script>window.pvErrors=[];window.addEventListener("error",function(e){{window.pvErrors.push(
String(e.message||e.type)+" "+(e.filename||"")+":"+(e.lineno||""));}});</script>
<style>
{css}
</style>
<style>
{_asset("preview.css")}
</style>
</head>
<body>
<header class="pv-top">
<div class="pv-title"><h1>{html.escape(deck.name)}</h1>
<p class="pv-desc">{description}</p>
<p class="pv-counts">{version}{counted(len(notes), 'note')}, {counted(total, 'card')}, \
{counted(len(media), 'media file')}.
Each card is shown as Anki will show it: the question, then the answer.</p></div>
<form class="pv-filters" role="search" onsubmit="return false">
<label>Find <input id="pv-q" type="search" placeholder="text, id or tag" autocomplete="off">
</label>
<label>Tag <select id="pv-tag"><option value="">All tags</option>{options}</select></label>
<label class="pv-night"><input id="pv-night" type="checkbox"> Night mode</label>
<output id="pv-count" aria-live="polite">{len(notes)} of {counted(len(notes), 'note')}</output>
</form>
</header>
<main id="pv-notes">
{body}
<p id="pv-none" hidden>No cards match.</p>
</main>
<script type="application/json" id="pv-summary">{summary}</script>
<script>
{_asset("preview.js")}
</script>
</body>
</html>
"""
