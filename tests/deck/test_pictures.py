"""The deck's pictures: per-event timelines (tools/timeline.py) and maps (tools/map.py).

Pure data, no network and no geopandas: the maps are rendered again from the committed
tools/map_geometry.json, which only `python3 tools/map.py extract` writes.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from helpers import (
    MAPS_AWAITING_CARDS,
    REPO,
    TEXT_FIELDS,
    TREATY_MEDIA_DIR,
    chromium,
    load_tool,
    needs_chromium,
    timeline_tool,
    treaty_cards,
)

from deckbuilder.notes import CSS, NOTE_TYPES

ROOT = REPO
MEDIA_DIR = TREATY_MEDIA_DIR
CARDS = treaty_cards()
TIMELINE = timeline_tool()
MAP = load_tool("map_tool", ROOT / "tools" / "map.py")
ASSIGN = load_tool("assign_images_tool", ROOT / "tools" / "assign_images.py")
GEOMETRY = MAP.load_geometry()
IMAGES = {card["id"]: card.get("image") for card in CARDS}


def _text(card: dict) -> str:
    return "\n".join(str(card[field]) for field in TEXT_FIELDS if field in card)


def _media(pattern: str) -> set[str]:
    return {p.name for p in MEDIA_DIR.glob(pattern)}


# The images are exactly what the tools make


def test_timeline_images_are_one_per_event_and_nothing_else():
    assert _media("timeline*.svg") == {f"timeline-{e.card}.svg" for e in TIMELINE.EVENTS}


@pytest.mark.parametrize("event", TIMELINE.EVENTS, ids=lambda e: e.card)
def test_timeline_image_is_what_the_tool_generates(event):
    committed = (MEDIA_DIR / TIMELINE.image_name(event.card)).read_text("utf-8")
    assert committed == TIMELINE.render_svg(event.card), "run: python3 tools/timeline.py"


def test_map_images_are_one_per_place_and_nothing_else():
    assert _media("map-*.svg") == {f"map-{p.key}.svg" for p in MAP.PLACES}


@pytest.mark.parametrize("key", [p.key for p in MAP.PLACES])
def test_map_image_is_what_the_tool_generates(key):
    committed = (MEDIA_DIR / MAP.image_name(key)).read_text("utf-8")
    assert committed == MAP.render_svg(key, GEOMETRY), "run: python3 tools/map.py"


def test_timeline_marks_only_its_own_event():
    for event in TIMELINE.EVENTS:
        svg = TIMELINE.render_svg(event.card)
        bold = re.findall(r'font-weight="bold"[^>]*>([^<]+)</text>', svg)
        assert event.label in bold
        assert [e.label for e in TIMELINE.EVENTS if e.label in bold] == [event.label]


def test_map_marks_only_its_own_place():
    for place in MAP.PLACES:
        svg = MAP.render_svg(place.key, GEOMETRY)
        marked = set(re.findall(r'font-weight="bold" fill="#a31f1f"[^>]*>([^<]+)</text>', svg))
        other = {p.label for p in MAP.PLACES if p is not place}
        assert place.title in marked and not marked & other, place.key


def _font_sizes(svg: str) -> list[float]:
    return [float(size) for size in re.findall(r'font-size="([0-9.]+)"', svg)]


@pytest.mark.parametrize("name", sorted(_media("timeline-*.svg") | _media("map-*.svg")))
def test_text_is_legible_at_phone_width(name):
    """Anki fits an image to the card's width; at 330 px no text may fall below 11 px."""
    svg = (MEDIA_DIR / name).read_text("utf-8")
    width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))
    sizes = _font_sizes(svg)
    assert sizes and min(sizes) * 330 / width >= 11, (name, min(sizes), width)


@pytest.mark.parametrize("name", sorted(_media("timeline-*.svg") | _media("map-*.svg")))
def test_pictures_have_no_background_of_their_own(name):
    """Night mode inverts the picture over the card's own background (card.css)."""
    svg = (MEDIA_DIR / name).read_text("utf-8")
    width, height = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg).groups()
    assert f'width="{width}" height="{height}"' not in svg.split("\n", 1)[1]
    assert "<rect x=\"0\" y=\"0\"" not in svg
    assert "prefers-color-scheme" not in svg  # card.css already turns it; twice is day again


