"""`build-deck preview`: every card as Anki shows it, checked against Anki and in Chromium."""

from __future__ import annotations

import html
import json
import re
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    CARD_COUNT,
    CARD_IDS,
    CARDS_YAML,
    TAGS,
    chromium,
    deck_media,
    needs_chromium,
    write_deck,
)

from deckbuilder.build import build
from deckbuilder.cli import cli
from deckbuilder.notes import CSS
from deckbuilder.notes.cardview import cloze, render_note, render_template
from deckbuilder.preview import preview

EXPECTED_CARDS = ["signing-date/1", "signing-date/2", "signatories/1", "article-three/1",
                  "article-three/2", "chinese-name/1"]


# --- the renderer ---------------------------------------------------------------------------

def test_cloze_hides_the_active_deletion_and_shows_the_others():
    text = "{{c1::Zhou Enlai}} and {{c2::Vyshinsky::Soviet FM}} signed."
    assert cloze(text, 2, question=True) == (
        '<span class="cloze-inactive" data-ordinal="1">Zhou Enlai</span> and '
        '<span class="cloze" data-cloze="Vyshinsky" data-ordinal="2">[Soviet FM]</span> signed.')
    assert cloze(text, 1, question=True).startswith(
        '<span class="cloze" data-cloze="Zhou&#x20;Enlai" data-ordinal="1">[...]</span>')
    assert cloze(text, 2, question=False) == (
        '<span class="cloze-inactive" data-ordinal="1">Zhou Enlai</span> and '
        '<span class="cloze" data-ordinal="2">Vyshinsky</span> signed.')


@pytest.mark.parametrize(("template", "expected"), [
    ("{{#Notes}}<i>{{Notes}}</i>{{/Notes}}|{{^Notes}}none{{/Notes}}", "|none"),
    ("{{#Front}}<b>{{Front}}</b>{{/Front}}{{^Front}}none{{/Front}}", "<b>Q</b>"),
    ("{{FrontSide}}<hr>{{text:Back}}", "front<hr>A & b"),
    ("{{Missing}}", "{{Missing}}: no such field"),
])
def test_render_template(template, expected):
    fields = {"Front": "Q", "Back": "<em>A</em> &amp; b", "Notes": " <br> "}
    assert render_template(template, fields, front_side="front") == expected


def test_preview_renders_every_card_exactly_as_anki_does(tmp_path):
    """The renderer against Anki's own: import the package, render each card in Anki."""
    tricky = CARDS_YAML.replace("{{c1::alliance}}", "{{c1::alliance, *the* \\\"Kremlin\\\" & É}}")
    assert _compare_with_anki(tmp_path, tricky) == CARD_COUNT


def test_preview_renders_nested_cloze_deletions_as_anki_does(tmp_path):
    nested = CARDS_YAML.replace("{{c1::alliance}}", "{{c1::alliance, in the {{c3::Kremlin}}}}")
    assert _compare_with_anki(tmp_path, nested) == CARD_COUNT + 1


def _compare_with_anki(tmp_path, cards_yaml: str) -> int:
    from anki.collection import Collection, ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageOptions

    cards_dir, media_dir = write_deck(tmp_path, {"treaty.yaml": cards_yaml}, deck_media())
    result = build(cards_dir, media_dir, tmp_path / "deck.apkg", now=1_700_000_000)
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(result.output), options=ImportAnkiPackageOptions()))
        by_guid = {col.get_note(nid).guid: nid for nid in col.find_notes("")}
        compared = 0
        for note in result.notes:
            anki_cards = sorted((col.get_card(c) for c in col.card_ids_of_note(by_guid[note.guid])),
                                key=lambda c: c.ord)
            mine = render_note(note)
            assert len(mine) == len(anki_cards) == note.card_count, note.card_id
            for ours, card in zip(mine, anki_cards, strict=True):
                out = card.render_output(browser=False)
                assert ours.question == _with_sound(out.question_text, out.question_av_tags)
                assert ours.answer == _with_sound(out.answer_text, out.answer_av_tags)
                compared += 1
    finally:
        col.close()
    return compared


def _with_sound(text: str, tags) -> str:
    """Anki swaps [sound:x] for a play marker; put the tag back to compare."""
    return re.sub(r"\[anki:play:[qa]:(\d+)\]",
                  lambda m: f"[sound:{tags[int(m.group(1))].filename}]", text)


def test_preview_page_embeds_media_and_the_package_css(tmp_path):
    cards_dir, media_dir = write_deck(tmp_path)
    page = preview(cards_dir, media_dir).html
    assert CSS in page
    assert "[sound:" not in page
    assert re.findall(r'<img src="([^"]{0,22})', page) == ["data:image/png;base64,"]
    assert page.count('<audio class="pv-audio" controls preload="metadata" '
                      'src="data:audio/wav;base64,') == 1  # the answer of chinese-name
    assert page.count('class="pv-card"') == CARD_COUNT
    assert 'Source: <a href="https://example.org/treaty">English text of the treaty</a>' in page
    assert "<em>Brothers in Arms</em> (1998)" in page  # the second source's Markdown title
    assert '<span class="cloze" data-cloze="other" data-ordinal="2">[a party]</span>' in page


