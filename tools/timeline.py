"""The treaty timeline: one list of dated events, rendered as an SVG.

This list is the single source of truth for the timeline image. Each event names
the card that teaches its date, and tests/test_content.py checks that the card
states the same date (as written by ``when_text``) and that media/timeline.svg is
exactly what ``render_svg`` produces.

Regenerate the image with:  python3 tools/timeline.py > media/timeline.svg
"""

from __future__ import annotations

import sys
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
    Event("1945-08-14", "1945 treaty with the ROC signed", "date-1945-treaty"),
    Event("1945-10-20", "Outer Mongolia plebiscite", "date-mongolia-plebiscite"),
    Event("1946-01-05", "ROC recognises Mongolia", "date-roc-recognises-mongolia"),
    Event("1949-06", "Liu Shaoqi's secret mission", "date-liu-mission", end="1949-08"),
    Event("1949-10-02", "USSR recognises the PRC", "date-soviet-recognition"),
    Event("1949-12-16", "Mao arrives in Moscow", "date-mao-arrives"),
    Event("1949-12-21", "Stalin's 70th birthday", "date-stalin-birthday"),
    Event("1950-01-20", "Zhou Enlai arrives in Moscow", "date-zhou-arrives"),
    Event("1950-02-14", "Treaty signed in the Kremlin", "signing-date", key=True),
    Event("1950-02-17", "Mao leaves Moscow", "date-mao-leaves-moscow"),
    Event("1950-03-27", "Xinjiang joint companies", "date-joint-companies"),
    Event("1950-04-11", "In force for 30 years", "date-in-force", key=True),
    Event("1950-09-30", "Ratifications exchanged", "date-ratifications-exchanged",
          confidence="M"),
    Event("1950-10-19", "Volunteers cross the Yalu", "date-yalu-crossing"),
    Event("1952-12-31", "Changchun Railway handed over", "date-railway-handover"),
    Event("1954-09", "Khrushchev's first visit", "date-khrushchev-visit", end="1954-10"),
    Event("1955-05", "Soviets leave Port Arthur", "date-port-arthur-withdrawal"),
    Event("1956", "Secret speech; relations sour", "date-secret-speech"),
    Event("1957-11", "Mao's second trip to Moscow", "date-mao-second-trip"),
    Event("1958-07-31", "Khrushchev in Beijing", "date-khrushchev-1958", end="1958-08-03"),
    Event("1959-09", "Khrushchev's last visit", "date-khrushchev-1959"),
    Event("1960", "Soviet advisers withdrawn", "date-advisers-withdrawn"),
    Event("1969-03", "Border conflict, from Zhenbao", "date-border-clashes", end="1969-09"),
    Event("1978-08-10", "Deng: treaty to end at expiry", "date-deng-tells-japan"),
    Event("1978-11-03", "Soviet–Vietnamese treaty", "date-soviet-vietnam-treaty"),
    Event("1979-02-17", "Sino-Vietnamese War", "date-sino-vietnamese-war", end="1979-03-16"),
    Event("1979-04-03", "China gives notice: no renewal", "date-non-renewal", key=True),
    Event("1979-10-17", "Deputy-minister talks, Moscow", "date-1979-talks", end="1979-11-30"),
    Event("1979-12", "Soviet war in Afghanistan", "date-afghanistan"),
    Event("1980-04", "Treaty lapses", "date-lapse", key=True),
    Event("1986-07-28", "Gorbachev's Vladivostok speech", "date-vladivostok-speech"),
    Event("1989-05-15", "Beijing summit: normalisation", "date-summit", end="1989-05-18"),
    Event("2001-07-16", "China–Russia treaty of 2001", "date-treaty-2001"),
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