# Which cards show which picture


def test_each_event_card_shows_its_own_timeline():
    for event in TIMELINE.EVENTS:
        assert IMAGES.get(event.card) == TIMELINE.image_name(event.card), event.card


def test_no_card_shows_another_cards_timeline():
    for card_id, image in IMAGES.items():
        if image and image.startswith("timeline"):
            assert image == TIMELINE.image_name(card_id), card_id


def test_each_card_with_a_map_names_its_place():
    for card in CARDS:
        match = re.fullmatch(r"map-(.+)\.svg", card.get("image") or "")
        if match and card["id"] not in ASSIGN.MAP_FOR:
            place = MAP.BY_KEY[match.group(1)]
            assert MAP.names_place(_text(card), place) is not None, (
                f"{card['id']} shows the map of {place.key} but names none of {place.names}")


def test_every_place_has_a_card_except_those_awaiting_one():
    shown = {card["image"][4:-4] for card in CARDS
             if (card.get("image") or "").startswith("map-")}
    unshown = {place.key for place in MAP.PLACES} - shown
    assert unshown == MAPS_AWAITING_CARDS, "update MAPS_AWAITING_CARDS in test_content.py"


def test_place_names_do_not_match_longer_names():
    assert MAP.names_place("the Chinese Changchun Railway", MAP.BY_KEY["changchun"]) is None
    assert MAP.names_place("Changchun, on the railway", MAP.BY_KEY["changchun"]) == 0
    assert MAP.names_place("troops in Inner Mongolia", MAP.BY_KEY["mongolia"]) is None
    assert MAP.names_place("Port Arthur (Lüshun)", MAP.BY_KEY["port-arthur"]) == 0
    assert MAP.names_place("Lüshun", MAP.BY_KEY["port-arthur"]) == 0
    assert MAP.names_place("the Korean War", MAP.BY_KEY["korea"]) == 4
    assert MAP.names_place("Korean cuisine", MAP.BY_KEY["korea"]) is None
    assert MAP.names_place("the Mongolian People's Republic", MAP.BY_KEY["mongolia"]) == 4


def test_assignment_prefers_the_place_named_first():
    events = set()
    card = {"id": "x", "front": "Which port, near Dalian?", "back": "Port Arthur, by Moscow"}
    assert ASSIGN.wanted_image(card, events) == "map-dalian.svg"
    assert ASSIGN.wanted_image({**card, "image": "photo.png"}, events) == "photo.png"
    assert ASSIGN.wanted_image({"id": "x", "front": "a", "back": "b",
                                "image": "map-moscow.svg"}, events) is None


def test_assignment_edits_only_image_lines(tmp_path):
    original = (
        "tags: [treaty::dates]\n"
        "cards:\n"
        "  - id: signing-date  # a comment\n"
        "    front: The treaty is signed\n"
        "    back: 14 February 1950\n"
        "    image: timeline.svg\n"
        "\n"
        "  - id: somewhere\n"
        "    front: Where was it signed?\n"
        "    back: In Moscow\n"
        "    sources: [treaty-text]\n"
        "\n"
        "  - id: nowhere\n"
        "    front: Who signed?\n"
        "    image: map-moscow.svg\n"
        "    back: Zhou Enlai\n"
    )
    path = tmp_path / "cards.yaml"
    path.write_text(original, "utf-8")
    text, changes = ASSIGN.assign_file(path, {"signing-date"})
    expected = (original
                .replace("image: timeline.svg", "image: timeline-signing-date.svg")
                .replace("back: In Moscow\n", "back: In Moscow\n    image: map-moscow.svg\n")
                .replace("    image: map-moscow.svg\n    back: Zhou", "    back: Zhou"))
    assert text == expected
    assert len(changes) == 3


# How the pictures sit on the card


def test_answer_shows_the_picture_after_the_notes():
    for note_type in NOTE_TYPES:
        for name, _question, answer in note_type.templates:
            notes, image, source = (answer.index(f"{{{{#{f}}}}}")
                                    for f in ("Notes", "Image", "Source"))
            assert notes < image < source, (note_type.name, name)