# --- the command ----------------------------------------------------------------------------

def test_preview_cli_writes_the_page_to_dist(tmp_path, monkeypatch):
    write_deck(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["preview"])
    assert result.exit_code == 0, result.output
    assert result.output == "Wrote dist/test-treaty-deck-preview.html: 4 notes, 6 cards.\n"
    page = (tmp_path / "dist" / "test-treaty-deck-preview.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")


def test_preview_cli_fails_like_check_on_bad_cards(tmp_path, monkeypatch):
    write_deck(tmp_path, {"treaty.yaml": CARDS_YAML.replace("image: timeline.png",
                                                            "image: timelin.png")}, deck_media())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["preview", "-o", "out.html"])
    assert result.exit_code == 1
    assert ("cards/treaty.yaml:14:5: card 'signatories': image 'timelin.png' not found"
            in result.output)
    assert result.output == CliRunner().invoke(cli, ["check"]).output
    assert not (tmp_path / "out.html").exists()


# --- in a real browser ----------------------------------------------------------------------

def _selftest(page: Path, query: str) -> dict:
    dom = chromium("--virtual-time-budget=10000", "--dump-dom",
                    f"{page.resolve().as_uri()}?selftest&{query}")
    found = re.search(r'<pre id="pv-selftest">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"the page's self-test wrote no result:\n{dom[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@needs_chromium
def test_page_in_chromium_shows_every_card_with_media_and_no_errors(preview_page):
    result = _selftest(preview_page, "tag=treaty::people")
    assert result["errors"] == []
    assert result["notes"] == list(CARD_IDS)
    assert result["cards"] == EXPECTED_CARDS
    assert result["expected"] == {"notes": 4, "cards": CARD_COUNT, "ids": list(CARD_IDS)}
    assert len(result["images"]) == 1
    for image in result["images"]:
        assert image == {"card": "signatories", "complete": True, "width": 40, "embedded": True}
    assert len(result["audio"]) == 1
    for audio in result["audio"]:
        assert audio["embedded"] and audio["error"] is None
        assert audio["duration"] == pytest.approx(0.2, abs=0.05)
    # The tag filter matches the tag and its children (treaty::people matches
    # treaty::people::signers).
    assert result["filters"] == [{"tag": "treaty::people", "q": "", "counter": "1 of 4 notes",
                                  "visible": ["signatories"]}]


@needs_chromium
def test_page_in_chromium_filters_by_tag_and_text(preview_page):
    result = _selftest(preview_page, "tag=treaty::dates&q=MOSCOW")
    assert result["errors"] == []
    everything = [card_id for card_id in CARD_IDS if "treaty::dates" in TAGS[card_id]]
    assert [f["visible"] for f in result["filters"]] == [everything, ["signing-date"]]
    assert result["filters"][1]["counter"] == "1 of 4 notes"


@needs_chromium
def test_page_in_chromium_reports_a_broken_image(tmp_path):
    """The self-test can fail: an image file Chromium cannot decode shows as width 0."""
    cards_dir, media_dir = write_deck(tmp_path)
    (media_dir / "timeline.png").write_bytes(b"not a PNG at all")
    path = tmp_path / "broken.html"
    path.write_text(preview(cards_dir, media_dir).html, "utf-8")
    result = _selftest(path, "")
    assert [image["width"] for image in result["images"]] == [0]


@needs_chromium
def test_page_in_chromium_screenshot(preview_page, tmp_path):
    shot = tmp_path / "preview.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,2000", preview_page.resolve().as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1200, 2000)
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes


def test_preview_shows_a_retired_card_as_the_package_does(tmp_path):
    """The page shows what learners get: a retired note's notice, naming the release that
    retired it (the ledger's, not the version now being built)."""
    from helpers import DECK_YAML

    cards_dir, media_dir = write_deck(tmp_path, {"treaty.yaml": CARDS_YAML}, deck_media(),
                                      DECK_YAML + "version: 1.0.0\n")
    build(cards_dir, media_dir, tmp_path / "deck.apkg", now=1_700_000_000)
    (cards_dir / "treaty.yaml").write_text(CARDS_YAML.replace(
        "  - id: signatories\n", "  - id: signatories\n    retired: true\n"), "utf-8")
    (cards_dir / "deck.yaml").write_text(DECK_YAML + "version: 1.1.0\n", "utf-8")
    retiring = build(cards_dir, media_dir, tmp_path / "deck.apkg", now=1_700_100_000)
    (cards_dir / "deck.yaml").write_text(DECK_YAML + "version: 1.2.0\n", "utf-8")
    shown = {n.card_id: n.fields for n in preview(cards_dir, media_dir).notes}
    built = {n.card_id: n.fields for n in retiring.notes}
    assert shown["signatories"] == built["signatories"]
    assert "Retired in version 1.1.0" in shown["signatories"][0]
    assert shown["signing-date"] == built["signing-date"]