def short_when(event: Event) -> str:
    """The date as the image writes it, without the year: '14 Feb', 'Jun–Aug', ''."""

    def one(parts: tuple[int, ...]) -> str:
        if len(parts) == 1:
            return ""
        month = MONTHS[parts[1] - 1][:3]
        return month if len(parts) == 2 else f"{parts[2]} {month}"

    start = _parts(event.start)
    if event.end is None:
        return one(start)
    end = _parts(event.end)
    if len(start) == 3 and start[:2] == end[:2]:
        return f"{start[2]}–{end[2]} {MONTHS[start[1] - 1][:3]}"
    sep = "–" if len(start) == 2 else " – "
    return f"{one(start)}{sep}{one(end)}"


# Layout, in SVG user units. Anki shows an image no taller than the window and no
# wider than the card, so the timeline is one line per event and about 1.5 times as
# tall as it is wide: legible both on a desktop screen and at a phone's card width.
WIDTH = 520
YEAR_X = 50  # right edge of the year column
DATE_X = 60
LINE_X = 202
LABEL_X = 214
TOP = 84
ROW = 27
YEAR_GAP = 7
MAX_LABEL = 32  # characters; longer labels would run off the right edge

BACKGROUND = "#fbf8f0"  # the image carries its own light background (night mode)
INK = "#1d1d1d"
MUTED = "#5a5a5a"
ACCENT = "#9b1c1c"
RULE = "#8a8a8a"
SEPARATOR = "#e4dccb"
FONT = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x}" y="{y}"{extra}>{escape(content)}</text>'


def _dot(y: float, event: Event) -> str:
    radius = 7 if event.key else 5
    if event.confidence == "M":
        return (f'<circle cx="{LINE_X}" cy="{y}" r="{radius}" fill="{BACKGROUND}" '
                f'stroke="{ACCENT}" stroke-width="2.5"/>')
    return f'<circle cx="{LINE_X}" cy="{y}" r="{radius}" fill="{ACCENT}"/>'


def render_svg(events: tuple[Event, ...] = EVENTS) -> str:
    """Return the timeline as a standalone SVG document."""
    body: list[str] = []
    y = TOP
    last_year = None
    first_y = last_y = 0
    for index, event in enumerate(events):
        if len(event.label) > MAX_LABEL:
            raise ValueError(f"{event.card}: label longer than {MAX_LABEL} characters")
        year = event.start[:4]
        if year != last_year:
            if last_year is not None:
                y += YEAR_GAP
                body.append(f'<line x1="12" y1="{y - ROW / 2 - YEAR_GAP / 2 + 2}" '
                            f'x2="{WIDTH - 12}" y2="{y - ROW / 2 - YEAR_GAP / 2 + 2}" '
                            f'stroke="{SEPARATOR}" stroke-width="1"/>')
            body.append(_text(YEAR_X, y + 5, year, font_size="15", font_weight="bold",
                              fill=INK, text_anchor="end"))
            last_year = year
        if index == 0:
            first_y = y
        last_y = y
        body.append(_dot(y, event))
        date = short_when(event) + (" (?)" if event.confidence == "M" else "")
        if date:
            body.append(_text(DATE_X, y + 5, date, font_size="14", font_weight="bold",
                              fill=ACCENT))
        body.append(_text(LABEL_X, y + 5, event.label, font_size="15",
                          font_weight="bold" if event.key else "normal", fill=INK))
        y += ROW
    height = y + 22
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="{FONT}">',
        "<title>The Sino-Soviet treaty of 1950: timeline, 1945–1989</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" rx="12" fill="{BACKGROUND}"/>',
        _text(WIDTH / 2, 32, "Sino-Soviet Treaty of 1950", font_size="20",
              font_weight="bold", fill=INK, text_anchor="middle"),
        _text(WIDTH / 2, 54, "from the 1945 treaty to normalisation in 1989", font_size="14",
              fill=MUTED, text_anchor="middle"),
        f'<line x1="{LINE_X}" y1="{first_y}" x2="{LINE_X}" y2="{last_y}" stroke="{RULE}" '
        'stroke-width="2"/>',
    ]
    legend = _text(WIDTH - 14, height - 12, "(?) medium confidence", font_size="12",
                   fill=MUTED, text_anchor="end")
    return "\n".join([*head, *body, legend, "</svg>"]) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_svg())
