"""`build-deck verify`: a built package imported into a real, throwaway Anki collection."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import CARD_COUNT, CARD_IDS, CARDS_YAML, BuiltDeck, deck_media, write_deck

from deckbuilder.build import build
from deckbuilder.cli import cli
from deckbuilder.verify import card_ids_from_ledger, verify

NOW = 1_700_000_000


def _rewrite(package: Path, out: Path, drop: str | None = None, keep_manifest: bool = False,
             sql: str | None = None, add: tuple[str, bytes] | None = None) -> Path:
    """Copy package to out, dropping a media file, running SQL on the collection or adding
    a media file."""
    with zipfile.ZipFile(package) as zf:
        entries = {info.filename: zf.read(info) for info in zf.infolist()}
    manifest = json.loads(entries["media"])
    if drop:
        (number,) = [k for k, name in manifest.items() if name.startswith(drop)]
        del entries[number]
        if not keep_manifest:
            del manifest[number]
    if add:
        number = str(len(manifest) + 10)
        manifest[number], entries[number] = add
    entries["media"] = json.dumps(manifest).encode()
    if sql:
        db = out.with_suffix(".anki2")
        db.write_bytes(entries["collection.anki2"])
        with sqlite3.connect(db) as conn:
            assert conn.execute(sql).rowcount > 0
        conn.close()
        entries["collection.anki2"] = db.read_bytes()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out


def test_verify_passes_on_a_good_package(built: BuiltDeck):
    report = verify(built.package)
    assert report.problems == []
    assert (report.notes, report.cards, report.media) == (len(CARD_IDS), CARD_COUNT, 2)


def test_verify_cli_defaults_to_the_last_build(tmp_path, monkeypatch):
    write_deck(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["--cards", "cards", "--media", "media"]).exit_code == 0
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Imported dist/test-treaty-deck.apkg into a new Anki collection: 4 notes, 6 cards, 2 media "
        "files.\nOK: no empty cards, missing or unused media, duplicates or skipped notes.\n")


def test_verify_cli_says_what_to_pass_without_a_deck(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 2
    assert "no PACKAGE given" in result.output
    assert "name the .apkg to verify" in result.output


def test_verify_cli_reports_a_package_that_is_not_there(tmp_path):
    result = CliRunner().invoke(cli, ["verify", str(tmp_path / "none.apkg")])
    assert result.exit_code == 1
    assert "none.apkg: no such package; build it first" in result.output


def test_verify_fails_on_a_media_file_missing_from_the_package(built: BuiltDeck, tmp_path):
    broken = _rewrite(built.package, tmp_path / "broken.apkg", drop="timeline-")
    ids = card_ids_from_ledger(tmp_path / "cards.lock")
    report = verify(broken, ids)
    assert [str(p) for p in report.problems] == [
        f"{broken}: card 'signatories': media file '{_media_name(built.package, 'timeline-')}' is "
        "used by a "
        "card but missing from the package"]
    result = CliRunner().invoke(cli, ["verify", str(broken), "--cards", str(tmp_path / "cards")])
    assert result.exit_code == 1
    assert "card 'signatories': media file 'timeline-" in result.output
    assert "1 problem found by Anki." in result.output


def test_verify_fails_when_the_media_list_names_a_file_the_zip_lacks(built: BuiltDeck, tmp_path):
    broken = _rewrite(built.package, tmp_path / "broken.apkg", drop="timeline-",
                      keep_manifest=True)
    result = CliRunner().invoke(cli, ["verify", str(broken)])
    assert result.exit_code == 1
    assert "broken.apkg: Anki cannot import it (1 missing from archive): it is damaged or not a " \
           "package build-deck wrote; use the .apkg build-deck wrote" in result.output
    assert "Imported" not in result.output
    assert "Traceback" not in result.output


def test_verify_fails_on_unused_media(built: BuiltDeck, tmp_path):
    extra = _rewrite(built.package, tmp_path / "extra.apkg", add=("stray.png", b"not used"))
    assert [p.message for p in verify(extra).problems] == [
        "media file 'stray.png' is in the package but no card uses it"]


def test_verify_fails_on_an_empty_cloze_card(built: BuiltDeck, tmp_path):
    # The note keeps its two cards, but its text loses the c2 deletion.
    sql = ("UPDATE notes SET flds = replace(flds, '{{c2::other::a party}}', 'other') "
           "WHERE flds LIKE '%{{c2::%'")
    broken = _rewrite(built.package, tmp_path / "broken.apkg", sql=sql)
    report = verify(broken, card_ids_from_ledger(tmp_path / "cards.lock"))
    assert [(p.card, p.message) for p in report.problems] == [
        ("article-three", "cloze card 2 is empty: the text has no {{c2::...}} deletion; Anki would "
                    "show a blank card and offer to delete it")]
    result = CliRunner().invoke(cli, ["verify", str(broken), "--cards", str(tmp_path / "cards")])
    assert result.exit_code == 1
    assert "card 'article-three': cloze card 2 is empty" in result.output


def test_verify_fails_on_notes_sharing_a_guid(built: BuiltDeck, tmp_path):
    sql = "UPDATE notes SET guid = (SELECT min(guid) FROM notes)"
    broken = _rewrite(built.package, tmp_path / "broken.apkg", sql=sql)
    messages = [p.message for p in verify(broken).problems]
    assert len(messages) == 1
    assert "share the id (guid)" in messages[0]


def test_verify_fails_on_duplicate_fronts(tmp_path):
    twin = CARDS_YAML.replace("The treaty's Chinese name", "When was the treaty signed?")
    cards_dir, media_dir = write_deck(tmp_path, {"treaty.yaml": twin}, deck_media())
    package = build(cards_dir, media_dir, tmp_path / "twin.apkg", now=NOW).output
    report = verify(package, card_ids_from_ledger(tmp_path / "cards.lock"))
    assert [p.message for p in report.problems] == [
        "cards 'signing-date', 'chinese-name' have the same Front 'when was the treaty signed?'; "
        "Anki marks them as duplicates"]


def test_verify_without_anki_says_how_to_install_it(built: BuiltDeck, monkeypatch):
    for name in [m for m in sys.modules if m == "anki" or m.startswith("anki.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "anki", None)  # makes `import anki...` raise ImportError
    result = CliRunner().invoke(cli, ["verify", str(built.package)])
    assert result.exit_code == 2
    assert "pip install anki (from a checkout of build-deck: pip install '.[anki]')" in (
        result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _media_name(package: Path, prefix: str) -> str:
    with zipfile.ZipFile(package) as zf:
        names = json.loads(zf.read("media")).values()
    (name,) = [n for n in names if n.startswith(prefix)]
    return name


@pytest.mark.parametrize(("make", "said"), [
    (lambda p: os.mkfifo(p), "is unreadable: it is not a regular file"),
    (lambda p: os.symlink(p.parent / "gone.apkg", p), "is unreadable: a symbolic link to"),
])
def test_an_unreadable_package_is_called_unreadable(tmp_path, make, said):
    # CI runs as root, which reads any file: a pipe and a link to nothing stand in for a file
    # without permission. Neither is "not a zip", nor "no such package".
    package = tmp_path / "deck.apkg"
    make(package)
    result = CliRunner().invoke(cli, ["verify", str(package)])
    assert result.exit_code == 1, result.output
    assert f"{package}: {said}" in result.output
    assert "zip" not in result.output and "no such package" not in result.output
