"""Content checks over the real deck: cards/*.yaml, media/ and tools/timeline.py.

The pictures themselves (timeline and maps) are checked in test_pictures.py.

These are pure-data tests: they read the committed files (located relative to this
file, never the working directory) and need neither the builder nor Anki.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CARDS_DIR = ROOT / "cards"
MEDIA_DIR = ROOT / "media"
TIMELINE_PY = ROOT / "tools" / "timeline.py"

# The one tag scheme of the deck.
TAGS = {
    "treaty::dates",
    "treaty::terms",
    "treaty::agreements",
    "treaty::people",
    "treaty::names",
    "treaty::origins",
    "treaty::aftermath",
    "treaty::reading",
    "treaty::misconception",
}
MISCONCEPTION = "treaty::misconception"

# Every source the deck cites, with its URL as the fact sheet's section A gives it
# (None: a book or paper cited without a URL).
SOURCES = {
    "wikipedia-article":
        "https://en.wikipedia.org/wiki/"
        "Sino-Soviet_Treaty_of_Friendship,_Alliance_and_Mutual_Assistance",
    "treaty-text": "https://worldjpn.net/documents/texts/docs/19500214.T1E.html",
    "frus-1950": "https://history.state.gov/historicaldocuments/frus1950v06/d157",
    "prc-mfa-text": "http://www.cctv.com/english/special/60anni/20090911/109539.shtml",
    "joint-communique": "https://zh.wikisource.org/wiki/中苏两国关于缔结友好同盟互助条约及协定的公告",
    "washington-post-1979":
        "https://www.washingtonpost.com/archive/politics/1979/04/04/"
        "china-will-not-renew-1950-soviet-friendship-pact/753055aa-0746-4c7d-ac10-f33658ffa910/",
    "mao-telegram-1949":
        "https://sites.temple.edu/immerman/maos-moscow-visit-december-1949-february-1950/",
    "brothers-in-arms": None,
    "wikipedia-changchun-railway":
        "https://en.wikipedia.org/wiki/Return_of_the_Chinese_Eastern_Railway",
    "wikipedia-treaty-1945":
        "https://en.wikipedia.org/wiki/Sino-Soviet_Treaty_of_Friendship_and_Alliance",
    "frus-1946": "https://history.state.gov/historicaldocuments/frus1946v10/d958",
    "wikipedia-sino-vietnamese-war": "https://en.wikipedia.org/wiki/Sino-Vietnamese_War",
    "wikipedia-sino-soviet-split": "https://en.wikipedia.org/wiki/Sino-Soviet_split",
    "yang-2005": None,
    "csmonitor-1980": "https://www.csmonitor.com/1980/0416/041653.html",
    "wilson-stalin-liu-1949": "http://digitalarchive.wilsoncenter.org/document/113380",
    "wilson-mao-cable-1950": "https://digitalarchive.wilsoncenter.org/document/110390",
    "soviet-recognition":
        "https://en.wikisource.org/wiki/"
        "Communiqués_of_the_Soviet_Union_concerning_Chinese_diplomatic_recognition",
    "frus-1954": "https://history.state.gov/historicaldocuments/frus1952-54v14p1/d353",
    "wikipedia-1989-summit": "https://en.wikipedia.org/wiki/1989_Sino-Soviet_Summit",
    "garver-2016": None,
}

# Errors from reference works (fact sheet section C and the two web-copy errors).
# Outside misconception cards none of these may appear, in any field.
FORBIDDEN = [
    r"Tiáoyuè",
    r"16 February 1979",
    r"February 16,? 1979",
    r"12 December 1949",
    r"December 12,? 1949",
    r"ratifi\w*[^.]{0,60}\b1945\b",
    r"\bsigned by (Joseph )?(Stalin|Mao)",
    r"\b(Stalin|Mao)( Zedong)? and (Joseph )?(Stalin|Mao)( Zedong)? signed",
    r"\bexpir\w*[^.]{0,40}\b1979\b",
    r"\bof the same name\b",
    r"extended negotiations",
    r"treaty'?s? terms[^.]{0,60}recogni",
    r"allowed China to attack",
]

# Each misconception card: what its answer must state, and the card (outside the
# misconception tag) that teaches the correct fact on its own.
MISCONCEPTIONS = {
    "misconception-expiry-1979": (["11 April 1950", "3 April 1979", "11 April 1980"],
                                  "date-lapse"),
    "misconception-signed-by-stalin-mao": (["Zhou Enlai", "Andrey Vyshinsky", "attended"],
                                           "signatories"),
    "misconception-recognition-by-terms": (["2 October 1949", "annul"],
                                           "recognition-before-treaty"),
    "misconception-liu-negotiated": (["prepared the ground", "Zhou Enlai", "Mao and Stalin"],
                                     "negotiators"),
    "misconception-mao-came-to-sign": (["keep the 1945 treaty", "early January 1950"],
                                       "stalin-first-position"),
    "misconception-same-name": (["Treaty of Friendship and Alliance", "Mutual Assistance"],
                                "name-1945-difference"),
    "misconception-vietnam-war": (["17 February – 16 March 1979", "still in force",
                                   "11 April 1980"], "in-force-during-vietnam-war"),
    "misconception-three-conditions-date": (["early 1980s", "December 1979"],
                                            "three-obstacles-date"),
    "misconception-pinyin-tone": (["Tiáoyuē"], "name-pinyin"),
    "misconception-mao-arrival-12-december": (["16 December 1949"], "date-mao-arrives"),
    "misconception-ratified-august-1945": (["14 August 1945", "11 April 1950"], "date-in-force"),
}

TEXT_FIELDS = ("front", "back", "cloze", "extra", "notes")
CARD_ID = re.compile(r"^[a-z0-9-]+$")


def _load(path: Path):
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _load_cards() -> list[dict]:
    """Every card, with its file name and its full tag set (file tags + card tags)."""
    cards = []
    for path in sorted(CARDS_DIR.glob("*.yaml")):
        if path.name == "deck.yaml":
            continue
        data = _load(path)
        file_tags = data.get("tags", [])
        for card in data["cards"]:
            cards.append({**card, "_file": path.name,
                          "_tags": set(file_tags) | set(card.get("tags", []))})
    return cards


def _load_timeline():
    spec = importlib.util.spec_from_file_location("timeline", TIMELINE_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules["timeline"] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


DECK = _load(CARDS_DIR / "deck.yaml")
CARDS = _load_cards()
BY_ID = {card["id"]: card for card in CARDS}
TIMELINE = _load_timeline()


def _text(card: dict) -> str:
    return "\n".join(str(card[field]) for field in TEXT_FIELDS if field in card)


def _label(card: dict) -> str:
    return f"{card['_file']}: card {card.get('id')!r}"


# Deck and sources


def test_deck_identity_is_fixed():
    assert DECK["name"] == "Sino-Soviet Treaty of 1950"
    assert DECK["id"] == 1950021400
    assert DECK["description"].strip()


def test_sources_are_exactly_those_of_the_fact_sheet():
    assert set(DECK["sources"]) == set(SOURCES)
    for key, source in DECK["sources"].items():
        assert source.get("title", "").strip(), f"source {key!r} has no title"
        assert source.get("url") == SOURCES[key], f"source {key!r}: wrong or missing url"


def test_every_card_cites_a_defined_source():
    defined = set(DECK["sources"])
    for card in CARDS:
        sources = card.get("sources") or []
        assert sources, f"{_label(card)} cites no source"
        unknown = set(sources) - defined
        assert not unknown, f"{_label(card)} cites undefined sources {sorted(unknown)}"
        assert len(sources) == len(set(sources)), f"{_label(card)} repeats a source"


def test_every_defined_source_is_cited():
    used = {key for card in CARDS for key in card["sources"]}
    assert set(DECK["sources"]) - used == set()


# Card shape, ids and tags


def test_card_ids_are_unique_and_well_formed():
    ids = [card["id"] for card in CARDS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for card_id in ids:
        assert CARD_ID.match(card_id), card_id


def test_each_card_is_basic_or_cloze():
    for card in CARDS:
        basic = "front" in card and "back" in card
        cloze = "cloze" in card
        assert basic != cloze, f"{_label(card)} must have front+back or cloze"
        if cloze:
            assert re.search(r"\{\{c\d+::.+?\}\}", card["cloze"]), _label(card)
            assert "reverse" not in card, _label(card)


def test_note_count_is_in_the_planned_range():
    assert 70 <= len(CARDS) <= 120


def test_no_raw_html_in_card_text():
    for card in CARDS:
        assert not re.search(r"</?[a-zA-Z][^>]*>", _text(card)), _label(card)


def test_tags_follow_the_scheme():
    for card in CARDS:
        assert card["_tags"], f"{_label(card)} has no tag"
        assert card["_tags"] <= TAGS, f"{_label(card)}: tags {sorted(card['_tags'] - TAGS)}"


# Media


def test_referenced_media_exist():
    for card in CARDS:
        for field in ("image", "audio"):
            if field in card:
                assert (MEDIA_DIR / card[field]).is_file(), f"{_label(card)}: {card[field]}"


# Places of tools/map.py that no card names yet, so their maps sit unused in media/. The
# deck's second edition is to name them; then empty this set (tests/test_pictures.py checks
# it is exactly the set of places no card shows).
MAPS_AWAITING_CARDS = {"changchun", "dalian", "harbin", "korea", "vladivostok",
                       "zhenbao-island"}


def test_every_media_file_is_used():
    used = {card[f] for card in CARDS for f in ("image", "audio") if f in card}
    used |= {f"map-{key}.svg" for key in MAPS_AWAITING_CARDS}
    files = {p.name for p in MEDIA_DIR.iterdir() if p.is_file() and p.suffix != ".md"}
    assert files - used == set(), "media files no card uses"


def test_audio_is_mp3_and_on_the_name_cards():
    data = (MEDIA_DIR / "treaty-name-zh.mp3").read_bytes()
    assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    for card_id in ("name-chinese-simplified", "name-pinyin"):
        assert BY_ID[card_id].get("audio") == "treaty-name-zh.mp3"


# The timeline and the date cards


def test_timeline_spans_1945_treaty_to_1989_normalisation():
    events = TIMELINE.EVENTS
    assert events[0].start == "1945-08-14"
    assert events[-1].start.startswith("1989-05")
    starts = [e.start for e in events]
    assert starts == sorted(starts), "events must be in date order"


@pytest.mark.parametrize("event", TIMELINE.EVENTS, ids=lambda e: e.card)
def test_each_timeline_event_is_taught_by_its_date_card(event):
    card = BY_ID.get(event.card)
    assert card is not None, f"no card {event.card!r} for timeline event {event.label!r}"
    assert "treaty::dates" in card["_tags"]
    assert MISCONCEPTION not in card["_tags"]
    assert card.get("image") == f"timeline-{event.card}.svg"
    when = TIMELINE.when_text(event)
    assert when in card["back"], f"card {event.card!r} should give the date {when!r}"


def test_every_date_card_is_on_the_timeline():
    on_timeline = {event.card for event in TIMELINE.EVENTS}
    for card in CARDS:
        if card["_file"] == "30-dates.yaml":
            assert card["id"] in on_timeline, f"{_label(card)} is missing from the timeline"


def test_when_text_formats():
    event = TIMELINE.Event
    assert TIMELINE.when_text(event("1950-02-14", "x", "c")) == "14 February 1950"
    assert TIMELINE.when_text(event("1955-05", "x", "c")) == "May 1955"
    assert TIMELINE.when_text(event("1960", "x", "c")) == "1960"
    assert TIMELINE.when_text(event("1989-05-15", "x", "c", end="1989-05-18")) == "15–18 May 1989"
    assert TIMELINE.when_text(event("1979-02-17", "x", "c", end="1979-03-16")) == (
        "17 February – 16 March 1979")
    assert TIMELINE.when_text(event("1949-06", "x", "c", end="1949-08")) == "June–August 1949"


# Errors are only ever named, never taught


def test_no_card_outside_misconceptions_repeats_an_error():
    for card in CARDS:
        if MISCONCEPTION in card["_tags"]:
            continue
        text = _text(card)
        for pattern in FORBIDDEN:
            assert not re.search(pattern, text, re.IGNORECASE), (
                f"{_label(card)} repeats an error: {pattern!r}")


def test_every_misconception_is_named_and_corrected():
    misconception_cards = {c["id"] for c in CARDS if MISCONCEPTION in c["_tags"]}
    assert misconception_cards == set(MISCONCEPTIONS)
    for card_id, (facts, teacher) in MISCONCEPTIONS.items():
        card = BY_ID[card_id]
        assert card["front"].startswith("Some "), f"{card_id}: name the error as 'Some …'"
        assert "in fact" in card["back"].lower(), f"{card_id}: say 'In fact …'"
        for fact in facts:
            assert fact in card["back"], f"{card_id} should state {fact!r}"
        assert MISCONCEPTION not in BY_ID[teacher]["_tags"], teacher


def test_misconception_cards_each_name_one_known_error():
    patterns = [re.compile(p, re.IGNORECASE) for p in FORBIDDEN]
    for card_id in ("misconception-expiry-1979", "misconception-pinyin-tone",
                    "misconception-mao-arrival-12-december",
                    "misconception-ratified-august-1945"):
        assert any(p.search(BY_ID[card_id]["front"]) for p in patterns), card_id


# Names


def test_chinese_and_russian_names_are_exact():
    text = "\n".join(_text(card) for card in CARDS)
    assert "中苏友好同盟互助条约" in BY_ID["name-chinese-simplified"]["front"]
    assert "中蘇友好同盟互助條約" in BY_ID["name-chinese-traditional"]["back"]
    assert BY_ID["name-pinyin"]["back"] == "Zhōng-Sū Yǒuhǎo Tóngméng Hùzhù Tiáoyuē"
    assert "Советско-китайский договор о дружбе, союзе и взаимной помощи" in text
    assert BY_ID["name-chinese-simplified"].get("reverse") is True


def test_short_when_formats_for_the_image():
    event = TIMELINE.Event
    assert TIMELINE.short_when(event("1950-02-14", "x", "c")) == "14 Feb"
    assert TIMELINE.short_when(event("1960", "x", "c")) == ""
    assert TIMELINE.short_when(event("1979-02-17", "x", "c", end="1979-03-16")) == (
        "17 Feb – 16 Mar")
    assert TIMELINE.short_when(event("1949-06", "x", "c", end="1949-08")) == "Jun–Aug"
