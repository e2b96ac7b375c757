"""The ledger's integrity (issue 19 items 2, 5 and 8; issue 20): release builds stamp a release's
changes with the release's time and close the version; a stale or foreign ledger is refused; a
CRLF ledger reads. Each case runs through the CLI, with the real Anki engine where learners are
involved."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import DECK_YAML, REPO, import_package, note_for, study, write_deck

from deckbuilder.cli import cli
from deckbuilder.ledger import read_ledger

NOW = int(time.time())


def _package_rows(zf: zipfile.ZipFile, query: str) -> list[tuple]:
    """Rows of a query on the package's collection."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        zf.extract("collection.anki2", folder)
        conn = sqlite3.connect(Path(folder, "collection.anki2"))
        try:
            return conn.execute(query).fetchall()
        finally:
            conn.close()


def run(deck_dir, monkeypatch, epoch: int, *extra: str):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    monkeypatch.chdir(deck_dir.root)  # messages name files from here
    return CliRunner().invoke(cli, deck_dir.args(*extra))


def build(deck_dir, monkeypatch, epoch: int, *extra: str) -> str:
    result = run(deck_dir, monkeypatch, epoch, *extra)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def refused(deck_dir, monkeypatch, epoch: int, *extra: str) -> str:
    """Build, expecting a refusal that leaves the package and the ledger as they were."""
    before = {p: p.read_bytes() for p in (deck_dir.output, deck_dir.ledger) if p.exists()}
    result = run(deck_dir, monkeypatch, epoch, *extra)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "nothing was written" in result.output
    assert {p: p.read_bytes() for p in before} == before
    return result.output


def set_version(deck_dir, version: str) -> None:
    (deck_dir.cards / "deck.yaml").write_text(DECK_YAML + f"version: {version}\n", "utf-8")


def stamp_as_imported(col, note_ids, when: int) -> None:
    """What Anki 2.1.55 to 24.11 do on import (the suite's engine keeps the package's time):
    every note the import added or updated gets the import time as its mod."""
    for note_id in note_ids:
        col.db.execute("UPDATE notes SET mod = ? WHERE id = ?", when, note_id)


# ---- Release builds (issue 19 item 8, issue 20) ----

def _learner_between_releases(release_dir, collection, monkeypatch, release: tuple[str, ...]):
    """1.0.0 is released; the author edits a card and builds (a mid-way build, not a release);
    a learner on an import-time-stamping Anki imports 1.0.0 after that build, studies every
    card and edits a note of their own; the author edits another card and releases 1.1.0; the
    learner imports it. Returns the collection after both imports."""
    out = build(release_dir, monkeypatch, NOW - 4000, "--release")
    assert "Released version 1.0.0: 0 changed notes stamped" in out
    # both files the release build wrote, named as the build named them (--ledger)
    assert (f"Commit {release_dir.ledger.name} and {release_dir.record.name}, then tag v1.0.0."
            in out)
    package_1_0 = release_dir.output.with_name("1.0.0.apkg")
    shutil.copy(release_dir.output, package_1_0)

    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "back: 14 February 1950, in **Moscow**",
                     "back: 14 February 1950, in the **Kremlin**, Moscow")
    build(release_dir, monkeypatch, NOW - 3000)  # mid-way: not a release

    log = import_package(collection, package_1_0)
    stamp_as_imported(collection, [n.id for n in map(collection.get_note,
                                                     collection.find_notes(""))], NOW - 2500)
    assert len(log.new) == 4
    before = study(collection, 6)
    own = note_for(collection, "chinese-name")
    own["Notes"] = "My own mnemonic."
    collection.update_note(own)

    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(release_dir, monkeypatch, NOW - 2000, *release)
    log = import_package(collection, release_dir.output)
    assert before == {cid: v for cid, v in study(collection, 0).items() if cid in before}
    assert note_for(collection, "chinese-name")["Notes"] == "My own mnemonic."
    return collection


