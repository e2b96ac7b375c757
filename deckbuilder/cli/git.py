"""build-deck setup-git: make git merge cards.lock with build-deck, record by record."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import click

from deckbuilder.cli.options import cards_option, ledger_option

DRIVER = "build-deck-ledger"


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        raise click.ClickException(f"could not run git: {e}") from None
    if done.returncode and "not a git repository" in done.stderr:
        raise click.ClickException(f"{folder}: not in a git repository; setup-git sets up the "
                                   "repository that keeps the deck: run `git init` there first")
    if done.returncode:
        raise click.ClickException(f"{folder}: git {' '.join(args[:2])} failed: "
                                   f"{done.stderr.strip() or done.returncode}")
    return done.stdout.strip()


def _command() -> str:
    """This build-deck, by its full path when run as the console script (git's PATH may not
    hold the virtual environment), else by name."""
    script = Path(sys.argv[0])
    if script.name == "build-deck" and script.is_file():
        return shlex.quote(str(script.resolve()))
    return "build-deck"


@click.command("setup-git")
@cards_option
@ledger_option
def setup_git(cards_dir: Path, ledger_path: Path | None) -> None:
    """Make git merge the ledger with `build-deck ledger --merge`.

    Two branches that both built the deck both changed cards.lock, and a line-by-line merge
    breaks its check. This installs a merge driver in the repository's .git/config (which git
    never copies between clones: run it once in each) and names it for the ledger in
    .gitattributes (commit that file), beside `text eol=lf`, which keeps the ledger LF on a
    Windows checkout. The record of what we shipped (cards.shipped) is named there too: git
    merges it by keeping both sides' lines.

    \b
    Example:
        build-deck setup-git && git add .gitattributes
    """
    from deckbuilder.paths import default_ledger, shipped_beside

    ledger_path = Path(ledger_path or default_ledger(cards_dir)).resolve()
    top = Path(_git(ledger_path.parent, "rev-parse", "--show-toplevel")).resolve()
    driver = f"{_command()} ledger --merge %O %A %B"
    _git(top, "config", "--local", f"merge.{DRIVER}.name",
         "build-deck: merge cards.lock record by record")
    _git(top, "config", "--local", f"merge.{DRIVER}.driver", driver)
    pattern = "/" + ledger_path.relative_to(top).as_posix()
    record = "/" + shipped_beside(ledger_path).relative_to(top).as_posix()
    attributes = top / ".gitattributes"
    lines = attributes.read_text("utf-8").splitlines() if attributes.is_file() else []
    # The record of what we shipped only ever grows: both sides' lines are the merge.
    wanted = [f"{pattern} text eol=lf merge={DRIVER}", f"{record} text eol=lf merge=union"]
    missing = [line for line in wanted if line not in lines]
    if missing:
        attributes.write_text("\n".join(lines + missing) + "\n", "utf-8")
    click.echo(f"git now merges {pattern[1:]} with: {driver}\n"
               f"{attributes.relative_to(top)} names it; commit that file.")
