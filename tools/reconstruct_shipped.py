"""Reconstruct the record of what we shipped (cards.shipped) from the repository's history.

Run once, by hand. Builds every commit that touched the cards or the builder, from the root
commit up to --to, with THAT commit's own code (a temporary `git worktree add --detach`, its own
build_deck.py, this venv's pinned genanki and markdown-it) and a copy of that commit's ledger,
which decides the stamps (SOURCE_DATE_EPOCH is the commit's time: see build_commit); reads each
package's notes and records one ShippedNote per note not yet recorded, with the commit and the
deck's version. Commits that do not build are listed and skipped. The builds at the release
commits are marked releases. Then today's build (this code, the working tree's cards) is
appended, as every build appends.

    .venv/bin/python tools/reconstruct_shipped.py                      # writes cards.shipped
    .venv/bin/python tools/reconstruct_shipped.py --to a394588 -o /tmp/past.shipped --no-today
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deckbuilder.ledger import Shipped, ShippedNote, read_ledger  # noqa: E402
from deckbuilder.notes import field_hash, guid_for  # noqa: E402

# What a build reads: a commit touching none of these builds what its parent built.
BUILD_INPUTS = ["cards", "media", "deckbuilder", "build_deck.py", "cli_*.py", "cards.lock",
                "pyproject.toml"]
# The releases learners were given: version -> the commit it was built at.
RELEASES = {"1.0.0": "ae3bc8a", "2.0.0": "a394588"}


@dataclass(frozen=True)
class Built:
    """One commit's build: its package's notes as ShippedNotes, and how its ledger fared."""

    shipments: list[ShippedNote]
    ledger_current: bool  # the build left the commit's ledger as committed
    package_reproduced: bool | None  # built sha256 == the ledger's recorded one (None: none)


@dataclass
class Summary:
    built: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (commit, why)
    stale_ledgers: list[str] = field(default_factory=list)  # the build restamped notes
    checks: list[str] = field(default_factory=list)  # what the release builds reproduced


def git(*args: str, cwd: Path = ROOT, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=check, stdin=subprocess.DEVNULL)
    return done.stdout.strip()


def commits_to_build(target: str, releases: set[str]) -> list[str]:
    """Every commit up to target touching the build's inputs, oldest first; the root commits,
    the release commits and target too."""
    wanted = set(git("rev-list", target, "--", *BUILD_INPUTS).split())
    wanted |= set(git("rev-list", "--max-parents=0", target).split()) | releases | {target}
    return [c for c in git("rev-list", "--reverse", "--topo-order", target).split()
            if c in wanted]


def deck_version(commit: str) -> str | None:
    text = git("show", f"{commit}:cards/deck.yaml", check=False)
    match = re.search(r"^version:\s*['\"]?([0-9.]+)", text, re.M)
    return match.group(1) if match else None


def read_package(package: Path, ledger_path: Path, version: str | None, commit: str | None,
                 release: bool) -> list[ShippedNote]:
    """The notes a package holds, as shipments (card ids from the ledger built with it)."""
    try:
        ledger = read_ledger(ledger_path)
        card_of = {guid_for(ledger.deck_id, origin): card
                   for card, origin in ledger.origins().items()}
    except ValueError:  # a ledger this code cannot read: the guid stands for the card id
        card_of = {}
    with zipfile.ZipFile(package) as zf, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "collection.anki2"
        db.write_bytes(zf.read("collection.anki2"))
        conn = sqlite3.connect(db)
        try:
            (models_json,) = conn.execute("select models from col").fetchone()
            rows = conn.execute("select guid, mid, mod, flds, tags from notes order by id"
                                ).fetchall()
        finally:
            conn.close()
    names = {int(i): [f["name"] for f in m["flds"]] for i, m in json.loads(models_json).items()}
    return [ShippedNote(guid, card_of.get(guid, guid),
                        tuple(zip(names[mid], map(field_hash, flds.split("\x1f")), strict=True)),
                        tuple(tags.split()), mod, version, commit, release)
            for guid, mid, mod, flds, tags in rows]


def build_commit(tree: Path, commit: str, out: Path, release: str | None) -> Built:
    """Check the worktree out at commit and build it with its own code and ledger."""
    git("checkout", "-q", "--detach", "-f", commit, cwd=tree)
    git("clean", "-qfdx", cwd=tree)
    ledger = tree / "cards.lock"
    committed = ledger.read_bytes() if ledger.exists() else None
    recorded = _recorded_package(ledger) if committed else ""
    package = out / f"{commit[:10]}.apkg"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree)
    # The ledger decides every stamp it records. Only a commit whose committed ledger was behind
    # its cards stamps its changed notes "now": then now is the commit's own time, what a build
    # of it gave at the time (every build of ours reads SOURCE_DATE_EPOCH as now, nothing
    # more), so the record says no build shipped a note later than it did, and a second run
    # reconstructs the same record.
    env["SOURCE_DATE_EPOCH"] = git("show", "-s", "--format=%ct", commit)
    done = subprocess.run([sys.executable, "build_deck.py", "-o", str(package)], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise BuildFailed(said[0] if said else f"exit {done.returncode}")
    digest = hashlib.sha256(package.read_bytes()).hexdigest()
    shipped = read_package(package, ledger, release or deck_version(commit), commit,
                           release is not None)
    return Built(shipped, committed == ledger.read_bytes(),
                 digest == recorded if recorded else None)


class BuildFailed(Exception):
    pass


def _recorded_package(ledger: Path) -> str:
    try:
        return read_ledger(ledger).package
    except ValueError:
        return ""


def reconstruct(target: str, releases: dict[str, str], keep: Path | None = None
                ) -> tuple[Shipped, Summary]:
    """The record of every build from the root commit to target."""
    at_release = {git("rev-parse", commit): version for version, commit in releases.items()}
    record, summary = Shipped(), Summary()
    with tempfile.TemporaryDirectory(prefix="reconstruct-") as tmp:
        tree, out = Path(tmp) / "tree", Path(keep or tmp)
        out.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "-q", "--detach", str(tree), target)
        try:
            for commit in commits_to_build(git("rev-parse", target), set(at_release)):
                release = at_release.get(commit)
                try:
                    built = build_commit(tree, commit, out, release)
                except (BuildFailed, subprocess.SubprocessError, OSError, KeyError,
                        ValueError) as error:
                    summary.skipped.append((commit, str(error)[:160]))
                    continue
                summary.built.append(commit)
                if not built.ledger_current:
                    summary.stale_ledgers.append(commit)
                if release:
                    summary.checks.append(
                        f"{release} ({commit[:7]}): the committed ledger "
                        f"{'reproduces exactly' if built.ledger_current else 'did NOT reproduce'}"
                        "; package digest " + {None: "not recorded in its ledger (format 1)",
                                               True: "equals the one its ledger records",
                                               False: "differs from the one its ledger records"
                                               }[built.package_reproduced])
                for shipment in built.shipments:
                    if not record.recorded(shipment):
                        record.add(shipment)
        finally:
            git("worktree", "remove", "--force", str(tree), check=False)
    return record, summary


def add_todays_build(record: Shipped) -> int:
    """Append today's build (this code, the working tree's cards and ledger) as a build would;
    returns the number of shipments it added."""
    from deckbuilder.build import build

    before = len(record.shipments)
    with tempfile.TemporaryDirectory(prefix="reconstruct-today-") as tmp:
        ledger = Path(tmp) / "cards.lock"
        shutil.copy(ROOT / "cards.lock", ledger)
        (Path(tmp) / "cards.shipped").write_text(record.text(), "utf-8")
        build(ROOT / "cards", ROOT / "media", Path(tmp) / "deck.apkg", ledger)
        from deckbuilder.ledger import read_shipped

        today = read_shipped((Path(tmp) / "cards.shipped").read_text("utf-8"), "cards.shipped")
    for shipment in today.shipments:
        record.add(shipment)
    return len(record.shipments) - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--to", default="HEAD", help="the last commit to build (default HEAD)")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "cards.shipped")
    parser.add_argument("--no-today", action="store_true",
                        help="only the past: do not append today's build")
    parser.add_argument("--keep", type=Path, help="keep the built packages in this folder")
    args = parser.parse_args(argv)
    started = time.monotonic()
    record, summary = reconstruct(args.to, RELEASES, args.keep)
    today = 0 if args.no_today else add_todays_build(record)
    args.output.write_text(record.text(), "utf-8")
    print(f"Built {len(summary.built)} commits, skipped {len(summary.skipped)} that do not "
          "build:")
    reasons: dict[str, list[str]] = {}
    for commit, why in summary.skipped:
        reasons.setdefault(re.sub(r"/tmp/reconstruct-[^/]+/tree/", "", why), []).append(commit)
    for why, commits in reasons.items():
        print(f"  {' '.join(c[:7] for c in commits)}: {why}")
    print(f"{len(summary.stale_ledgers)} commits' committed ledgers were not current (their "
          f"build restamped notes): {' '.join(c[:7] for c in summary.stale_ledgers)}")
    for check in summary.checks:
        print(f"  {check}")
    print(f"Recorded {len(record.shipments)} shipments of {len(record.notes())} notes "
          f"({sum(s.release for s in record.shipments)} by releases, {today} by today's "
          f"build) in {args.output}, in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