def test_a_learner_who_imports_releases_in_order_gets_every_change(release_dir, collection,
                                                                     monkeypatch):
    col = _learner_between_releases(release_dir, collection, monkeypatch, ("--release",))
    assert "**Kremlin**" not in note_for(col, "signing-date")["Back"]  # rendered, not Markdown
    assert "Kremlin" in note_for(col, "signing-date")["Back"]
    assert note_for(col, "article-three")["Extra"].startswith("From Article 3.")
    ledger = read_ledger(release_dir.ledger)
    assert ledger.released == {"1.0.0": NOW - 4000, "1.1.0": NOW - 2000}
    assert ledger.cards["signing-date"].mod == ledger.cards["article-three"].mod == NOW - 2000


def test_without_a_release_build_the_mid_way_change_is_lost(release_dir, collection,
                                                            monkeypatch):
    """The same, released by a plain build: the change made before the learner's import of
    1.0.0 keeps its mid-way stamp, older than the learner's copy, and never arrives. (This is
    what the release build prevents; it shows the test above can fail.)"""
    col = _learner_between_releases(release_dir, collection, monkeypatch, ())
    assert "Kremlin" not in note_for(col, "signing-date")["Back"]
    assert note_for(col, "article-three")["Extra"].startswith("From Article 3.")


def test_the_record_marks_every_note_a_release_build_shipped(release_dir, monkeypatch):
    """The record of what we shipped says what each release held, note by note (install reads
    a learner's version from it): a release build marks every note of its package, changed or
    not, and the package carries those lines."""
    from deckbuilder.ledger import read_shipped

    build(release_dir, monkeypatch, NOW - 2000)  # a mid-way build of 1.0.0: not a release
    build(release_dir, monkeypatch, NOW - 1000, "--release")
    with zipfile.ZipFile(release_dir.output) as zf:
        guids = {g for (g,) in _package_rows(zf, "SELECT guid FROM notes")}
        carried = read_shipped(zf.read("build-deck.shipped").decode("utf-8"), "package")
    record = read_shipped(release_dir.record.read_text("utf-8"), "cards.shipped")
    assert carried == record
    released = {s.note for s in record.shipments if s.release and s.version == "1.0.0"}
    assert released == guids and len(guids) == 4
    midway = [s for s in record.shipments if not s.release]
    assert {s.note for s in midway} == guids


def test_a_released_version_cannot_change(release_dir, monkeypatch):
    build(release_dir, monkeypatch, NOW - 1000, "--release")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    out = refused(release_dir, monkeypatch, NOW - 500)
    assert ("cards/deck.yaml:10:1: version 1.0.0 is released; raise `version:` in "
            "cards/deck.yaml (such as 1.0.1) to change 'article-three': learners have 1.0.0 "
            "as it was released (cards.lock records its release build)") in out
    assert "version 1.0.0 is released" in refused(release_dir, monkeypatch, NOW - 500,
                                                  "--release")
    check = CliRunner().invoke(cli, ["check", "--cards", str(release_dir.cards), "--media",
                                     str(release_dir.media)])
    assert check.exit_code == 1 and "version 1.0.0 is released" in check.output

    release_dir.edit("treaty.yaml", "extra: From Article 3.", "extra: Article 3.")
    out = build(release_dir, monkeypatch, NOW - 400, "--release")  # no change: builds
    assert "Version 1.0.0 was released already; nothing changed since." in out
    set_version(release_dir, "1.0.1")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    assert "Released version 1.0.1: 1 changed note stamped" in build(release_dir, monkeypatch,
                                                               NOW - 300, "--release")


def test_a_release_needs_a_version(deck_dir, monkeypatch):
    out = refused(deck_dir, monkeypatch, NOW, "--release")
    assert ("cards/deck.yaml:1: a release build needs a 'version' in deck.yaml (such as "
            "1.0.0): add one, then build with --release again") in out


