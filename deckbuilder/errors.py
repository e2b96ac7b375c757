"""The one error type the core raises: a list of problems a person can act on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we know."""

    file: str
    line: int = 0
    col: int = 0
    card: str | None = None
    message: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        who = f" card '{self.card}':" if self.card else ""
        return f"{where}:{who} {self.message}"


class DeckError(ValueError):
    """Raised with every problem found in one pass; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collects problems while a step runs, then raises them together."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, file: str, line: int = 0, col: int = 0, card: str | None = None,
            message: str = "") -> None:
        self.found.append(Problem(file, line, col, card, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise DeckError(self.found)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def did_you_mean(word: str, candidates: list[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or '' when none is close."""
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def counted(number: int, noun: str) -> str:
    """'1 note', '2 notes', '1 media file': every count the commands print."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
