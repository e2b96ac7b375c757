"""build-deck's release commands: the changelog, and a lost ledger rebuilt from a release."""

from __future__ import annotations

from pathlib import Path

import click

from deckbuilder import DeckError
from deckbuilder.cli.options import (
    NamedPath,
    cards_option,
    ledger_option,
    media_option,
    output_option,
)
from deckbuilder.errors import counted


@click.command(short_help="Print release notes in Markdown, newest release first.")
@cards_option
@media_option
@ledger_option
@click.option("--since", metavar="VERSION",
              help="Only the releases after this version (such as 1.0.0).")
@output_option("Write the Markdown to this file instead of printing it.")
def changelog(cards_dir: Path, media_dir: Path, ledger_path: Path | None, since: str | None,
              output: Path | None) -> None:
    """Print release notes in Markdown, newest release first.

    For each release recorded in the ledger (the deck's `version` at each build): the cards
    that are new, corrected (with the reasons), reworded, retired and renamed, each by id and
    question. The questions come from the cards as they are now; release dates from the git
    tags v<version>, when the deck is in a git repository.

    \b
    Example:
        build-deck changelog
        build-deck changelog --since 1.0.0 -o dist/CHANGELOG.md
    """
    from deckbuilder.build import make_notes
    from deckbuilder.ledger import (
        VERSION_RE,
        changelog_markdown,
        git_dates,
        read_ledger,
        read_shipped_file,
        released_commits,
    )
    from deckbuilder.paths import default_ledger, shipped_beside

    if since is not None and not VERSION_RE.match(since):
        raise click.BadParameter(f"{since!r} is not a version such as 1.0.0 "
                                 "(major.minor.patch)", param_hint="--since")
    ledger_path = ledger_path or default_ledger(cards_dir)
    ledger = read_ledger(ledger_path)
    made = make_notes(cards_dir, media_dir)
    commits = released_commits(read_shipped_file(shipped_beside(ledger_path)).record)
    dates = git_dates(Path(cards_dir), list(ledger.releases), commits)
    text = changelog_markdown(made.deck.name, ledger, made.notes, since, dates, commits)
    if output is None:
        click.echo(text, nl=False)
        return
    from deckbuilder.atomic import write_atomically

    write_atomically(output, lambda f: f.write(text.encode("utf-8")))
    click.echo(f"Wrote {output}.")


@click.command(short_help="Rebuild a lost ledger from a release, or merge two ledgers.")
@click.option("--from", "package", type=NamedPath(dir_okay=False, path_type=Path),
              help="The package you last released to learners.")
@click.option("--merge", "merge", nargs=3, metavar="BASE OURS THEIRS",
              type=NamedPath(dir_okay=False, path_type=Path),
              help="Merge three ledgers into OURS (git's merge driver: build-deck setup-git).")
@cards_option
@media_option
@ledger_option
def ledger(package: Path | None, merge: tuple[Path, Path, Path] | None, cards_dir: Path,
           media_dir: Path, ledger_path: Path | None) -> None:
    """Rebuild a lost ledger from the package you last released, or merge two branches' ledgers.

    --from PACKAGE matches each note in PACKAGE to today's card by its identity, and writes the
    ledger that release implies: the next build then updates exactly the notes whose cards
    changed since, and leaves learners' own edits on the others alone. Refuses to replace a
    ledger that reads, and a package Anki exported from a collection (a learner's edits and
    import times, not a release).

    --merge BASE OURS THEIRS merges three ledgers (the common ancestor's, ours, theirs) and
    writes the result to OURS: per note the highest stamp wins, with its content; release,
    change and rename records are united; the check is recomputed. Git runs it as the merge
    driver that `build-deck setup-git` installs.

    \b
    Example:
        build-deck ledger --from ~/releases/treaty-1.0.apkg
        build-deck ledger --merge base.lock cards.lock theirs.lock
    """
    if (package is None) == (not merge):
        raise click.UsageError("give either --from PACKAGE or --merge BASE OURS THEIRS.")
    if merge:
        _merge(*merge)
        return
    assert package is not None
    from deckbuilder.atomic import write_atomically
    from deckbuilder.errors import display_path
    from deckbuilder.ledger import NOT_A_LEDGER, ledger_lines, read_ledger, read_shipped_file
    from deckbuilder.paths import default_ledger, shipped_beside
    from deckbuilder.recover import ledger_from_package
    from deckbuilder.safety import Inputs, refuse_own_inputs

    ledger_path = Path(ledger_path or default_ledger(cards_dir))
    refuse_own_inputs(ledger_path, Inputs(cards_dir, media_dir, ledger_path), is_ledger=True)
    try:
        if not read_ledger(ledger_path).missing:
            raise click.ClickException(f"{display_path(ledger_path)} exists and reads well; "
                                       "move it away first if it is wrong.")
    except DeckError as e:
        if any(p.message == NOT_A_LEDGER for p in e.problems):
            raise click.ClickException(
                f"{display_path(ledger_path)} is not a ledger (it has no 'build-deck ledger' "
                "line), and ledger --from would write over it, so nothing was written: name "
                "the lost ledger's own path with --ledger (cards.lock beside the cards "
                "folder), or move this file away first.") from None
        # a damaged ledger: this command is what it needs
    record = read_shipped_file(shipped_beside(ledger_path)).record
    found = ledger_from_package(cards_dir, media_dir, package, shipped=record)
    write_atomically(ledger_path, lambda f: f.writelines(
        line.encode("utf-8") for line in ledger_lines(found.ledger)))
    click.echo(f"Wrote {display_path(ledger_path)} from {display_path(package)}: "
               f"{counted(found.matched, 'note')} released, {found.changed} changed since, "
               f"{counted(found.new, 'new card')}.")


def _merge(base: Path, ours: Path, theirs: Path) -> None:
    from deckbuilder.atomic import write_atomically
    from deckbuilder.errors import display_path
    from deckbuilder.ledger import Ledger, ledger_lines, merge_ledgers, read_ledger

    files = (display_path(base), display_path(ours), display_path(theirs))

    # Git hands the driver an empty BASE when the branches have no common version of the file.
    base_ledger = (Ledger(missing=True) if base.is_file() and base.stat().st_size == 0
                   else read_ledger(base))
    ours_ledger, theirs_ledger = read_ledger(ours), read_ledger(theirs)
    if ours_ledger.missing or theirs_ledger.missing:
        missing = files[1] if ours_ledger.missing else files[2]
        raise click.ClickException(f"{missing}: no such ledger; --merge needs OURS and THEIRS "
                                   "(BASE may be missing: a ledger both branches added)")
    merged = merge_ledgers(base_ledger, ours_ledger, theirs_ledger, files)
    write_atomically(ours, lambda f: f.writelines(
        line.encode("utf-8") for line in ledger_lines(merged)))
    click.echo(f"Merged {files[2]} into {files[1]}: {len(merged.cards)} notes, "
               f"{len(merged.releases)} releases.")
