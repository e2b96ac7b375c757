"""build-deck's core: files -> cards -> notes -> package. Never imports click."""

# Ctrl-C while the command starts up is one line and status 130, never a traceback: the
# console script (and the checkout's shim) imports this before anything else of ours, so the
# handler goes in first, before a single import that could be interrupted. An importer (a test,
# a tool) keeps Python's own KeyboardInterrupt.
import os
import sys

if os.path.basename(sys.argv[0]) in ("build-deck", "build_deck.py"):
    # Python loads _signal (and os, sys) while starting: no import of a file to interrupt here.
    _signal = sys.modules.get("_signal") or __import__("signal")

    def _interrupted(*_: object) -> None:
        try:
            sys.stderr.write("\nInterrupted.\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - stderr may be closed: the status says it
            pass
        os._exit(130)  # no clean-up to wait for: every write is atomic

    _signal.signal(_signal.SIGINT, _interrupted)

from deckbuilder.errors import DeckError, Problem  # noqa: E402

__all__ = ["DeckError", "Problem"]
