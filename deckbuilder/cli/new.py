"""`build-deck new`: start a deck of your own."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import click

from deckbuilder.cli.options import NamedPath


def _check_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from deckbuilder.new import name_problem

    wrong = name_problem(value)
    if wrong:
        raise click.BadParameter(wrong)
    return value.strip()


@click.command(short_help="Start a deck of your own in a new folder.")
@click.argument("folder", required=False, type=NamedPath(path_type=Path))
@click.option("--name", required=True, callback=_check_name,
              help="The deck's name, as learners see it in Anki (fixed once released).")
@click.option("--here", is_flag=True, help="Start the deck in the current folder instead.")
def new(folder: Path | None, name: str, here: bool) -> None:
    """Start a deck in FOLDER (new or empty) that builds at once and imports into Anki.

    Writes cards/deck.yaml with fresh permanent ids (the deck's and its own two note types'),
    an example card file (basic, reverse and cloze), media/ with the image it shows, the
    deck's own style.css, its ledger cards.lock, the JSON Schemas editors use beside the
    cards, and a .gitignore for dist/. Never writes over a file.

    \b
    Example:
        build-deck new versailles --name "Treaty of Versailles"
        cd versailles && build-deck
        build-deck new --here --name "Treaty of Versailles"   # in the current folder
    """
    from deckbuilder.new import new_deck

    if (folder is None) != here:
        raise click.UsageError("name a FOLDER for the new deck, or give --here for the "
                               "current folder (not both)")
    made = new_deck(folder or Path.cwd(), name, here)
    where = "this folder" if here else f"{made.folder}/"
    click.echo(f"Started the deck '{name}' in {where}: {', '.join(made.files)}.")
    click.echo("Its ids are fresh and its own: keep them, they tie learners' notes to your "
               "cards.")
    click.echo(f"Deck names must be unique in a learner's collection too: Anki merges decks of "
               f"the same name, so check that no other deck your learners use is called "
               f"'{name}'.")
    program = _program()
    click.echo("Next:")
    if not here:
        click.echo(f"  cd {shlex.quote(str(made.folder))}")
    click.echo(f"  {program}  # builds {made.package}")
    click.echo(f"Then in Anki: File > Import > {made.package} (or, with Anki closed: "
               f"{program} install).")
    click.echo("Then edit the cards in cards/, build again and import again: learners keep "
               "their reviews. Keep the folder in git and commit cards.lock and cards.shipped "
               "with the cards.")


def _program() -> str:
    """build-deck as the user can type it after `cd`: by name when that finds this one."""
    invoked = Path(sys.argv[0])
    if invoked.name != "build-deck":
        return "build-deck"
    on_path = shutil.which("build-deck")
    if on_path and os.path.samefile(on_path, invoked.absolute()):
        return "build-deck"
    return shlex.quote(str(invoked.absolute()))
