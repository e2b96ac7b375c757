"""The treaty timeline: one list of dated events, rendered as an SVG.

This list is the single source of truth for the timeline image. Each event names
the card that teaches its date, and tests/test_content.py checks that the card
states the same date (as written by ``when_text``) and that media/timeline.svg is
exactly what ``render_svg`` produces.

Regenerate the image with:  python3 tools/timeline.py > media/timeline.svg
"""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)


@dataclass(frozen=True)
class Event:
    """A dated event. Dates are ISO prefixes: '1950-02-14', '1955-05' or '1956'."""

    start: str
    label: str
    card: str  # id of the card that teaches this date
    end: str | None = None  # last day/month of a span, same precision as start
    confidence: str = "H"  # H high, M medium (drawn as a hollow dot)
    key: bool = False  # the treaty's own milestones are drawn larger


EVENTS: tuple[Event, ...] = (
    Event("1945-08-14", "Sino-Soviet Treaty of Friendship and Alliance signed in Moscow "
          "(Republic of China and USSR)", "date-1945-treaty"),
    Event("1945-10-20", "Plebiscite on Outer Mongolia's independence", "date-mongolia-plebiscite"),
    Event("1946-01-05", "Republic of China recognises Mongolia's independence",
          "date-roc-recognises-mongolia"),
    Event("1949-06", "Liu Shaoqi's secret mission to Moscow prepares the ground",
          "date-liu-mission", end="1949-08"),
    Event("1949-10-02", "USSR recognises the People's Republic of China",
          "date-soviet-recognition"),
    Event("1949-12-16", "Mao arrives in Moscow and meets Stalin", "date-mao-arrives"),
    Event("1949-12-21", "Mao attends Stalin's 70th-birthday celebrations",
          "date-stalin-birthday"),
    Event("1950-01-20", "Zhou Enlai arrives in Moscow to negotiate the details",
          "date-zhou-arrives"),
    Event("1950-02-14", "Treaty signed in the Kremlin by Zhou Enlai and Andrey Vyshinsky",
          "signing-date", key=True),
    Event("1950-03-27", "Joint-stock companies in Xinjiang agreed", "date-joint-companies",
          confidence="M"),
    Event("1950-04-11", "Treaty ratified; it comes into force for 30 years", "date-in-force",
          key=True),
    Event("1952-12-31", "Chinese Changchun Railway handed over to China",
          "date-railway-handover"),
    Event("1954-10", "Khrushchev in China: Port Arthur and joint-company agreements",
          "date-khrushchev-visit"),
    Event("1955-05", "Soviet withdrawal from Port Arthur (Lüshun) completed",
          "date-port-arthur-withdrawal"),
    Event("1956", "Khrushchev's secret speech; relations begin to worsen",
          "date-secret-speech"),
    Event("1957-11", "Mao's second and last trip abroad: Moscow, 40th anniversary of "
          "the October Revolution", "date-mao-second-trip"),
    Event("1960", "USSR withdraws its advisers from China", "date-advisers-withdrawn"),
    Event("1969-03", "Sino-Soviet border clashes", "date-border-clashes"),
    Event("1979-02-17", "Sino-Vietnamese War (the treaty is still in force)",
          "date-sino-vietnamese-war", end="1979-03-16"),
    Event("1979-04-03", "China announces it will not renew the treaty", "date-non-renewal",
          key=True),
    Event("1979-12", "Soviet war in Afghanistan begins", "date-afghanistan"),
    Event("1980-04-11", "Treaty lapses after 30 years in force", "date-lapse", key=True),
    Event("1989-05-15", "Gorbachev's Beijing summit: relations normalised", "date-summit",
          end="1989-05-18"),
)


def _parts(date: str) -> tuple[int, ...]:
    return tuple(int(p) for p in date.split("-"))


