"""The treaty timeline: one list of dated events, rendered as one SVG per event.

This list is the single source of truth for the timeline images. Each event names
the card that teaches its date; that card shows ``media/timeline-<card>.svg``, a
window of the neighbouring events with its own event marked. tests/test_content.py
checks that the card states the same date (as written by ``when_text``) and
tests/test_pictures.py that every image is exactly what ``render_svg`` produces.

Regenerate the images (and remove stale ones) with:  python3 tools/timeline.py
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
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
    Event("1950-03-27", "Three joint companies agreed", "date-joint-companies"),
    Event("1950-04-11", "In force for 30 years", "date-in-force", key=True),
    Event("1950-09-30", "Ratifications exchanged", "date-ratifications-exchanged",
          confidence="M"),
    Event("1950-10-19", "Volunteers cross the Yalu", "date-yalu-crossing"),
    Event("1952-12-31", "Changchun Railway handed over", "date-railway-handover"),
    Event("1953-07-27", "Korean armistice signed", "date-korean-armistice"),
    Event("1954-09", "Khrushchev's first visit", "date-khrushchev-visit", end="1954-10"),
    Event("1955-05", "Soviets leave Port Arthur", "date-port-arthur-withdrawal"),
    Event("1956-02-25", "Khrushchev's secret speech", "date-secret-speech"),
    Event("1957-10", "Defence technology accord", "date-defence-accord"),
    Event("1957-11", "Mao's second trip to Moscow", "date-mao-second-trip"),
    Event("1958-07-31", "Khrushchev in Beijing", "date-khrushchev-1958", end="1958-08-03"),
    Event("1959-09", "Khrushchev's last visit", "date-khrushchev-1959"),
    Event("1960-07-16", "Soviet note recalls experts", "date-advisers-withdrawn"),
    Event("1964-10-14", "Khrushchev removed", "date-khrushchev-removed"),
    Event("1965-02-11", "Mao receives Kosygin", "date-kosygin-mao-1965"),
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


# Layout, in SVG user units. Anki scales an image down to the card's width, so the
# drawing is 360 units wide and no text is smaller than 12.5 units: at a phone's
# card width (about 330 px) that is still 11.5 px. A window of seven events keeps
# the image about as tall as it is wide.
WIDTH = 360
SCALE = 1.25  # the SVG's natural size (desktop), as the maps; Anki shrinks it on a phone
WINDOW = 7  # events shown around the card's own one
AXIS_LEFT, AXIS_RIGHT, AXIS_Y = 28, 332, 40  # the overview strip, 1945 to the last event
FIRST_YEAR, LAST_YEAR = 1945, 2005
YEAR_X = 46  # right edge of the year column
LINE_X = 60
LABEL_X = 74
TOP = 104  # first row's label baseline
ROW = 40
YEAR_GAP = 6
MAX_LABEL = 32  # characters; longer labels would run off the right edge

# Transparent background and dark inks on purpose: card.css inverts the figure in
# night mode, so these colours must read well both as they are and inverted.
INK = "#1d1d1f"
MUTED = "#6b6b66"
ACCENT = "#a31f1f"
RULE = "#a9a79f"
BAND = "#f5e3dd"  # behind the card's own event
FONT = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(content)}</text>'


def _year_fraction(event: Event) -> float:
    parts = _parts(event.start)
    month = parts[1] - 0.5 if len(parts) > 1 else 6.0
    return parts[0] + month / 12


def _axis_x(event: Event) -> float:
    share = (_year_fraction(event) - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)
    return AXIS_LEFT + share * (AXIS_RIGHT - AXIS_LEFT)


def _span(events: tuple[Event, ...]) -> str:
    return f"{events[0].start[:4]}–{events[-1].start[:4]}"


def _window(events: tuple[Event, ...], index: int) -> tuple[int, int]:
    first = min(max(index - WINDOW // 2, 0), max(len(events) - WINDOW, 0))
    return first, min(first + WINDOW, len(events))


def _overview(events: tuple[Event, ...], own: Event, first: int, last: int) -> list[str]:
    """A strip from 1945 to 2005 with every event, the window shaded, the own event marked."""
    left, right = _axis_x(events[first]), _axis_x(events[last - 1])
    parts = [
        f'<rect x="{_num(left - 6)}" y="{AXIS_Y - 8}" width="{_num(right - left + 12)}" '
        f'height="16" rx="8" fill="{BAND}"/>',
        f'<line x1="{AXIS_LEFT}" y1="{AXIS_Y}" x2="{AXIS_RIGHT}" y2="{AXIS_Y}" '
        f'stroke="{RULE}" stroke-width="1.5"/>',
    ]
    for year in range(FIRST_YEAR, LAST_YEAR + 1, 5):
        x = AXIS_LEFT + (year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR) * (AXIS_RIGHT - AXIS_LEFT)
        tall = year % 10 == 0
        parts.append(f'<line x1="{_num(x)}" y1="{AXIS_Y + 3}" x2="{_num(x)}" '
                     f'y2="{AXIS_Y + (9 if tall else 6)}" stroke="{RULE}" stroke-width="1"/>')
        if tall:
            parts.append(_text(x, AXIS_Y + 23, str(year), font_size="12.5", fill=MUTED,
                               text_anchor="middle"))
    for event in events:
        if event is not own:
            parts.append(f'<circle cx="{_num(_axis_x(event))}" cy="{AXIS_Y}" r="2.5" '
                         f'fill="{MUTED}"/>')
    parts.append(f'<circle cx="{_num(_axis_x(own))}" cy="{AXIS_Y}" r="5" fill="{ACCENT}" '
                 'stroke="#ffffff" stroke-width="1.5"/>')
    return parts


def _dot(y: float, event: Event, own: bool) -> str:
    radius = 7 if own else (5.5 if event.key else 4.5)
    colour = ACCENT if own else INK
    if event.confidence == "M":
        return (f'<circle cx="{LINE_X}" cy="{_num(y)}" r="{radius - 1}" fill="#ffffff" '
                f'stroke="{colour}" stroke-width="2.5"/>')
    return f'<circle cx="{LINE_X}" cy="{_num(y)}" r="{radius}" fill="{colour}"/>'


def render_svg(card: str, events: tuple[Event, ...] = EVENTS) -> str:
    """The timeline image for the event that ``card`` teaches, as an SVG document."""
    index = next((i for i, e in enumerate(events) if e.card == card), None)
    if index is None:
        raise ValueError(f"no timeline event is taught by card {card!r}")
    own = events[index]
    first, last = _window(events, index)
    rows: list[str] = []
    y = TOP
    last_year = None
    first_y = last_y = 0.0
    for event in events[first:last]:
        if len(event.label) > MAX_LABEL:
            raise ValueError(f"{event.card}: label longer than {MAX_LABEL} characters")
        is_own = event is own
        year = event.start[:4]
        if last_year is not None and year != last_year:
            y += YEAR_GAP
        dot_y = y - 4.5
        if event is events[first]:
            first_y = dot_y
        last_y = dot_y
        date = short_when(event) + (" (?)" if event.confidence == "M" else "")
        if is_own:
            rows.append(f'<rect x="4" y="{_num(y - 21)}" width="{WIDTH - 8}" '
                        f'height="{36 if date else 30}" rx="7" fill="{BAND}"/>')
        if year != last_year:
            rows.append(_text(YEAR_X, y, year, font_size="14", font_weight="bold",
                              fill=ACCENT if is_own else INK, text_anchor="end"))
            last_year = year
        rows.append(_dot(dot_y, event, is_own))
        rows.append(_text(LABEL_X, y, event.label, font_size="14", fill=INK,
                          font_weight="bold" if is_own else "normal"))
        if date:
            rows.append(_text(LABEL_X, y + 15, date, font_size="12.5", fill=ACCENT,
                              font_weight="bold" if is_own else "normal"))
        y += ROW
    height = round(y - ROW + 30)
    has_m = any(e.confidence == "M" for e in events[first:last])
    if has_m:
        height += 10
    spine = [f'<line x1="{LINE_X}" y1="{_num(first_y)}" x2="{LINE_X}" y2="{_num(last_y)}" '
             f'stroke="{RULE}" stroke-width="2"/>']
    # Dashed ends say the line goes on beyond the window.
    if first > 0:
        spine.append(f'<line x1="{LINE_X}" y1="{_num(first_y - 20)}" x2="{LINE_X}" '
                     f'y2="{_num(first_y)}" stroke="{RULE}" stroke-width="2" '
                     'stroke-dasharray="3 3"/>')
    if last < len(events):
        spine.append(f'<line x1="{LINE_X}" y1="{_num(last_y)}" x2="{LINE_X}" '
                     f'y2="{_num(last_y + 20)}" stroke="{RULE}" stroke-width="2" '
                     'stroke-dasharray="3 3"/>')
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{round(WIDTH * SCALE)}" height="{round(height * SCALE)}" '
        f'font-family="{FONT}">',
        f"<title>Timeline: {escape(own.label)}, {escape(when_text(own))}</title>",
        _text(AXIS_LEFT - 4, 16, f"Sino-Soviet relations, {_span(events)}", font_size="12.5",
              font_weight="bold", fill=MUTED),
        *_overview(events, own, first, last),
    ]
    tail = []
    if has_m:
        tail.append(_text(WIDTH - 8, height - 8, "(?) medium confidence", font_size="12.5",
                          fill=MUTED, text_anchor="end"))
    return "\n".join([*head, *spine, *rows, *tail, "</svg>"]) + "\n"


def image_name(card: str) -> str:
    return f"timeline-{card}.svg"


def write_all(media: Path, events: tuple[Event, ...] = EVENTS) -> list[Path]:
    """Write one image per event into ``media``; remove timeline images no event has."""
    wanted = {image_name(e.card): render_svg(e.card, events) for e in events}
    for stale in sorted(media.glob("timeline*.svg")):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, svg in wanted.items():
        path = media / name
        if not path.exists() or path.read_text("utf-8") != svg:
            path.write_text(svg, "utf-8", newline="\n")
        written.append(path)
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "media"
    paths = write_all(out)
    print(f"{len(paths)} timeline images in {out}")
