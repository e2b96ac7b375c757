"""The options several build-deck commands share."""

from __future__ import annotations

import functools
from pathlib import Path

import click


class NamedPath(click.Path):
    """A click.Path that refuses an empty name, which would mean the current folder (and, for
    an output, a traceback)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("is empty: name a file or folder", param, ctx)
        return super().convert(value, param, ctx)

cards_option = click.option(
    "--cards", "cards_dir", type=NamedPath(file_okay=False, path_type=Path), default="cards",
    show_default=True, help="Folder of YAML card files (with deck.yaml).")
media_option = click.option(
    "--media", "media_dir", type=NamedPath(file_okay=False, path_type=Path), default="media",
    show_default=True, help="Folder of images and audio the cards name.")

ledger_option = click.option(
    "--ledger", "ledger_path", type=NamedPath(dir_okay=False, path_type=Path),
    help="The ledger of past builds; the record of what we shipped is beside it, named "
         "<ledger stem>.shipped.  [default: cards.lock beside the cards folder]")


def output_option(help: str):
    """-o/--output for any command that writes a file, with the one guard every output gets:
    never over a card file, deck.yaml, the ledger, the shipped record or a media file (nor a
    link to one, nor the cards or media folder). Commands without --cards/--media/--ledger are
    guarded against the defaults."""
    def decorate(command):
        @functools.wraps(command)
        def guarded(**params):
            output = params.get("output")
            if output is not None:
                from deckbuilder.safety import Inputs, refuse_own_inputs

                refuse_own_inputs(output, Inputs(params.get("cards_dir") or Path("cards"),
                                                 params.get("media_dir") or Path("media"),
                                                 params.get("ledger_path")))
            return command(**params)

        return click.option("-o", "--output", type=NamedPath(dir_okay=False, path_type=Path),
                            help=help)(guarded)

    return decorate
