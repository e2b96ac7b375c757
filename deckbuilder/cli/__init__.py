"""build-deck: turn YAML fact cards into an Anki package that survives regeneration.

A thin Click layer over deckbuilder, which does the work and raises DeckError for bad input.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

# Ctrl-C while starting up: deckbuilder/__init__.py installs the handler, first of all.
from deckbuilder import DeckError
from deckbuilder.cli.git import setup_git
from deckbuilder.cli.install import install
from deckbuilder.cli.new import new
from deckbuilder.cli.options import (
    NamedPath,
    cards_option,
    ledger_option,
    media_option,
    output_option,
)
from deckbuilder.cli.release import changelog, ledger
from deckbuilder.cli.runtime import Progress, exit_now, interrupted
from deckbuilder.errors import counted

if TYPE_CHECKING:
    from deckbuilder.build import DeckNotes


class _BuildByDefault(click.Group):
    """`build-deck [OPTIONS]` builds; `build-deck COMMAND` runs another command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Only options (or nothing) mean build; any other word is a command, so an unknown one
        # gets Click's own "No such command ... Did you mean ...?".
        if not args or (args[0].startswith("-") and args[0] not in ctx.help_option_names
                        and args[0] != "--version"):
            args = ["build", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        # Bad content or an unwritable path is the user's to fix: a message, never a traceback.
        try:
            return super().invoke(ctx)
        except DeckError as e:
            raise _content_error(e) from None
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise click.ClickException(f"could not read or write a file: {where}"
                                       f"{e.strerror or e}") from None



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
        build-deck check                    # validate only; writes nothing
        build-deck preview --open           # every card in one offline HTML page
        build-deck verify                   # import the last build into a scratch Anki
        build-deck changelog                # release notes in Markdown
        build-deck ledger --from OLD.apkg   # rebuild a lost cards.lock from a release
        build-deck setup-git                # let git merge cards.lock (ledger --merge)
        build-deck install                  # apply the deck to your Anki, keeping your edits
        build-deck new DIR --name "My deck" # start a deck of your own
    """


@cli.command()
@cards_option
@media_option
@output_option("Where to write the package.  [default: dist/<deck-name>.apkg]")
@ledger_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="List the card ids in the import plan.")
@click.option("--release", is_flag=True,
              help="A release build: stamp every note changed in this version with this build's "
                   "time and record the version as released.")
def build(cards_dir: Path, media_dir: Path, output: Path | None, ledger_path: Path | None,
          quiet: bool, verbose: bool, release: bool) -> None:
    """Build the Anki package from the cards and media.

    Also rewrites the ledger (cards.lock), which records each card's content and the time it
    last changed; commit it with your cards. Set SOURCE_DATE_EPOCH for a fixed build time.

    With --release, the build releases the deck's `version`: every note changed in it is
    stamped with this build's time, and the ledger records the version as released, so that
    later builds refuse to change it (raise `version` first).

    \b
    Example:
        build-deck build --cards cards --media media -o dist/treaty.apkg
        build-deck build --release          # then commit, and tag v<version>
    """
    from deckbuilder.build import build as run_build
    from deckbuilder.ledger import correction_tag
    from deckbuilder.paths import shipped_beside

    with Progress(enabled=not quiet) as progress:
        result = run_build(cards_dir, media_dir, output, ledger_path, progress=progress,
                           release=release)
    for notice in result.notices:
        click.echo(f"Note: {notice}", err=True)
    if quiet:
        return
    plan = result.plan
    _echo(f"Built {result.output}: {_contents(result)}.")
    _echo(f"Re-import plan: {len(plan.added)} new, {len(plan.updated)} updated, "
               f"{len(plan.unchanged)} unchanged, {len(plan.retired)} retired.")
    if plan.released:
        count = len(plan.stamped_for_release)
        _echo(f"Released version {result.deck.version}: {count} changed "
              f"note{'s' if count != 1 else ''} stamped with this build's time. Commit "
              f"{result.ledger_path.name} and "
              f"{shipped_beside(result.ledger_path).name}, then tag v{result.deck.version}.")
    elif release:
        _echo(f"Version {result.deck.version} was released already; nothing changed since.")
    version = result.deck.version
    if version and (plan.corrected or plan.renamed):
        _echo(f"Version {version}: {len(plan.corrected)} newly corrected (tagged "
              f"{correction_tag(version)}), {len(plan.renamed)} renamed.")
    elif plan.renamed:
        _echo(f"{len(plan.renamed)} renamed.")
    if plan.revised:
        _echo(f"{len(plan.revised)} earlier correction(s) newly withdrawn or amended.")
    if verbose:
        for label, ids in (("new", plan.added), ("updated", plan.updated),
                           ("retired", plan.retired), ("corrected", plan.corrected)):
            for card_id in ids:
                _echo(f"  {label}: {card_id}")
        for old, new in plan.renamed:
            _echo(f"  renamed: {old} -> {new}")
    replaced = ", ".join(f"'{name}'" for name in plan.replaced_note_types)
    for note_type in plan.new_note_types:
        instead = f" (in place of {replaced})" if replaced else ""
        _echo(f"Note type '{note_type.name}' is new{instead}: when importing, tick 'Merge "
                   "note types' in Anki's import options so existing notes move to it.")


@cli.command()
@cards_option
@media_option
@output_option("Where a build would write.  [default: dist/<deck-name>.apkg]")
@ledger_option
def check(cards_dir: Path, media_dir: Path, output: Path | None,
          ledger_path: Path | None) -> None:
    """Check the cards as a build would, writing nothing.

    Runs every validation of `build` (cards, media, sources, and the ledger of past builds)
    and prints the same messages; exits 1 if there is any problem. Quick enough for a
    pre-commit hook.

    \b
    Example:
        build-deck check
        build-deck check --cards cards --media media
    """
    from deckbuilder.build import prepare

    prepared = prepare(cards_dir, media_dir, ledger_path, output=output)
    plan = prepared.plan
    click.echo(f"OK: {_contents(prepared)} in '{prepared.deck.name}'; a build would add "
               f"{len(plan.added)}, update {len(plan.updated)} and retire {len(plan.retired)}.")
    if not prepared.deck.note_types:
        click.echo(f"Note: {_shared_note_types(prepared.deck.name)}")


@cli.command()
@cards_option
@media_option
@output_option("Where to write the page.  [default: dist/<deck-name>-preview.html]")
@click.option("--open", "open_page", is_flag=True, help="Open the page in a web browser.")
def preview(cards_dir: Path, media_dir: Path, output: Path | None, open_page: bool) -> None:
    """Write one HTML page showing every card as Anki will show it.

    Front and back of each card, each cloze deletion and each reverse card, with the deck's
    own templates and CSS; images and audio are inside the page, so it works offline. Filter
    by text or tag; switch night mode on to see the cards as in Anki's dark theme.

    \b
    Example:
        build-deck preview --open
        build-deck preview -o ~/treaty-cards.html
    """
    from deckbuilder.preview import write_preview

    result, output = write_preview(cards_dir, media_dir, output)
    click.echo(f"Wrote {output}: {counted(len(result.notes), 'note')}, "
               f"{counted(result.card_count, 'card')}.")
    if open_page:
        click.launch(str(output.resolve()))


@cli.command(short_help="Import a package into a throwaway Anki and report problems.")
@click.argument("package", required=False,
                type=NamedPath(dir_okay=False, path_type=Path))
@click.option("--upgrade-from", "upgrade_from", metavar="OLD.apkg",
              type=NamedPath(exists=True, dir_okay=False, path_type=Path),
              help="Also say what a learner who has OLD.apkg would miss on importing PACKAGE, "
                   "on each Anki importer (exit 1 if one who imports releases in order would).")
@cards_option
@ledger_option
def verify(package: Path | None, cards_dir: Path, ledger_path: Path | None,
           upgrade_from: Path | None) -> None:
    """Import PACKAGE into a throwaway Anki collection and report what Anki finds.

    Reports the notes, cards and media Anki imported, and exits 1 if Anki finds empty
    cards, media that is missing or unused, duplicate notes, or notes it would not import.
    PACKAGE defaults to the last build's output, dist/<deck-name>.apkg. Needs Anki's
    Python package: pip install anki.

    \b
    Example:
        build-deck && build-deck verify
        build-deck verify ~/Downloads/treaty.apkg
        build-deck verify --upgrade-from releases/treaty-2.0.0.apkg
    """
    from deckbuilder.paths import default_ledger
    from deckbuilder.verify import AnkiMissing, card_ids_from_ledger, default_package
    from deckbuilder.verify import verify as run_verify

    if package is None:
        package = default_package(cards_dir)
        if package is None:
            raise click.UsageError(f"no PACKAGE given, and no deck name in "
                                   f"{cards_dir / 'deck.yaml'} to find the last build by; "
                                   "name the .apkg to verify.")
    card_ids = card_ids_from_ledger(ledger_path or default_ledger(cards_dir))
    old = None
    try:
        if upgrade_from is not None:
            from deckbuilder.upgrade import read_package

            old = read_package(upgrade_from)  # a bad one is told before the long import
        report = run_verify(package, card_ids)
    except AnkiMissing as e:
        click.echo(f"Error: {e}", err=True)
        raise SystemExit(2) from None
    except DeckError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Imported {report.package} into a new Anki collection: "
               f"{counted(report.notes, 'note')}, {counted(report.cards, 'card')}, "
               f"{counted(report.media, 'media file')}.")
    upgrade_missed = False
    if upgrade_from is not None:
        from deckbuilder.upgrade import report as upgrade_report

        lines, upgrade_missed = upgrade_report(upgrade_from, package, card_ids, old)
        click.echo("\n".join(lines))
    if upgrade_missed and report.ok:
        raise click.ClickException("a learner who imports releases in order would miss a "
                                   "change (above): release with `build-deck build --release`.")
    if report.ok:
        click.echo("OK: no empty cards, missing or unused media, duplicates or skipped notes.")
        return
    count = len(report.problems)
    raise click.ClickException("\n".join(str(p) for p in report.problems)
                               + f"\n{count} problem{'s' if count != 1 else ''} found by Anki.")


cli.add_command(changelog)
cli.add_command(ledger)
cli.add_command(install)
cli.add_command(new)
cli.add_command(setup_git)


def _echo(message: str) -> None:
    # The files are written by now: a reader that went away (`| head`, `>&-`) is no failure.
    with contextlib.suppress(OSError, ValueError):
        click.echo(message)


def main() -> None:
    """The console script: Ctrl-C is one line and status 130, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        interrupted()
    except KeyboardInterrupt:
        interrupted()
    except click.ClickException as e:
        e.show()
        exit_now(e.exit_code)
    except SystemExit as e:
        exit_now(e.code if isinstance(e.code, int) else (0 if e.code is None else 1))
    exit_now(0)


def _shared_note_types(deck_name: str) -> str:
    from deckbuilder.source import fresh_id

    return (
        f"'{deck_name}' has no note types of its own (no 'note_types' in deck.yaml): it shares "
        "build-deck's, 'Fact (build-deck)' 1950021401 and 'Cloze (build-deck)' 1950021402, with "
        "the treaty deck and every deck built before build-deck new. In a collection holding two "
        "such decks, the one imported last sets the style of both. Either keep them (change "
        "nothing, and add no style.css), or move to note types of its own: add to deck.yaml\n"
        f"  note_types:\n    fact: {{id: {fresh_id()}, name: \"Fact ({deck_name})\"}}\n"
        f"    cloze: {{id: {fresh_id()}, name: \"Cloze ({deck_name})\"}}\n"
        "build, and tell learners to tick 'Merge note types' in Anki's import options for that "
        "release (without it Anki keeps their notes on the old note types and updates none of "
        "them). See the README: 'Decks that share ids'.")


def _contents(made: DeckNotes) -> str:
    return (f"{counted(len(made.notes), 'note')}, {counted(made.card_count, 'card')}, "
            f"{counted(len(made.media), 'media file')}")


def _content_error(error: DeckError) -> click.ClickException:
    count = len(error.problems)
    summary = f"{count} problem{'s' if count != 1 else ''} found; nothing was written."
    return click.ClickException(f"{error}\n{summary}")