def test_release_stamps_never_go_down(release_dir, monkeypatch):
    """A release build whose clock is behind a mid-way build's keeps the later stamp."""
    build(release_dir, monkeypatch, NOW - 4000, "--release")
    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(release_dir, monkeypatch, NOW - 1000)
    build(release_dir, monkeypatch, NOW - 2000, "--release")
    assert read_ledger(release_dir.ledger).cards["article-three"].mod == NOW - 1000


# ---- A stale or foreign ledger (issue 19 item 2) ----

def _git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


def test_an_older_commits_ledger_beside_a_newer_build_is_refused(deck_dir, monkeypatch):
    _git(deck_dir.root, "init", "-q")
    _git(deck_dir.root, "config", "user.email", "a@example.org")
    _git(deck_dir.root, "config", "user.name", "A")
    build(deck_dir, monkeypatch, NOW - 3000)
    _git(deck_dir.root, "add", "cards", "media", "cards.lock")
    _git(deck_dir.root, "commit", "-qm", "first")
    for epoch, old, new in ((NOW - 2000, "extra: Article 3.", "extra: From Article 3."),
                            (NOW - 1000, "Stalin and Mao attended.", "Stalin and Mao came.")):
        deck_dir.edit("treaty.yaml", old, new)
        build(deck_dir, monkeypatch, epoch)
        _git(deck_dir.root, "commit", "-qam", "edit")

    _git(deck_dir.root, "checkout", "HEAD~2", "--", "cards.lock")
    out = refused(deck_dir, monkeypatch, NOW)
    assert ("cards.lock: the ledger is older than dist/deck.apkg, which a build from a newer "
            "ledger wrote (2 notes have later stamps there, such as 'article-three'): it is a "
            "stale copy, such as an older commit's ledger checked out. A build from it would "
            "stamp notes learners already have anew and overwrite their own edits on "
            "re-import. Put back the ledger that package was built with (git log -- cards.lock "
            "shows its commits; git checkout COMMIT -- cards.lock); or, if dist/deck.apkg never "
            "reached learners, delete it and build again") in out

    _git(deck_dir.root, "checkout", "HEAD", "--", "cards.lock")  # the recovery it names
    assert "0 updated" in build(deck_dir, monkeypatch, NOW, "-v")


def test_a_package_built_from_the_ledger_is_repaired_not_refused(deck_dir, monkeypatch):
    """A build killed between its two renames leaves a new package beside the ledger it was
    built from (tests/test_crash.py kills real builds there): repaired as before."""
    build(deck_dir, monkeypatch, NOW - 2000)
    ledger_before, record_before = deck_dir.ledger.read_bytes(), deck_dir.record.read_bytes()
    deck_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(deck_dir, monkeypatch, NOW - 1000)
    # The package renamed; the ledger and the record of what we shipped (moved after it) not.
    deck_dir.ledger.write_bytes(ledger_before)
    deck_dir.record.write_bytes(record_before)
    result = run(deck_dir, monkeypatch, NOW - 1000)
    assert result.exit_code == 0, result.output
    assert "not the package the ledger records" in result.output
    assert read_ledger(deck_dir.ledger).cards["article-three"].mod == NOW - 1000


def test_an_older_package_beside_a_newer_ledger_is_rebuilt(deck_dir, monkeypatch):
    """A package from before a `git pull` brought a newer ledger: the ledger is not stale."""
    build(deck_dir, monkeypatch, NOW - 2000)
    old_package = deck_dir.output.read_bytes()
    deck_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(deck_dir, monkeypatch, NOW - 1000)
    deck_dir.output.write_bytes(old_package)
    build(deck_dir, monkeypatch, NOW - 500)


def test_another_decks_ledger_is_refused(deck_dir, monkeypatch, tmp_path):
    other = tmp_path / "other"
    write_deck(other, deck_yaml=DECK_YAML.replace("id: 1234567890", "id: 1234567891")
               .replace("name: Test Treaty Deck", "name: Another Deck"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW))
    result = CliRunner().invoke(cli, ["--cards", str(other / "cards"), "--media",
                                      str(other / "media"), "-o", str(other / "deck.apkg")])
    assert result.exit_code == 0, result.output
    shutil.copy(other / "cards.lock", deck_dir.ledger)
    out = refused(deck_dir, monkeypatch, NOW)
    assert ("cards.lock: this is the ledger of another deck: 'Another Deck' (id 1234567891), "
            "not 'Test Treaty Deck'") in out
    assert "build-deck new --here" in out