def test_night_mode_turns_the_pictures_dark():
    css = re.sub(r"/\*.*?\*/", "", CSS, flags=re.DOTALL)
    rule = re.search(r"([^{}]*)\{\s*filter:\s*invert\(0\.\d+\) hue-rotate\(180deg\);\s*\}", css)
    assert rule, "card.css must invert the pictures in night mode"
    selectors = {s.strip() for s in rule.group(1).split(",")}
    assert {".nightMode .figure img", ".night_mode .figure img"} <= selectors


def test_source_links_look_like_links_by_day_and_night():
    day = re.search(r"^\.source a \{([^}]*)\}", CSS, re.MULTILINE).group(1)
    assert "text-decoration: underline" in day and "color: #" in day
    night = re.search(r"\.nightMode \.source a[^{]*\{([^}]*)\}", CSS).group(1)
    assert "color: #" in night


# Every label fits: laid out by the headless Chromium the suite uses (review of the second
# edition: the Zhenbao map's title ran past its frame)

_MEASURE = """
<script>
const found = {};
for (const svg of document.querySelectorAll("svg[data-name]")) {
  const [x, y, w, h] = svg.getAttribute("viewBox").split(/[ ,]+/).map(Number);
  found[svg.dataset.name] = {
    view: [x, y, x + w, y + h],
    texts: [...svg.querySelectorAll("text")].map(t => {
      const b = t.getBBox();
      return [t.textContent, b.x, b.y, b.x + b.width, b.y + b.height];
    }),
  };
}
document.getElementById("measured").textContent = JSON.stringify(found);
</script>"""


@pytest.fixture(scope="module")
def measured_labels(tmp_path_factory):
    page = tmp_path_factory.mktemp("labels") / "labels.html"
    svgs = [(p.name, p.read_text("utf-8")) for p in sorted(MEDIA_DIR.glob("*.svg"))]
    body = "".join(re.sub(r"<svg\b", f'<svg data-name="{name}"', svg, count=1)
                   for name, svg in svgs)
    page.write_text(f'<!doctype html><meta charset="utf-8"><body>{body}'
                    f'<pre id="measured"></pre>{_MEASURE}', "utf-8")
    dom = chromium("--dump-dom", page.resolve().as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def _svg_names() -> list[str]:
    return sorted(p.name for p in MEDIA_DIR.glob("*.svg"))


@needs_chromium
@pytest.mark.parametrize("name", _svg_names())
def test_every_label_lies_inside_the_picture(measured_labels, name):
    left, top, right, bottom = measured_labels[name]["view"]
    for text, x0, y0, x1, y1 in measured_labels[name]["texts"]:
        assert left <= x0 and top <= y0 and x1 <= right and y1 <= bottom, (
            f"{name}: {text!r} runs outside the picture: {x0:.1f},{y0:.1f}–{x1:.1f},{y1:.1f} "
            f"in {left},{top}–{right},{bottom}")


@needs_chromium
@pytest.mark.parametrize("name", _svg_names())
def test_no_label_overlaps_another(measured_labels, name):
    texts = measured_labels[name]["texts"]
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(texts):
        for b, bx0, by0, bx1, by1 in texts[i + 1:]:
            overlap_x = min(ax1, bx1) - max(ax0, bx0)
            overlap_y = min(ay1, by1) - max(ay0, by0)
            assert overlap_x <= 0.5 or overlap_y <= 0.5, f"{name}: {a!r} overlaps {b!r}"


@needs_chromium
@pytest.mark.parametrize("name", _svg_names())
def test_labels_on_one_line_keep_a_gap(measured_labels, name):
    """Two labels side by side read as one when they touch (review of 3.0.0 in Anki: the
    marked "Changchun Railway" ran into "Khabarovsk")."""
    texts = measured_labels[name]["texts"]
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(texts):
        for b, bx0, by0, bx1, by1 in texts[i + 1:]:
            if min(ay1, by1) - max(ay0, by0) > 0.5:  # on one line
                gap = max(bx0 - ax1, ax0 - bx1)
                assert gap >= 4, f"{name}: {a!r} and {b!r} are {gap:.1f} apart"
