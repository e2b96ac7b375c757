"""Cloze syntax: which deletions a text has, and what is wrong with them."""

from __future__ import annotations

import re

# A deletion opens with {{cN:: and the next }} closes the innermost open one, as in Anki, where
# deletions may nest.
# Anki makes cards for c1 to c500 only. Measured (issue 19) by importing a package with one
# {{cN::x}} into each engine, `anki` from PyPI 2.1.50 (legacy importer), 2.1.55, 24.11, 25.2 and
# 26.9.3: up to c500 the card is made; from c501 it is listed by Check Empty Cards (which
# deletes it) on every one of them. tests/test_bad_input.py checks it on the installed engine.
MAX_CLOZE = 500
_CLOZE_TOKEN_RE = re.compile(r"\{\{c([0-9]+)::|\}\}")
# Anki's own pattern takes any Unicode digit (\d) as a deletion's number, but cannot number a
# card with '{{c１::' or '{{c١::': refused, as the rendered text would reach Anki so.
_NUMBER_RE = re.compile(r"\{\{c(\d+)::")


def cloze_numbers(text: str) -> tuple[list[int], int]:
    """The number of every cloze deletion in text, nested ones too, and how many are unclosed."""
    numbers: list[int] = []
    unclosed = 0
    for token in _CLOZE_TOKEN_RE.finditer(text):
        if token.group(1) is not None:
            numbers.append(int(token.group(1)))
            unclosed += 1
        elif unclosed:  # a }} with nothing open is only text
            unclosed -= 1
    return numbers, unclosed


def cloze_problem(text: str) -> str | None:
    """What is wrong with a cloze text's deletions, or None."""
    numbers, unclosed = cloze_numbers(text)
    odd = next((m for m in _NUMBER_RE.finditer(text) if not m.group(1).isascii()), None)
    if odd:
        return (f"the cloze number in '{odd.group()}' is not written in ASCII digits (0-9); "
                "Anki cannot number that card")
    if unclosed:
        return "a cloze deletion is not closed: write {{c1::text}}"
    if not numbers:
        return "'cloze' has no deletion: mark one with {{c1::text}}"
    if 0 in numbers:
        return "cloze numbers start at 1: use {{c1::...}}, not {{c0::...}}"
    if max(numbers) > MAX_CLOZE:
        return (f"cloze number {max(numbers)} is too high: Anki makes cards for c1 to "
                f"c{MAX_CLOZE} only, and takes a card beyond for an empty one; renumber it")
    return None