# ---- A Windows checkout (issue 19 item 5) ----

def test_a_crlf_ledger_reads_and_is_written_back_lf(deck_dir, monkeypatch):
    build(deck_dir, monkeypatch, NOW - 1000)
    lf = deck_dir.ledger.read_bytes()
    deck_dir.ledger.write_bytes(lf.replace(b"\n", b"\r\n"))
    check = CliRunner().invoke(cli, ["check", "--cards", str(deck_dir.cards), "--media",
                                     str(deck_dir.media), "-o", str(deck_dir.output)])
    assert check.exit_code == 0, check.output
    assert "a build would add 0, update 0 and retire 0.\n" in check.output
    build(deck_dir, monkeypatch, NOW - 500)
    assert deck_dir.ledger.read_bytes() == lf


# ---- Merging ledgers (issue 19 item 5) ----

def _repo(deck_dir) -> None:
    _git(deck_dir.root, "init", "-q", "-b", "main")
    _git(deck_dir.root, "config", "user.email", "a@example.org")
    _git(deck_dir.root, "config", "user.name", "A")


def test_git_merges_two_branches_ledgers_with_the_driver(deck_dir, monkeypatch):
    _repo(deck_dir)
    build(deck_dir, monkeypatch, NOW - 3000)
    setup = CliRunner().invoke(cli, ["setup-git", "--cards", str(deck_dir.cards)])
    assert setup.exit_code == 0, setup.output
    assert "git now merges cards.lock with: build-deck ledger --merge %O %A %B" in setup.output
    assert (deck_dir.root / ".gitattributes").read_text() == (
        "/cards.lock text eol=lf merge=build-deck-ledger\n"
        "/cards.shipped text eol=lf merge=union\n")
    assert _git(deck_dir.root, "config", "merge.build-deck-ledger.driver") == (
        "build-deck ledger --merge %O %A %B\n")
    _git(deck_dir.root, "add", ".gitattributes", "cards", "media", "cards.lock", "cards.shipped")
    _git(deck_dir.root, "commit", "-qm", "first")
    _git(deck_dir.root, "checkout", "-qb", "other")
    deck_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(deck_dir, monkeypatch, NOW - 2000)
    _git(deck_dir.root, "commit", "-qam", "other: article three")
    _git(deck_dir.root, "checkout", "-q", "main")
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao came.")
    build(deck_dir, monkeypatch, NOW - 1000)
    _git(deck_dir.root, "commit", "-qam", "main: signatories")

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    merged = subprocess.run(["git", "-C", str(deck_dir.root), "merge", "-q", "--no-edit", "other"],
                            capture_output=True, text=True, env=env)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    ledger = read_ledger(deck_dir.ledger)  # its check holds
    assert ledger.cards["article-three"].mod == NOW - 2000
    assert ledger.cards["signatories"].mod == NOW - 1000
    assert ledger.cards["signing-date"].mod == ledger.cards["chinese-name"].mod
    monkeypatch.chdir(deck_dir.root)
    check = CliRunner().invoke(cli, ["check", "--cards", str(deck_dir.cards), "--media",
                                     str(deck_dir.media), "-o", str(deck_dir.output)])
    assert check.exit_code == 0, check.output
    assert "a build would add 0, update 0 and retire 0.\n" in check.output