def _one(parts: tuple[int, ...]) -> str:
    if len(parts) == 1:
        return str(parts[0])
    month = MONTHS[parts[1] - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{parts[2]} {month} {parts[0]}"


def when_text(event: Event) -> str:
    """The date as the cards write it: '14 February 1950', '15–18 May 1989'."""
    start = _parts(event.start)
    if event.end is None:
        return _one(start)
    end = _parts(event.end)
    if len(start) != len(end):
        raise ValueError(f"{event.card}: start and end must have the same precision")
    if len(start) == 3 and start[:2] == end[:2]:
        return f"{start[2]}–{end[2]} {MONTHS[start[1] - 1]} {start[0]}"
    if start[0] == end[0]:
        head = _one(start)[: -len(str(start[0])) - 1]
        sep = "–" if len(start) == 2 else " – "
        return f"{head}{sep}{_one(end)}"
    return f"{_one(start)} – {_one(end)}"


# Layout, in SVG user units. The viewBox is narrow so that text stays legible
# when Anki scales the image down to a phone's card width.
WIDTH = 480
LINE_X = 74
TEXT_X = 94
TOP = 92
WRAP = 38
DATE_SIZE = 16
LABEL_SIZE = 17
LABEL_LEAD = 21
GAP = 14
YEAR_GAP = 10

BACKGROUND = "#fbf8f0"  # the image carries its own light background (night mode)
INK = "#1d1d1d"
MUTED = "#5a5a5a"
ACCENT = "#9b1c1c"
RULE = "#8a8a8a"
FONT = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x}" y="{y}"{extra}>{escape(content)}</text>'


def render_svg(events: tuple[Event, ...] = EVENTS) -> str:
    """Return the timeline as a standalone SVG document."""
    body: list[str] = []
    y = TOP
    last_year = None
    first_y = last_y = None
    for event in events:
        year = event.start[:4]
        if year != last_year:
            if last_year is not None:
                y += YEAR_GAP
            body.append(_text(LINE_X - 14, y + 6, year, font_size="18", font_weight="bold",
                              fill=INK, text_anchor="end"))
            last_year = year
        dot_y = y
        first_y = dot_y if first_y is None else first_y
        last_y = dot_y
        radius = 8 if event.key else 6
        if event.confidence == "M":
            body.append(f'<circle cx="{LINE_X}" cy="{dot_y}" r="{radius}" fill="{BACKGROUND}" '
                        f'stroke="{ACCENT}" stroke-width="2.5"/>')
        else:
            body.append(f'<circle cx="{LINE_X}" cy="{dot_y}" r="{radius}" fill="{ACCENT}"/>')
        date = when_text(event) + (" (?)" if event.confidence == "M" else "")
        body.append(_text(TEXT_X, y + 6, date, font_size=str(DATE_SIZE), font_weight="bold",
                          fill=ACCENT))
        y += 6 + LABEL_LEAD
        for line in textwrap.wrap(event.label, WRAP):
            weight = "bold" if event.key else "normal"
            body.append(_text(TEXT_X, y + 4, line, font_size=str(LABEL_SIZE),
                              font_weight=weight, fill=INK))
            y += LABEL_LEAD
        y += GAP
    height = y + 40
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="{FONT}">',
        "<title>The Sino-Soviet treaty of 1950: timeline, 1945–1989</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" rx="14" fill="{BACKGROUND}"/>',
        _text(WIDTH / 2, 36, "Sino-Soviet Treaty of 1950", font_size="22",
              font_weight="bold", fill=INK, text_anchor="middle"),
        _text(WIDTH / 2, 60, "from the 1945 treaty to normalisation in 1989", font_size="16",
              fill=MUTED, text_anchor="middle"),
        f'<line x1="{LINE_X}" y1="{first_y}" x2="{LINE_X}" y2="{last_y}" stroke="{RULE}" '
        'stroke-width="2"/>',
    ]
    legend_y = height - 16
    legend = [
        f'<circle cx="{LINE_X}" cy="{legend_y - 5}" r="6" fill="{BACKGROUND}" '
        f'stroke="{ACCENT}" stroke-width="2.5"/>',
        _text(TEXT_X, legend_y, "(?) medium confidence", font_size="15", fill=MUTED),
    ]
    return "\n".join([*head, *body, *legend, "</svg>"]) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_svg())
