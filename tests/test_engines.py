"""A learner's round trip on the real Anki engines learners use, old and new.

Each engine is the `anki` package of one Anki release, in a venv of its own made from a pyenv
Python (cached under ~/.cache/build-deck-engines, or $BUILD_DECK_ENGINES) and driven by
tests/engines/driver.py. The test releases the one test deck three times with our CLI, as the
README tells maintainers to (work builds, then `build-deck build --release`), plays learners
importing them (studying, editing, viewing notes in the Browser, importing in order, late, or
skipping one) and checks that no review or edit is lost and every change of the newest release
imported arrives. A lost change fails: there is no xfail here.

Run only these: `pytest -m engines`; they are slow too, so `pytest -m "not slow"` leaves them out.
"""

from __future__ import annotations

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
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import CARD_IDS, DECK_ID, DECK_YAML, write_deck

from deckbuilder import upgrade
from deckbuilder.cli import cli
from deckbuilder.notes import guid_for

# (anki on PyPI, Python from pyenv, importer behaviour). Each on the Python its desktop release
# bundled (3.9 up to 25.02); 26.x needs 3.10 or later.
ENGINES = [
    ("2.1.50", "3.9", upgrade.LEGACY),  # the last desktop with only the legacy importer
    ("2.1.55", "3.9", upgrade.IMPORT_TIME),  # the first with the new importer
    ("24.11", "3.9", upgrade.IMPORT_TIME),  # the last to stamp updates with the import time
    ("25.2", "3.9", upgrade.PACKAGE_TIME),  # 25.02, the first to keep the package's stamp
    ("26.9.3", "3.13", upgrade.PACKAGE_TIME),  # the newest
]

pytestmark = [pytest.mark.engines, pytest.mark.slow]

