"""The command line's run-time edges: progress on a terminal, Ctrl-C, exiting when the output
stream is gone. Kept apart from the commands so it loads before click does."""

from __future__ import annotations

import contextlib
import os
import sys
import time


def echo_err(text: str) -> None:
    with contextlib.suppress(Exception):
        sys.stderr.write(text)
        sys.stderr.flush()


def interrupted(*_: object) -> None:
    with contextlib.suppress(Exception):
        sys.stderr.write("\nInterrupted.\n")
        sys.stderr.flush()
    os._exit(130)  # no clean-up to wait for: every write is atomic


def exit_now(status: int) -> None:
    # A closed or full stdout must not turn a build that wrote its files into a failure.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    os._exit(status)


class Progress:
    """Say what a long build is doing, on one terminal line that is wiped when it is done.

    Only on a terminal, and only once the build has run for a moment: a small deck builds
    before a person could read it, and logs should get the summary alone.
    """

    def __init__(self, enabled: bool, delay: float = 0.5):
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.delay, self.shown = delay, False

    def __call__(self, stage: str) -> None:
        if self.enabled and time.monotonic() - self.start >= self.delay:
            echo_err(f"\r\033[K{stage}…")
            self.shown = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self.shown:
            echo_err("\r\033[K")


