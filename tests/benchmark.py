"""Benchmark build-deck against the bare job, on synthetic decks of our format.

Not a test (pytest collects only test_*.py): run it by hand.


    python tests/benchmark.py                      # the treaty deck; 100, 1k, 10k, 100k cards
    python tests/benchmark.py --sizes 1000 --repeat 5

For each size it writes a deck (a mix of basic, reverse and cloze cards, some Markdown, a few
media files) and times, in separate processes, `build-deck` and a reference that does the bare
job on the same cards: PyYAML with libyaml's CSafeLoader, then genanki's Package.write_to_file
with explicit guids (no validation, no Markdown, no ledger). It prints the median wall time of
each, their ratio, cards per second and peak memory, then `build-deck --help` against
`python -c pass`. The treaty deck is built beside copies of its ledger and its record of what
we shipped, as committed (the synthetic decks' builds are first builds, with neither).

Then the install case (`--install` runs only it): today's treaty package installed with
`build-deck install` into a collection of 50,000 other notes, against Anki's own import of the
same package into the same collection (each a fresh copy, each a new process that imports
anki), and the engine's backup alone, which install makes first.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from helpers import sentence, write_synthetic_deck

ROOT = Path(__file__).resolve().parent.parent


def reference_build(cards_dir: Path, media_dir: Path, output: Path) -> None:
    """The bare job: parse with CSafeLoader, hand the fields to genanki with explicit guids."""
    import genanki
    import yaml

    basic = genanki.Model(
        1607392319, "Basic (and reversed)", fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"},
                   {"name": "Card 2", "qfmt": "{{Back}}", "afmt": "{{Front}}"}])
    cloze = genanki.Model(
        998877661, "Cloze", fields=[{"name": "Text"}, {"name": "Extra"}],
        templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}"}],
        model_type=genanki.Model.CLOZE)
    deck_file = yaml.load((cards_dir / "deck.yaml").read_text("utf-8"), Loader=yaml.CSafeLoader)
    deck = genanki.Deck(int(deck_file["id"]), deck_file["name"])
    media: set[str] = set()
    for path in sorted(cards_dir.glob("*.yaml")):
        if path.name == "deck.yaml":
            continue
        data = yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)
        tags = data.get("tags", [])
        for card in data["cards"]:
            if "cloze" in card:
                note = genanki.Note(cloze, [card["cloze"], card.get("extra", "")],
                                    guid=card["id"], tags=tags + card.get("tags", []))
            else:
                note = genanki.Note(basic, [card["front"], card["back"]], guid=card["id"],
                                    tags=tags + card.get("tags", []))
            deck.add_note(note)
            media.update(card[k] for k in ("image", "audio") if k in card)
    package = genanki.Package(deck)
    package.media_files = [str(media_dir / name) for name in sorted(media)]
    package.write_to_file(str(output))


def _measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run command to completion: (wall seconds, peak resident MB of that process)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    assert process.stderr is not None
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{stderr.decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024


def _median_run(command: list[str], repeat: int, env: dict | None = None,
                before=None) -> tuple[float, float]:
    """Median wall time and the largest peak memory of repeat runs, after one untimed run that
    warms the disk cache and the bytecode cache."""
    if before:
        before()
    _measure(command, env)
    runs = []
    for _ in range(repeat):
        if before:
            before()
        runs.append(_measure(command, env))
    return statistics.median(s for s, _ in runs), max(m for _, m in runs)


def _build_command(args) -> list[str]:
    return list(args.build_deck) if args.build_deck else [sys.executable,
                                                           str(ROOT / "build_deck.py")]


def _env(folder: Path, **extra: str) -> dict:
    """Both sides run as if installed: with bytecode caches (pip writes them at install time),
    kept in the benchmark's own folder even where PYTHONDONTWRITEBYTECODE is set."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(folder / "pycache"),
           **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def benchmark_size(cards: int, repeat: int, args, folder: Path) -> dict:
    deck = folder / f"deck-{cards}"
    return benchmark_deck(cards, *write_synthetic_deck(deck, cards), deck, repeat, args, folder)