DRIVER = Path(__file__).parent / "engines" / "driver.py"
CACHE = Path(os.environ.get("BUILD_DECK_ENGINES") or Path(
    os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "build-deck-engines")
DECK = "Test Treaty Deck"

# The scenario is set in the past (the driver moves each stamp Anki writes to its step's time).
DAY = 86_400
BASE = (int(time.time()) // DAY - 40) * DAY


def day(n: float) -> int:
    return BASE + int(n * DAY)


# The author's builds: (day, version, release build?, edits to treaty.yaml). Each release is
# worked on (and built) before it ships with `build-deck build --release`, as releases are.
# Quotes and '&' reach the notes as entities, which a Browser rewrite would turn back.
BUILDS = [
    (0, "1.0.0", True, []),
    (10, "1.1.0", False, [
        ("Zhou Enlai and Andrey Vyshinsky", 'Zhou Enlai and Andrey Vyshinsky ("the foreign '
         'ministers") & no one else'), ("extra: Article 3.", "extra: From Article 3.")]),
    (12, "1.1.0", True, [("in **Moscow**", "in **Moscow**, at the Kremlin")]),
    (20, "1.2.0", False, [("extra: From Article 3.", "extra: From Article 3 of the treaty.")]),
    (22, "1.2.0", True, [("the foreign ministers", "the two foreign ministers")]),
]
# The learner's own edit, on a note no release changes (an update replaces a whole note).
EDITED = ("chinese-name", "Back", "中苏友好同盟互助条约 (mnemonic: Zhong-Su)")


def guid(card_id: str) -> str:
    return guid_for(DECK_ID, card_id)


NAMES = {guid(c): c for c in CARD_IDS}


# --- engines --------------------------------------------------------------------------------

def _python(version: str) -> Path:
    """The newest pyenv Python of this version, else `python<version>` on PATH."""
    root = Path(os.environ.get("PYENV_ROOT") or (
        subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        if shutil.which("pyenv") else Path.home() / ".pyenv"))
    found = sorted((p for p in root.glob(f"versions/{version}.*/bin/python")
                    if re.fullmatch(r"\d+\.\d+\.\d+", p.parent.parent.name)),
                   key=lambda p: [int(x) for x in p.parent.parent.name.split(".")])
    on_path = shutil.which(f"python{version}")
    if not found and not on_path:
        pytest.fail(f"no Python {version} in pyenv ({root}/versions) or on PATH: `pyenv install "
                    f"{version}`, or leave the engine tests out with -m 'not engines'")
    return found[-1] if found else Path(str(on_path))


def engine_python(anki: str, python: str) -> Path:
    """The venv's Python for one engine, made on first use (a `ready` file marks it complete)."""
    venv = CACHE / f"anki-{anki}-py{python}"
    if not (venv / "ready").exists():
        shutil.rmtree(venv, ignore_errors=True)
        started = time.monotonic()
        subprocess.run([str(_python(python)), "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
               "--disable-pip-version-check"]
        # Python 3.9's own pip backtracks for minutes over dependencies that need a newer Python.
        for what in ("pip", f"anki=={anki}"):
            done = subprocess.run([*pip, "-U", what], capture_output=True, text=True)
            assert done.returncode == 0, f"installing {what} for Python {python}:\n" + (
                done.stderr[-3000:])
        (venv / "ready").write_text(f"{time.monotonic() - started:.0f} s to make\n")
    return venv / "bin" / "python"


@pytest.fixture(scope="session", params=ENGINES, ids=[f"anki-{e[0]}" for e in ENGINES])
def engine(request):
    anki, python, behaviour = request.param
    return engine_python(anki, python), behaviour


def play(engine_py: Path | str, folder: Path, steps: list[dict]) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    scenario = {"collection": str(folder / "collection.anki2"), "deck": DECK, "steps": steps}
    done = subprocess.run([str(engine_py), str(DRIVER)], input=json.dumps(scenario),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


# --- the releases ---------------------------------------------------------------------------

class Releases:
    """The packages the author shipped: every build's, and each version's release."""

    def __init__(self, root: Path):
        self.root = root
        self.builds: list[tuple[Path, str, bool]] = []  # (package, version, release?)
        self.release: dict[str, Path] = {}

    def __getitem__(self, version: str) -> Path:
        return self.release[version]


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Releases:
    """The deck released as BUILDS says, by the CLI."""
    shipped = Releases(tmp_path_factory.mktemp("engine-deck"))
    root = shipped.root
    cards, media = write_deck(root)
    for n, (when, version, release, edits) in enumerate(BUILDS):
        (cards / "deck.yaml").write_text(DECK_YAML + f"version: {version}\n", encoding="utf-8")
        text = (cards / "treaty.yaml").read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        (cards / "treaty.yaml").write_text(text, encoding="utf-8")
        output = root / "dist" / f"{n}-{version}.apkg"
        result = CliRunner().invoke(cli, ["build", *(["--release"] if release else []),
                                          "--cards", str(cards), "--media", str(media),
                                          "-o", str(output), "--ledger", str(root / "cards.lock"),
                                          "--quiet"], env={"SOURCE_DATE_EPOCH": str(day(when))})
        assert result.exit_code == 0, result.output
        shipped.builds.append((output, version, release))
        if release:
            shipped.release[version] = output
    return shipped


def package_notes(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """guid -> (fields, tags) as the package holds them."""
    with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory() as folder:
        zf.extract("collection.anki2", folder)
        conn = sqlite3.connect(Path(folder, "collection.anki2"))
        rows = conn.execute("SELECT guid, flds, tags FROM notes").fetchall()
        conn.close()
    return {g: (flds.split("\x1f"), sorted(tags.split())) for g, flds, tags in rows}


# --- the learners ---------------------------------------------------------------------------

def imports(*pairs) -> list[dict]:
    return [{"at": day(when), "do": "import", "package": str(package)} for when, package in pairs]


VIEW = {"do": "view", "guids": sorted(NAMES)}
EDIT = {"do": "edit", "guid": guid(EDITED[0]), "field": EDITED[1], "text": EDITED[2]}


def learner_journey(r: Releases, scenario: str) -> list[dict]:
    """The steps of a learner; each ends with 1.2.0 imported."""
    start = [*imports((1, r["1.0.0"])), {"at": day(2), "do": "study", "count": 4}]
    if scenario in ("in order", "in order, the next release in the works"):
        # Imports 1.1.0 after it shipped (day 12): at once, or once 1.2.0 was first built (20).
        when = 15 if scenario == "in order" else 21
        return [*start, *imports((when, r["1.1.0"])), {"at": day(when + 0.1), **EDIT},
                {"at": day(when + 0.2), **VIEW},
                {"at": day(when + 0.3), "do": "study", "count": 2}, *imports((24, r["1.2.0"]))]
    if scenario == "late":  # 1.1.0 imported after 1.2.0 shipped (day 22), then 1.2.0.
        # On Anki 2.1.55 to 24.11 no stamp in a package can beat the import time of 1.1.0:
        # `build-deck install` repairs what the import misses (test below).
        return [*start, {"at": day(3), **EDIT}, {"at": day(4), **VIEW},
                *imports((23, r["1.1.0"]), (24, r["1.2.0"]))]
    if scenario == "skipping one":
        return [*start, {"at": day(3), **EDIT}, {"at": day(4), **VIEW},
                *imports((24, r["1.2.0"]))]
    raise AssertionError(scenario)


SUPPORTED = ["in order", "in order, the next release in the works", "skipping one"]


def test_the_drivers_browser_rewrites_what_the_editor_would():
    """So that "viewing our notes changes none" can fail: a quote as an entity is rewritten."""
    sys.path.insert(0, str(DRIVER.parent))
    from driver import editor_serialised

    assert editor_serialised('<a href="x" title="&quot;">&quot;a&#39;</a> &amp; &lt;') == (
        '<a href="x" title="&quot;">"a\'</a> &amp; &lt;')


def lost_changes(result: dict, newest: dict) -> list[str]:
    """Each field or tag list of the newest package the collection does not show (the learner's
    own edit aside)."""
    lost = []
    for g, (fields, tags) in sorted(newest.items()):
        note = result["notes"][g]
        for name, want, have in zip(note["names"], fields, note["fields"], strict=True):
            if (NAMES[g], name) != EDITED[:2] and want != have:
                lost.append(f"{NAMES[g]}.{name}: has {have!r}, the release {want!r}")
        if note["tags"] != tags:
            lost.append(f"{NAMES[g]} tags: has {note['tags']}, the release {tags}")
    return lost


def assert_nothing_lost(result: dict, steps: list[dict], newest: Path) -> None:
    assert result["notes"].keys() == NAMES.keys()  # no duplicate, none missing
    studied = sum(s["count"] for s in steps if s["do"] == "study")
    reviewed = {k: c for k, c in result["cards"].items() if c["reviews"]}
    assert len(reviewed) == studied and all(
        c["reps"] == c["reviews"] == 1 and c["ivl"] > 0 for c in reviewed.values()), reviewed
    edited = result["notes"][guid(EDITED[0])]
    assert edited["fields"][edited["names"].index(EDITED[1])] == EDITED[2]  # the edit is kept
    lost = lost_changes(result, package_notes(newest))
    assert not lost, f"Anki {result['anki']} ({result['importer']} importer) lost:\n" + "\n".join(
        lost)


@pytest.mark.parametrize("scenario", SUPPORTED)
def test_no_review_or_edit_lost_and_every_change_arrives(engine, releases, scenario, tmp_path):
    engine_py, _ = engine
    steps = learner_journey(releases, scenario)
    result = play(engine_py, tmp_path / "learner", steps)

    assert sum(s.get("answered", 0) for s in result["steps"]) == sum(
        s["count"] for s in steps if s["do"] == "study")
    for step in result["steps"]:  # showing our notes in the Browser changes (and stamps) none
        assert step["do"] != "view" or step["rewritten"] == step["stamped"] == 0, step
    assert_nothing_lost(result, steps, releases["1.2.0"])


def _schema(collection: Path) -> int:
    conn = sqlite3.connect(collection)
    try:
        return conn.execute("select ver from col").fetchone()[0]
    finally:
        conn.close()


def test_a_late_import_is_repaired_by_install(engine, releases, tmp_path):
    """1.1.0 imported after 1.2.0 shipped, then 1.2.0: on Anki 2.1.55 to 24.11 the import keeps
    1.1.0's text of the notes both changed (exactly those the model names), and `build-deck
    install`, run by the current engine on a copy of that learner's collection, brings every
    change; the learner's own Anki still opens the collection afterwards."""
    from deckbuilder.install import SCHEMA

    engine_py, behaviour = engine
    steps = learner_journey(releases, "late")
    result = play(engine_py, tmp_path / "learner", steps)
    first, old, new = (upgrade.read_package(releases[v]) for v in ("1.0.0", "1.1.0", "1.2.0"))
    expected = upgrade.missed(old, new, behaviour, day(23), upgrade.changed(first, old))
    assert bool(expected) == (behaviour == upgrade.IMPORT_TIME)
    lost = lost_changes(result, package_notes(releases["1.2.0"]))
    assert {re.split(r"[. ]", line)[0] for line in lost} == {NAMES[g] for g in expected}, lost

    copy = tmp_path / "copy" / "collection.anki2"
    shutil.copytree(tmp_path / "learner", copy.parent)
    # Every engine from 2.1.50 leaves schema 18, the one install writes; an older collection
    # would be refused, untouched (test_install checks that refusal).
    assert _schema(copy) == SCHEMA
    done = CliRunner().invoke(cli, ["install", str(releases["1.2.0"]),
                                    "--collection", str(copy)])
    assert done.exit_code == 0, done.output
    assert_nothing_lost(play(sys.executable, copy.parent, []), steps, releases["1.2.0"])
    assert_nothing_lost(play(engine_py, copy.parent, []), steps, releases["1.2.0"])


@pytest.mark.parametrize("old_at", [15, 21, 23], ids=["promptly", "next-in-the-works", "late"])
def test_the_model_predicts_what_each_engine_misses(engine, releases, old_at, tmp_path):
    """A learner imports 1.0.0, then 1.1.0 on the day given, views every note in the Browser,
    then imports 1.2.0: deckbuilder.upgrade names exactly the changes that do not arrive."""
    engine_py, behaviour = engine
    steps = [*imports((1, releases["1.0.0"]), (old_at, releases["1.1.0"])),
             {"at": day(old_at + 0.5), **VIEW}, *imports((24, releases["1.2.0"]))]
    result = play(engine_py, tmp_path / "learner", steps)
    first, old, new = (upgrade.read_package(releases[v]) for v in ("1.0.0", "1.1.0", "1.2.0"))
    predicted = upgrade.missed(old, new, behaviour, day(old_at), upgrade.changed(first, old))
    arrived = {g for g, (fields, tags) in package_notes(releases["1.2.0"]).items()
               if (result["notes"][g]["fields"], result["notes"][g]["tags"]) == (fields, tags)}
    assert {NAMES[g] for g in new.keys() - arrived} == {NAMES[g] for g in predicted}


def test_an_extra_zip_member_imports_cleanly(engine, built, tmp_path):
    """A package carries a member Anki does not know (build-deck.shipped, the record of what we
    shipped); it imports as the same package without it: the same notes and cards, no stray
    media."""
    engine_py, _ = engine
    bare = tmp_path / "bare.apkg"
    with zipfile.ZipFile(built.package) as src, zipfile.ZipFile(bare, "w") as dst:
        assert "build-deck.shipped" in src.namelist()
        for member in src.infolist():
            if member.filename != "build-deck.shipped":
                dst.writestr(member, src.read(member))
    plain = play(engine_py, tmp_path / "plain", imports((1, bare)))
    with_extra = play(engine_py, tmp_path / "extra", imports((1, built.package)))
    assert with_extra["steps"] == plain["steps"]
    assert len(with_extra["notes"]) == len(NAMES) and with_extra["cards"].keys() == plain[
        "cards"].keys()
    with zipfile.ZipFile(built.package) as zf:
        shipped_media = sorted(json.loads(zf.read("media")).values())
    assert len(shipped_media) == 2 and with_extra["media"] == plain["media"] == shipped_media


# The first importers keep a new card's suspension from the package (and the legacy one the
# retired deck's options); from 24.11 an import with default options makes every new card
# new, so there only the deck's name and description keep a new learner off them.
KEEPS_SUSPENSION = {"2.1.50", "2.1.55"}


def test_a_new_learners_retired_cards_stay_out_of_study(engine, tmp_path, monkeypatch):
    engine_py, _ = engine
    write_deck(tmp_path)
    deck_dir = tmp_path / "cards"
    text = (deck_dir / "treaty.yaml").read_text("utf-8")
    (deck_dir / "treaty.yaml").write_text(
        text.replace("  - id: signatories\n", "  - id: signatories\n    retired: true\n"),
        "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(day(0)))
    package = tmp_path / "deck.apkg"
    result = CliRunner().invoke(cli, ["build", "--cards", str(deck_dir), "--media",
                                      str(tmp_path / "media"), "-o", str(package)])
    assert result.exit_code == 0, result.output
    learner = play(engine_py, tmp_path / "learner", imports((1, package)))
    retired = {key: card for key, card in learner["cards"].items()
               if key.startswith(guid("signatories") + "/")}
    assert retired and all(card["deck"] == f"Retired, not for study: {DECK}"
                           for card in retired.values())
    assert all(card["deck"] == DECK for key, card in learner["cards"].items()
               if key not in retired)
    if learner["anki"] in KEEPS_SUSPENSION:
        assert all(card["queue"] == -1 for card in retired.values()), retired