def test_merge_by_hand_highest_stamp_wins_and_releases_unite(release_dir, monkeypatch, tmp_path):
    build(release_dir, monkeypatch, NOW - 4000, "--release")
    base = tmp_path / "base.lock"
    shutil.copy(release_dir.ledger, base)
    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(release_dir, monkeypatch, NOW - 2000, "--release")
    theirs = tmp_path / "theirs.lock"
    shutil.copy(release_dir.ledger, theirs)
    ours = tmp_path / "ours.lock"
    shutil.copy(base, ours)
    result = CliRunner().invoke(cli, ["ledger", "--merge", str(base), str(ours), str(theirs)])
    assert result.exit_code == 0, result.output
    merged, their = read_ledger(ours), read_ledger(theirs)
    assert merged.cards["article-three"].mod == NOW - 2000
    assert merged.cards["article-three"].digest == their.cards["article-three"].digest
    assert merged.released == their.released == {"1.0.0": NOW - 4000, "1.1.0": NOW - 2000}
    assert merged.changes == their.changes and not merged.package

    edited = tmp_path / "edited.lock"
    edited.write_text(theirs.read_text().replace("Test Treaty Deck", "Another"), "utf-8")
    bad = CliRunner().invoke(cli, ["ledger", "--merge", str(base), str(ours), str(edited)])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert "the check on its last line" in bad.output  # a hand edit: refused before merging

    other = tmp_path / "other"
    write_deck(other, deck_yaml=DECK_YAML.replace("id: 1234567890", "id: 1234567891"))
    made = CliRunner().invoke(cli, ["--cards", str(other / "cards"), "--media",
                                    str(other / "media"), "-o", str(other / "deck.apkg")])
    assert made.exit_code == 0, made.output
    before = ours.read_bytes()
    bad = CliRunner().invoke(cli, ["ledger", "--merge", str(base), str(ours),
                                   str(other / "cards.lock")])
    assert bad.exit_code == 1 and ours.read_bytes() == before
    assert (f"{other / 'cards.lock'}: is the ledger of deck 1234567891 ('Test Treaty Deck'), "
            "ours of deck 1234567890 ('Test Treaty Deck'): ledgers of two decks cannot be "
            "merged; keep ours (git checkout --ours cards.lock)") in bad.output


@pytest.mark.parametrize("args", [[], ["--from", "x.apkg", "--merge", "a", "b", "c"]])
def test_ledger_needs_one_of_from_and_merge(args):
    result = CliRunner().invoke(cli, ["ledger", *args])
    assert result.exit_code == 2
    assert "give either --from PACKAGE or --merge BASE OURS THEIRS." in result.output


def test_ci_refuses_conflict_lines_in_the_ledger_naming_the_merge(tmp_path):
    script = (REPO / ".ci" / "run").read_text("utf-8")
    pattern = re.search(r"grep -qE '([^']+)' cards.lock", script).group(1)  # type: ignore
    assert "build-deck ledger --merge BASE OURS THEIRS" in script
    lock = tmp_path / "cards.lock"
    lock.write_text("end\t1\tab\n<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> other\n", "utf-8")
    assert subprocess.run(["grep", "-qE", pattern, str(lock)]).returncode == 0
    lock.write_text("card\t<<<<<<<x\n", "utf-8")
    assert subprocess.run(["grep", "-qE", pattern, str(lock)]).returncode == 1


# ---- `ledger --from` on packages build-deck did not write (issue 19 item 3) ----

