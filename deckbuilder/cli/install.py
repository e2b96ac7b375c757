"""build-deck install: apply a release inside the learner's own Anki collection."""

from __future__ import annotations

from pathlib import Path

import click

from deckbuilder.cli.options import NamedPath, cards_option, ledger_option, media_option


@click.command(short_help="Apply a release inside your own Anki collection, keeping your edits.")
@click.argument("package", required=False, type=NamedPath(dir_okay=False, path_type=Path))
@click.option("--profile", metavar="NAME", help="The Anki profile to install into.  [default: "
              "the only one]")
@click.option("--collection", "collection_path", type=NamedPath(dir_okay=False, path_type=Path),
              help="The collection file itself (collection.anki2), instead of a profile.")
@click.option("--base", "base_dir", type=NamedPath(file_okay=False, path_type=Path),
              help="Where Anki keeps its profiles.  [default: ANKI_BASE, or Anki's own folder]")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.option("--delete-retired", is_flag=True,
              help="Delete retired notes never reviewed, instead of suspending them.")
@click.option("--conflicts", "show_conflicts", is_flag=True,
              help="Print the last conflicts report again, and do nothing else.")
@click.option("-v", "--verbose", is_flag=True, help="List the card ids of every change.")
@cards_option
@media_option
@ledger_option
def install(package: Path | None, profile: str | None, collection_path: Path | None,
            base_dir: Path | None, dry_run: bool, delete_retired: bool, show_conflicts: bool,
            verbose: bool, cards_dir: Path, media_dir: Path, ledger_path: Path | None) -> None:
    """Install PACKAGE into your Anki collection: your edits, tags and reviews stay.

    Each field is decided by its content, not by times: a field that still holds text we
    shipped takes the release's; your own edit stays when the release did not change that
    field; when both changed, the release's text goes in and yours is kept in
    <profile>/build-deck/conflicts-v<version>.md. Tags `build-deck::protect::<Field>` (or
    `::all`) keep fields as they are. Anki must be closed. Without PACKAGE, builds the deck
    first, as `build-deck` does.

    \b
    Example:
        build-deck install --dry-run
        build-deck install dist/treaty.apkg --profile "User 1"
        build-deck install --conflicts
    """
    from deckbuilder.install import Options, find_target, last_report, read_package
    from deckbuilder.install import install as run_install

    if profile and collection_path:
        raise click.UsageError("give --profile or --collection, not both")
    target = find_target(profile, collection_path, base_dir)
    if show_conflicts:
        report = last_report(target)
        if report is None:
            click.echo(f"No conflicts report in {target.reports}: no install replaced text of "
                       "yours.")
        else:
            click.echo(report.read_text("utf-8"), nl=False)
        return
    if package is None:
        from deckbuilder.build import build

        package = build(cards_dir, media_dir, None, ledger_path).output
        click.echo(f"Built {package}.")
    contents = read_package(package)
    done = run_install(target, contents, Options(delete_retired=delete_retired), dry_run)
    _report(done, target.collection, verbose)


def _report(done, collection: Path, verbose: bool) -> None:
    from deckbuilder.install import OPENS_WITH

    s = done.summary
    version = f"version {s.version}" if s.version else "the package"
    if not s.changed:
        click.echo(f"Nothing to change: {collection} already holds {version}.")
        _details(s, verbose)
        return
    verb = "Would install" if done.dry_run else "Installed"
    click.echo(f"{verb} {version} into {collection}: {len(s.added)} new, {len(s.updated)} "
               f"updated, {len(s.unchanged)} unchanged, {len(s.retired)} retired.")
    _details(s, verbose)
    if done.backup:
        click.echo(f"Backup first: {done.backup} (Anki: File -> Switch Profile -> Open Backup).")
    if done.report:
        click.echo(f"Your replaced text is kept in {done.report} (build-deck install --conflicts "
                   "shows it again).")
    if not done.dry_run:
        click.echo(f"{OPENS_WITH} opens the collection, as before.")


def _details(s, verbose: bool) -> None:
    lines = [
        (s.deleted, "retired and never reviewed: deleted"),
        (s.conflicts and [f"{c.card}: {c.field}" for c in s.conflicts],
         f"changed by you and by the release: the release's text is in, tagged "
         f"build-deck::conflict::v{s.version}"),
        (s.kept_edits, "your edits kept (the release did not change them)"),
        (s.held_back, "protected by your build-deck::protect tag: not changed"),
        (s.emptied, "cards left empty by the release"),
        (s.suspended_new, "new cards of notes you suspended: suspended too"),
        (s.put_away, "retired by an earlier release and never studied: suspended"),
        (s.other_type, "found on another note type: left where they are, not updated"),
        (s.not_restored, "deleted by you: not added back"),
        (s.note_types, "note types updated in place"),
    ]
    for items, label in lines:
        if items:
            click.echo(f"{len(items)} {label}.")
            if verbose:
                for item in items:
                    click.echo(f"  {item}")
    for item in s.held_back_corrections:
        click.echo(f"Correction held back by your protect tag: {item}.")
    if verbose:
        for label, ids in (("new", s.added), ("updated", s.updated), ("retired", s.retired)):
            for card_id in ids:
                click.echo(f"  {label}: {card_id}")