def benchmark_treaty(repeat: int, args, folder: Path) -> dict:
    """The real deck in cards/ and media/, copied, and built as every day: beside a copy of its
    ledger and of its record of what we shipped (cards.shipped, 4,000 lines every build reads
    and checks). It has no first build: its cards name corrections of release 2.0.0, which only
    its ledger records."""
    deck = folder / "treaty"
    shutil.copytree(ROOT / "cards", deck / "cards")
    shutil.copytree(ROOT / "media", deck / "media")
    cards = sum(1 for line in (ROOT / "cards.lock").read_text("utf-8").splitlines()
                if line.startswith("card\t"))
    return benchmark_deck(cards, deck / "cards", deck / "media", deck, repeat, args, folder,
                          functools.partial(_rebuild, deck))


def _first_build(*paths: Path) -> None:
    """Always a first build: no ledger, no record of what we shipped (from the run before, it
    would be read and checked), and no earlier package (that would be a lost ledger)."""
    for path in paths:
        path.unlink(missing_ok=True)


def _rebuild(deck: Path) -> None:
    """The treaty deck's ledger and record as committed, and no earlier package."""
    (deck / "ours.apkg").unlink(missing_ok=True)
    for name in ("cards.lock", "cards.shipped"):
        shutil.copy(ROOT / name, deck / name)


def benchmark_deck(cards: int, cards_dir: Path, media_dir: Path, deck: Path, repeat: int, args,
                   folder: Path, before: Callable[[], None] | None = None) -> dict:
    env = _env(folder, SOURCE_DATE_EPOCH="1700000000")
    ledger = deck / "cards.lock"
    ours = _median_run(
        [*_build_command(args), "build", "--quiet", "--cards", str(cards_dir),
         "--media", str(media_dir), "-o", str(deck / "ours.apkg"), "--ledger", str(ledger)],
        repeat, env, before=before or (lambda: _first_build(ledger, ledger.with_suffix(".shipped"),
                                                            deck / "ours.apkg")))
    reference = _median_run(
        [sys.executable, __file__, "--reference", str(cards_dir), str(media_dir),
         str(deck / "reference.apkg")], repeat, env)
    shutil.rmtree(deck)
    return {"cards": cards, "ours": ours, "reference": reference}


def _startup(args, repeat: int, folder: Path) -> tuple[float, float]:
    env = _env(folder)
    help_time, _ = _median_run([*_build_command(args), "--help"], repeat, env)
    bare, _ = _median_run([sys.executable, "-c", "pass"], repeat, env)
    return help_time, bare


OTHER_NOTES = 50_000
_IMPORT = """
import sys
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
col = Collection(sys.argv[1])
col.import_anki_package(ImportAnkiPackageRequest(package_path=sys.argv[2],
                                                 options=ImportAnkiPackageOptions()))
col.close(downgrade=False)
"""
_BACKUP = """
import os, sys
from anki.collection import Collection
os.makedirs(sys.argv[2], exist_ok=True)
col = Collection(sys.argv[1])
col.create_backup(backup_folder=sys.argv[2], force=True, wait_for_completion=True)
col.close(downgrade=False)
"""


def _big_collection(path: Path, notes: int) -> None:
    from anki.collection import AddNoteRequest, Collection

    path.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(path))
    basic = col.models.by_name("Basic")
    deck = col.decks.id("Other studies")
    assert basic is not None and deck is not None
    requests = []
    rng = random.Random(50)
    for i in range(notes):
        note = col.new_note(basic)
        note["Front"] = f"{sentence(rng, 8)} #{i}"
        note["Back"] = sentence(rng, 12)
        requests.append(AddNoteRequest(note=note, deck_id=deck))
    col.add_notes(requests)
    col.close(downgrade=False)