def _ledger_from(deck_dir, package) -> str:
    """`ledger --from PACKAGE` with no ledger: refused, and still no ledger."""
    deck_dir.ledger.unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["ledger", "--from", str(package), "--cards",
                                      str(deck_dir.cards), "--media", str(deck_dir.media)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and not deck_dir.ledger.exists()
    return result.output


def _rezip(source: Path, target: Path, rename: dict[str, str]) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            if name in rename and rename[name]:
                dst.writestr(rename[name], src.read(name))
            elif name not in rename:
                dst.writestr(name, src.read(name))


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "legacy-anki21"])
def test_an_anki_export_of_a_learners_collection_is_refused(release_dir, collection, monkeypatch,
                                                             legacy, tmp_path):
    from anki.collection import ExportAnkiPackageOptions

    build(release_dir, monkeypatch, NOW - 1000, "--release")
    import_package(collection, release_dir.output)
    study(collection, 6)
    exported = tmp_path / "exported.apkg"
    collection.export_anki_package(out_path=str(exported), limit=None,
                                   options=ExportAnkiPackageOptions(
                                       with_scheduling=True, with_media=True, legacy=legacy))
    names = zipfile.ZipFile(exported).namelist()
    assert ("collection.anki21" if legacy else "collection.anki21b") in names
    assert "collection.anki2" in names  # the stub older Ankis show
    out = _ledger_from(release_dir, exported)
    inner = "collection.anki21" if legacy else "collection.anki21b"
    assert (f"Error: {exported}: is a package Anki exported from a collection (it holds "
            f"{inner}, which only Anki writes), not one build-deck built: it carries a "
            "learner's edits, reviews and Anki's import times, not what a release shipped, so "
            "no ledger can be made from it. Use the .apkg build-deck wrote for your last "
            "release (its download, or a build at its tagged commit), or restore cards.lock "
            "from git (git checkout -- cards.lock)") in out

    if legacy:  # as Anki before 2.1.50 exported: the full collection as collection.anki2
        old_style = tmp_path / "old-style.apkg"
        _rezip(exported, old_style, {"collection.anki2": "", "meta": "",
                                     "collection.anki21": "collection.anki2"})
        assert ("is a package Anki exported from a collection (it holds 6 reviews and 6 "
                "studied cards), not one build-deck built") in _ledger_from(release_dir,
                                                                            old_style)


@pytest.mark.parametrize(("sql", "message"), [
    ("UPDATE col SET decks = '[1, 2]'", "its deck table (the decks JSON) is malformed"),
    ("UPDATE col SET decks = '{\"1\": {\"id\": \"x\"}}'",
     "its deck table (the decks JSON) is malformed"),
    ("UPDATE col SET models = 'not json'", "its note-type table (the models JSON) is malformed"),
    ("UPDATE col SET models = '{\"1\": {\"mod\": 1, \"name\": \"n\", \"flds\": 3}}'",
     "its note-type table (the models JSON) is malformed"),
    ("UPDATE notes SET mod = 'yesterday'", "its notes table is malformed"),
])
def test_a_malformed_package_is_refused_naming_it(deck_dir, monkeypatch, tmp_path, sql, message):
    build(deck_dir, monkeypatch, NOW - 1000)
    with zipfile.ZipFile(deck_dir.output) as zf:
        (tmp_path / "collection.anki2").write_bytes(zf.read("collection.anki2"))
    conn = sqlite3.connect(tmp_path / "collection.anki2")
    conn.execute(sql)
    conn.commit()
    conn.close()
    bad = tmp_path / "bad.apkg"
    with zipfile.ZipFile(deck_dir.output) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, (tmp_path / "collection.anki2").read_bytes()
                         if name == "collection.anki2" else data)
    out = _ledger_from(deck_dir, bad)
    assert f"Error: {bad}: {message}: not a package build-deck wrote" in out


def test_the_parent_commits_ledger_beside_the_build_made_from_it_is_refused(deck_dir,
                                                                           monkeypatch):
    """The one case a package cannot tell: it was built from the very ledger checked out. Git
    holds the ledger that build wrote, so this is no killed build."""
    _repo(deck_dir)
    build(deck_dir, monkeypatch, NOW - 2000)
    _git(deck_dir.root, "add", "cards", "media", "cards.lock", "cards.shipped")
    _git(deck_dir.root, "commit", "-qm", "first")
    deck_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(deck_dir, monkeypatch, NOW - 1000)
    _git(deck_dir.root, "commit", "-qam", "edit")
    head = _git(deck_dir.root, "log", "-1", "--format=%h").strip()

    _git(deck_dir.root, "checkout", "HEAD~1", "--", "cards.lock")
    out = refused(deck_dir, monkeypatch, NOW)
    assert (f"cards.lock: the ledger is older than the one commit {head} holds, which a build "
            "from this very ledger wrote with dist/deck.apkg: it is a stale copy, such as an "
            "older commit's ledger checked out. A build from it would stamp notes learners "
            "already have anew and overwrite their own edits on re-import. Put back the newer "
            f"ledger: git checkout {head} -- cards.lock") in out
    _git(deck_dir.root, "checkout", head, "--", "cards.lock")
    assert "0 updated" in build(deck_dir, monkeypatch, NOW)

    # An uncommitted build's ledger put back: no commit holds a ledger built from this one,
    # so it is a build killed between its renames, as far as anyone can tell: repaired.
    deck_dir.edit("treaty.yaml", "Stalin and Mao attended.", "Stalin and Mao came.")
    build(deck_dir, monkeypatch, NOW - 500)
    _git(deck_dir.root, "checkout", "--", "cards.lock", "cards.shipped")
    assert "not the package the ledger records" in build(deck_dir, monkeypatch, NOW - 500)


