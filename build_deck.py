"""build-deck: turn YAML fact cards into an Anki package that survives regeneration.

A thin Click layer over deckbuilder, which does the work and raises DeckError for bad input.
"""

from __future__ import annotations

from pathlib import Path

import click

from deckbuilder import DeckError


class _BuildByDefault(click.Group):
    """`build-deck [OPTIONS]` builds; `build-deck COMMAND` runs another command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names
                        and args[0] != "--version"):
            args = ["build", *args]
        return super().parse_args(ctx, args)


_cards_option = click.option(
    "--cards", "cards_dir", type=click.Path(file_okay=False, path_type=Path), default="cards",
    show_default=True, help="Folder of YAML card files (with deck.yaml).")
_media_option = click.option(
    "--media", "media_dir", type=click.Path(file_okay=False, path_type=Path), default="media",
    show_default=True, help="Folder of images and audio the cards name.")


@click.group(cls=_BuildByDefault, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="build-deck", prog_name="build-deck")
def cli() -> None:
    """Turn YAML fact cards into an Anki deck (.apkg) you can rebuild and re-import
    without losing review progress.

    With no command, builds the deck (the same as `build-deck build`).

    \b
    Example:
        build-deck                          # cards/ + media/ -> dist/<deck>.apkg
        build-deck -o ~/treaty.apkg --quiet
        build-deck build --help             # all build options
    """


@cli.command()
@_cards_option
@_media_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the package.  [default: dist/<deck-name>.apkg]")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger of past builds.  [default: cards.lock beside the cards folder]")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="List the card ids in the import plan.")
def build(cards_dir: Path, media_dir: Path, output: Path | None, ledger_path: Path | None,
          quiet: bool, verbose: bool) -> None:
    """Build the Anki package from the cards and media.

    Also rewrites the ledger (cards.lock), which records each card's content and the time it
    last changed; commit it with your cards. Set SOURCE_DATE_EPOCH for a fixed build time.

    \b
    Example:
        build-deck build --cards cards --media media -o dist/treaty.apkg
    """
    from deckbuilder.build import build as run_build

    try:
        result = run_build(cards_dir, media_dir, output, ledger_path)
    except DeckError as e:
        raise _content_error(e) from None
    except OSError as e:  # e.g. the output folder cannot be made: say so, without a traceback
        where = f"{e.filename}: " if e.filename else ""
        raise click.ClickException(f"could not read or write a file: {where}{e.strerror or e}"
                                   ) from None
    if quiet:
        return
    plan = result.plan
    click.echo(f"Built {result.output}: {len(result.notes)} notes, {result.card_count} cards, "
               f"{len(result.media)} media files.")
    click.echo(f"Re-import plan: {len(plan.added)} new, {len(plan.updated)} updated, "
               f"{len(plan.unchanged)} unchanged, {len(plan.retired)} retired.")
    if verbose:
        for label, ids in (("new", plan.added), ("updated", plan.updated),
                           ("retired", plan.retired)):
            for card_id in ids:
                click.echo(f"  {label}: {card_id}")
    for note_type in plan.new_note_types:
        click.echo(f"Note type '{note_type.name}' is new: when importing, tick 'Merge note "
                   "types' in Anki's import options so existing notes move to it.")


def _content_error(error: DeckError) -> click.ClickException:
    count = len(error.problems)
    summary = f"{count} problem{'s' if count != 1 else ''} found; nothing was written."
    return click.ClickException(f"{error}\n{summary}")


if __name__ == "__main__":
    cli()
