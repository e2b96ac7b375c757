"""The ledger file's fields: format constants, escaping, numbers and times, shared by its
reader (ledgerfile.py, which describes the format) and its writer (ledgerwrite.py)."""

from __future__ import annotations

import re
import time

FORMAT = 2
MAGIC = "build-deck ledger"
# No deck was built before this: a time earlier than this, or later than the clock by more than
# a day, was not written by a build (a millisecond time, a clock set to 2100, a hand edit).
EARLIEST = 946_684_800  # 2000-01-01T00:00:00Z
CLOCK_SKEW = 86_400
KINDS = ("basic", "cloze")
FLAGS = ("retired",)
RECOVER = ("restore it from version control (git checkout -- cards.lock), or rebuild it from "
           "the package you last released: build-deck ledger --from RELEASED.apkg")
_ESCAPE = re.compile(r"[\\|\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UNESCAPE = re.compile(r"\\u([0-9a-f]{4})")
NUMBER = re.compile(r"(0|[1-9][0-9]{0,18})")


def escape(text: str) -> str:
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def unescape(text: str) -> str:
    if "\\" not in text:
        return text
    rest = _UNESCAPE.sub("", text)
    if "\\" in rest:
        raise ValueError("a backslash that is no escape")
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def escape_list(items: tuple[str, ...]) -> str:
    return "|".join(escape(item) for item in items)


def latest_time() -> int:
    """The latest time a build may stamp: the clock, and a day's grace for skewed clocks."""
    return int(time.time()) + CLOCK_SKEW


def check_time(value: int, what: str, latest: int) -> str | None:
    """What is wrong with a time a note or deck would carry into Anki, or None."""
    if value < EARLIEST:
        return f"{what} {value} is before 2000, earlier than any build"
    if value > latest:
        day = (time.strftime("%Y-%m-%d", time.gmtime(value)) if value <= 253402300799
               else "after 9999")
        hint = " (a time in milliseconds?)" if value > 10**11 else ""
        return (f"{what} {value} ({day}) is in the future{hint}: a note stamped with it would "
                "overwrite learners' own edits on every later import")
    return None


def parse_number(text: str) -> int:
    if not NUMBER.fullmatch(text):  # ASCII digits only: int() also takes '١' and '1_0'
        raise ValueError(text)
    return int(text)