def test_the_changelog_dates_a_release_and_says_which_version_is_in_the_works(release_dir,
                                                                             monkeypatch):
    """Untagged, a release is dated by its release build; the next version, built but not
    released, is not passed off as a release."""
    build(release_dir, monkeypatch, 1_780_000_000, "--release")  # 2026-05-28 UTC
    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(release_dir, monkeypatch, 1_780_100_000)
    monkeypatch.chdir(release_dir.root)
    out = CliRunner().invoke(cli, ["changelog", "--cards", str(release_dir.cards)]).output
    assert "## 1.1.0 (in the works: not released yet)\n" in out
    assert "## 1.0.0 (2026-05-28)\n" in out


def test_a_release_known_only_from_the_record_is_dated_by_its_commit(release_dir, monkeypatch):
    """2.0.0 was released before ledgers kept release times: the record of what we shipped
    (its release lines, with the commit they were built at) is what says it was released."""
    root = release_dir.root
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "a@example.org")
    _git(root, "config", "user.name", "A")
    _git(root, "add", "-A")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
    _git(root, "commit", "-qm", "cards")
    build(release_dir, monkeypatch, 1_780_000_000)
    shipped = release_dir.ledger.with_suffix(".shipped")
    lines = shipped.read_text("utf-8").splitlines()
    released = [json.dumps({**json.loads(line), "release": True}, separators=(",", ":"))
                for line in lines if line.startswith("{")]
    shipped.write_text("\n".join(lines + released) + "\n", "utf-8")
    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "extra: Article 3.", "extra: From Article 3.")
    build(release_dir, monkeypatch, 1_780_100_000)
    monkeypatch.chdir(root)
    out = CliRunner().invoke(cli, ["changelog", "--cards", str(release_dir.cards)]).output
    assert "## 1.1.0 (in the works: not released yet)\n" in out
    assert "## 1.0.0 (2026-01-02)\n" in out


def test_a_stale_ledger_that_lacks_a_release_the_cards_name_is_called_stale(release_dir,
                                                                             monkeypatch):
    """An older ledger put back (no package beside it, as in a fresh clone) lacks the release
    whose correction a card names: the refusal says the ledger is stale, not the card wrong."""
    build(release_dir, monkeypatch, NOW - 2000, "--release")
    older = release_dir.ledger.read_bytes()
    set_version(release_dir, "1.1.0")
    release_dir.edit("treaty.yaml", "    back: Zhou Enlai and Andrey Vyshinsky\n",
                     "    back: Zhou Enlai and Andrey Vyshinsky, the foreign ministers\n"
                     "    correction: named the signers too vaguely\n")
    build(release_dir, monkeypatch, NOW - 1000, "--release")
    set_version(release_dir, "1.2.0")
    release_dir.edit("treaty.yaml", "    correction: named the signers too vaguely\n",
                     "    correction_withdrawn: 1.1.0\n")
    build(release_dir, monkeypatch, NOW - 500)
    release_dir.ledger.write_bytes(older)
    release_dir.output.unlink()
    out = refused(release_dir, monkeypatch, NOW)
    assert "cards.lock: this ledger is older than what builds of ours already shipped" in out
    assert "did not correct this card" not in out
