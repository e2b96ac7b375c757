"""The one error type the core raises: a list of problems a person can act on."""

from __future__ import annotations

from dataclasses import dataclass


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
