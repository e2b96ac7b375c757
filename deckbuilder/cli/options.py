"""The options several build-deck commands share."""

from __future__ import annotations

from pathlib import Path

import click

cards_option = click.option(
    "--cards", "cards_dir", type=click.Path(file_okay=False, path_type=Path), default="cards",
    show_default=True, help="Folder of YAML card files (with deck.yaml).")
media_option = click.option(
    "--media", "media_dir", type=click.Path(file_okay=False, path_type=Path), default="media",
    show_default=True, help="Folder of images and audio the cards name.")

ledger_option = click.option(
    "--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
    help="The ledger of past builds; the record of what we shipped is beside it, named "
         "<ledger stem>.shipped.  [default: cards.lock beside the cards folder]")
