"""The ledger never goes back: check every commit since BASELINE against each of its parents.

For every commit C in `git rev-list BASELINE..HEAD` (merges included) and each parent P of C:
C's record of what we shipped (cards.shipped) holds every line of P's, when P has one; and in
the ledger (cards.lock) no note's stamp goes down and no note disappears (a renamed note is
followed to its new id). Run by .ci/run with the baseline named there; exit 1 on any violation.

    .venv/bin/python tools/check_history.py a394588
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deckbuilder.errors import DeckError  # noqa: E402
from deckbuilder.ledger import Ledger, Shipped, read_ledger, read_shipped  # noqa: E402


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def _show(repo: Path, commit: str, path: str) -> str | None:
    done = _git("show", f"{commit}:{path}", cwd=repo)
    return done.stdout if done.returncode == 0 else None


def _ledger(repo: Path, commit: str, path: str) -> Ledger | None:
    text = _show(repo, commit, path)
    if text is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(path).name
        copy.write_text(text, "utf-8")
        return read_ledger(copy, latest=2**62)  # any time: the check is of order, not clocks


def _record(repo: Path, commit: str, path: str) -> Shipped | None:
    text = _show(repo, commit, path)
    return None if text is None else read_shipped(text, f"{commit[:7]}:{path}")


def _day(stamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(stamp))


def ledger_went_back(parent: Ledger, child: Ledger) -> list[str]:
    """Each note of parent that child lowers or drops, in words."""
    found = []
    for card_id, entry in sorted(parent.cards.items()):
        now = card_id
        seen = {now}
        while (now not in child.cards and now in child.renames
               and child.renames[now].new not in seen):
            now = child.renames[now].new
            seen.add(now)
        after = child.cards.get(now)
        if after is None:
            found.append(f"note '{card_id}' disappeared (stamped {entry.mod}, {_day(entry.mod)})")
        elif after.mod < entry.mod:
            renamed = f" (now '{now}')" if now != card_id else ""
            found.append(f"note '{card_id}'{renamed}: its stamp went down from {entry.mod} "
                         f"({_day(entry.mod)}) to {after.mod} ({_day(after.mod)})")
    return found


def check(repo: Path, baseline: str, ledger: str = "cards.lock") -> list[str]:
    """Every violation since baseline, one line each (empty when the history holds)."""
    record = str(Path(ledger).with_suffix(".shipped"))
    if _git("rev-parse", "--verify", "--quiet", f"{baseline}^{{commit}}", cwd=repo).returncode:
        shallow = _git("rev-parse", "--is-shallow-repository", cwd=repo).stdout.strip()
        raise SystemExit(f"check_history: the baseline {baseline} is not in this clone"
                         f"{' (a shallow clone)' if shallow == 'true' else ''}: fetch the full "
                         "history (git fetch --unshallow, or actions/checkout with "
                         "fetch-depth: 0) and run again")
    lines = _git("rev-list", "--parents", f"{baseline}..HEAD", cwd=repo).stdout.split("\n")
    problems = []
    for line in filter(None, lines):
        commit, *parents = line.split()
        for parent in parents:
            where = f"commit {commit[:10]} (parent {parent[:10]})"
            try:
                before, after = _record(repo, parent, record), _record(repo, commit, record)
                if before is not None:
                    lost = before.missing_from(after or Shipped())
                    if after is None:
                        problems.append(f"{where}: {record} is gone")
                    elif lost:
                        notes = sorted({s.card for s in lost})
                        problems.append(f"{where}: {record} lost {len(lost)} lines its parent "
                                        f"had (notes {', '.join(notes[:5])}"
                                        f"{' ...' if len(notes) > 5 else ''}); it is only ever "
                                        "appended to (merge it by taking both sides' lines)")
                old, new = _ledger(repo, parent, ledger), _ledger(repo, commit, ledger)
            except DeckError as error:
                problems.append(f"{where}: {error}")
                continue
            if old is not None and new is None:
                problems.append(f"{where}: {ledger} is gone")
            elif old is not None and new is not None:
                problems += [f"{where}: {ledger}: {p}" for p in ledger_went_back(old, new)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", help="the first commit whose history must hold (excluded)")
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--ledger", default="cards.lock", help="the ledger's path in the "
                        "repository (its record is <ledger stem>.shipped beside it)")
    args = parser.parse_args(argv)
    problems = check(args.repo, args.baseline, args.ledger)
    count = len(_git("rev-list", f"{args.baseline}..HEAD", cwd=args.repo).stdout.split())
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_history: {len(problems)} violations in the {count} commits since "
              f"{args.baseline}: a ledger never goes back and the record of what we shipped is "
              "only appended to. Restore the lost lines or stamps (take the parent's, rebuild).")
        return 1
    print(f"check_history: {count} commits since {args.baseline} checked against each parent: "
          "the record only grew, no note's stamp went down, no note disappeared.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