def benchmark_install(repeat: int, args, folder: Path) -> None:
    env = _env(folder)
    package, ledger = folder / "treaty.apkg", folder / "treaty.lock"
    shutil.copy(ROOT / "cards.lock", ledger)
    shutil.copy(ROOT / "cards.shipped", folder / "treaty.shipped")
    subprocess.run([*_build_command(args), "build", "--quiet", "--cards", str(ROOT / "cards"),
                    "--media", str(ROOT / "media"), "--ledger", str(ledger), "-o", str(package)],
                   check=True, env=env)
    if not _has_record(package):
        print("install: skipped (this build-deck puts no record of what we shipped in the "
              "package, so it cannot install)")
        return
    template = folder / "template" / "collection.anki2"
    _big_collection(template, OTHER_NOTES)
    run = folder / "run" / "collection.anki2"

    def fresh() -> None:
        shutil.rmtree(run.parent, ignore_errors=True)
        run.parent.mkdir(parents=True)
        shutil.copy(template, run)

    anki, _ = _median_run([sys.executable, "-c", _IMPORT, str(run), str(package)], repeat, env,
                          before=fresh)
    ours, _ = _median_run([*_build_command(args), "install", str(package), "--collection",
                           str(run)], repeat, env, before=fresh)
    with_backup, _ = _median_run([sys.executable, "-c", _BACKUP, str(run), str(run.parent / "b")],
                                 repeat, env, before=fresh)
    opened, _ = _median_run([sys.executable, "-c", _BACKUP.replace("col.create_backup", "# "),
                             str(run), str(run.parent / "b")], repeat, env, before=fresh)
    backup = max(with_backup - opened, 0.0)  # the backup's own cost: less start, open, close
    print(f"install into {OTHER_NOTES} other notes: build-deck install {ours:.3f}s, Anki's "
          f"import {anki:.3f}s, ratio {ours / anki:.2f}x; the backup's own cost {backup:.3f}s, "
          f"so install without it {(ours - backup) / anki:.2f}x")


def _has_record(package: Path) -> bool:
    import zipfile

    with zipfile.ZipFile(package) as zf:
        return "build-deck.shipped" in zf.namelist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda s: [int(n) for n in s.split(",")],
                        default=[100, 1000, 10_000, 100_000],
                        help="comma-separated card counts (default: 100,1000,10000,100000)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs per size below 50k cards; the median counts (default: 5)")
    parser.add_argument("--build-deck", nargs="+", metavar="CMD",
                        help="how to run build-deck (default: python build_deck.py)")
    parser.add_argument("--install", action="store_true", help="only the install case")
    parser.add_argument("--reference", nargs=3, metavar=("CARDS", "MEDIA", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        reference_build(*(Path(p) for p in args.reference))
        return

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.install:
        with tempfile.TemporaryDirectory(prefix="build-deck-bench-") as tmp:
            benchmark_install(args.repeat, args, Path(tmp))
        return
    print(f"{'deck':>8} {'build-deck':>11} {'reference':>10} {'ratio':>6} {'cards/s':>9} "
          f"{'peak MB':>8} {'ref MB':>7}")
    with tempfile.TemporaryDirectory(prefix="build-deck-bench-") as tmp:
        rows: list[tuple[str, Callable[[], dict]]] = [
            ("treaty", lambda: benchmark_treaty(args.repeat, args, Path(tmp)))]
        for size in args.sizes:
            repeat = args.repeat if size < 50_000 else max(1, min(args.repeat, 2))
            rows.append((str(size), functools.partial(benchmark_size, size, repeat, args,
                                                      Path(tmp))))
        for label, run in rows:
            row = run()
            (ours, our_mb), (ref, ref_mb) = row["ours"], row["reference"]
            print(f"{label:>8} {ours:>10.3f}s {ref:>9.3f}s {ours / ref:>5.2f}x "
                  f"{row['cards'] / ours:>9.0f} {our_mb:>8.0f} {ref_mb:>7.0f}", flush=True)
        help_time, bare = _startup(args, max(args.repeat, 10), Path(tmp))
        print(f"build-deck --help: {help_time * 1000:.0f} ms; python -c pass: "
              f"{bare * 1000:.0f} ms; ratio {help_time / bare:.1f}x")
        benchmark_install(args.repeat, args, Path(tmp))


if __name__ == "__main__":
    main()
