"""build-deck, runnable from a checkout: `python build_deck.py [COMMAND] [OPTIONS]`.

The command lives in deckbuilder.cli; the installed `build-deck` script runs the same `main`.
"""

from deckbuilder.cli import cli, main

__all__ = ["cli", "main"]

if __name__ == "__main__":
    main()
