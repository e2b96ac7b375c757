"""What each release changed, told to learners (the deck's description in Anki) and to
authors (Markdown release notes), from the ledger's release records.

Anki replaces a deck's description on every import that brings a non-empty one, so the
description is where every learner who imports a release sees its version.
"""

from __future__ import annotations

import html
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from deckbuilder.ledger.records import (
    CORRECTED,
    RETIRED,
    REWORDED,
    Ledger,
    Revision,
    correction_tag,
    version_key,
)
from deckbuilder.ledger.shipped import Shipped
from deckbuilder.notes import Note

# Main was never a release channel (issue 19): what a learner who built it should know.
MIDWAY_BUILDS = (
    "Only the versions below are releases. A package built from the repository between two "
    "releases (a build of main, or of any commit) is not a release: its notes may hold text "
    "that no release shipped, stamped so that a later release's plain import (File > Import) "
    "does not replace it. If you imported such a build, take the next release with "
    "`build-deck install`, which compares every field by content and so brings each change "
    "while keeping your own edits.")

# Releases summed up in the deck's description, newest first.
DESCRIPTION_RELEASES = 3

# A deletion with no deletion inside it; replaced until none is left, so nested ones unwrap.
_CLOZE = re.compile(r"\{\{c\d+::((?:(?!\{\{|\}\}|::).)*)(?:::(?:(?!\{\{|\}\}).)*)?\}\}",
                    re.DOTALL)
# The sort field puts a space where each tag was: "<b>x</b>." reads "x ."
_SPACE_BEFORE_PUNCTUATION = re.compile(r" ([.,;:?!])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


@dataclass
class Release:
    """One release as the ledger tells it, with each card's prompt as the cards give it now."""

    version: str
    new: list[str]
    corrected: list[tuple[str, str]]  # (card id, reason)
    reworded: list[str]
    retired: list[str]
    renamed: list[tuple[str, str]]  # (old id, new id)
    # Earlier releases' corrections this one withdraws or amends: (card id, release, what now)
    revised: list[tuple[str, str, str]] = field(default_factory=list)
    # Cards an earlier release retired that this one changed again: (card id, that release)
    renoticed: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> str:
        parts = [f"{len(self.new)} new", f"{len(self.corrected)} corrected",
                 f"{len(self.reworded)} reworded", f"{len(self.retired)} retired"]
        text = f"{', '.join(parts[:-1])} and {parts[-1]} notes"
        if self.renamed:
            text += f"; {len(self.renamed)} renamed without losing reviews"
        if self.revised:
            count = len(self.revised)
            text += (f"; {count} earlier correction{'s' if count != 1 else ''} withdrawn or "
                     "amended")
        if self.renoticed:
            count = len(self.renoticed)
            text += (f"; {count} card{'s' if count != 1 else ''} retired in an earlier release "
                     "updated")
        return text


WITHDRAWN = "withdrawn: not a correction"


def _revision_text(revision: Revision) -> str:
    return WITHDRAWN if revision.withdrawn else f"amended: {revision.reason}"


def releases(ledger: Ledger) -> list[Release]:
    """Every release the ledger records, newest first, each correction as it now stands: one
    withdrawn later is listed as reworded, one amended later with its amended reason."""
    found = {version: Release(version, [], [], [], [], []) for version in ledger.releases}
    revised = _latest_revisions(ledger)
    retired_in = {c.card_id: c.version for c in ledger.changes.values() if c.kind == RETIRED}
    for change in sorted(ledger.changes.values(), key=lambda c: c.card_id):
        release = found.setdefault(change.version, Release(change.version, [], [], [], [], []))
        revision = revised.get((change.version, change.card_id))
        earlier = retired_in.get(change.card_id)
        if (change.kind == REWORDED and earlier
                and version_key(earlier) < version_key(change.version)):
            release.renoticed.append((change.card_id, earlier))
        elif change.kind == CORRECTED and revision and revision.withdrawn:
            release.reworded.append(change.card_id)
        elif change.kind == CORRECTED:
            reason = (f"{revision.reason} (amended in {revision.version})" if revision
                      else change.reason)
            release.corrected.append((change.card_id, reason))
        else:
            getattr(release, change.kind).append(change.card_id)
    for revision in sorted(ledger.revisions.values(), key=lambda r: (r.card_id, r.corrected)):
        release = found.setdefault(revision.version, Release(revision.version, [], [], [], [],
                                                             []))
        release.revised.append((revision.card_id, revision.corrected, _revision_text(revision)))
    for rename in sorted(ledger.renames.values(), key=lambda r: r.old):
        if rename.version in found:
            found[rename.version].renamed.append((rename.old, rename.new))
    return sorted(found.values(), key=lambda r: version_key(r.version), reverse=True)


def _latest_revisions(ledger: Ledger) -> dict[tuple[str, str], Revision]:
    """(corrected release, the card's id then) -> the latest revision of that correction."""
    latest: dict[tuple[str, str], Revision] = {}
    for revision in sorted(ledger.revisions.values(), key=lambda r: version_key(r.version)):
        for card_id in _ids_back(ledger, revision.card_id):
            latest[revision.corrected, card_id] = revision
    return latest


def _ids_back(ledger: Ledger, card_id: str) -> list[str]:
    """The card's id and the ids it had before (a correction is recorded under the id then)."""
    return [card_id, *ledger.former_ids(card_id)]


def current_id(ledger: Ledger, card_id: str) -> str:
    """The id a card has now, following its renames."""
    seen = {card_id}
    while card_id in ledger.renames and ledger.renames[card_id].new not in seen:
        card_id = ledger.renames[card_id].new
        seen.add(card_id)
    return card_id


def prompt(note: Note) -> str:
    """The question a card asks, as plain text: its front, or its cloze read out in full."""
    text = note.sort_field
    while True:
        unwrapped = _CLOZE.sub(r"\1", text)
        if unwrapped == text:
            return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(text.split()))
        text = unwrapped


def description_html(ledger: Ledger, notes: list[Note], version: str) -> str:
    """The version and what's new, for the end of the deck's description in Anki.

    One line each, the corrected facts folded away: learners see this above the Study button
    every day. No newlines: Anki shows each as a line break.
    """
    prompts = {note.card_id: prompt(note) for note in notes}
    recent = [r for r in releases(ledger) if version_key(r.version) <= version_key(version)]
    parts = [f"<p><b>Version {html.escape(version)}</b></p>"]
    for release in recent[:DESCRIPTION_RELEASES]:
        parts.append(f"<p>What's new in {html.escape(release.version)}: "
                     f"{html.escape(release.counts())}.</p>")
        if release.corrected:
            tag = correction_tag(release.version)
            count = len(release.corrected)
            items = "".join(
                f"<li>{html.escape(prompts.get(current_id(ledger, card_id), card_id))} "
                f"<i>({html.escape(reason)})</i></li>"
                for card_id, reason in release.corrected)
            parts.append(f"<details><summary>Corrected in {html.escape(release.version)}: "
                         f"{count} fact{'s' if count != 1 else ''} you may have learned wrong. "
                         f"Find {'them' if count != 1 else 'it'} in the Browse window with "
                         f"<code>tag:{html.escape(tag)}</code> and, if you like, reset "
                         f"{'them' if count != 1 else 'it'} (Cards → Reset; Forget in older "
                         f"versions).</summary><ul>{items}</ul></details>")
        if release.revised:
            count = len(release.revised)
            items = "".join(
                f"<li>{html.escape(prompts.get(current_id(ledger, card_id), card_id))} "
                f"<i>({html.escape(corrected)} correction {html.escape(text)})</i></li>"
                for card_id, corrected, text in release.revised)
            parts.append(f"<details><summary>Earlier corrections revised in "
                         f"{html.escape(release.version)}: {count}. A withdrawn one corrected "
                         "nothing you had learned wrong, and its tag is gone."
                         f"</summary><ul>{items}</ul></details>")
    parts.append(ANKI_VERSIONS_HTML)
    return "".join(parts)


# Which Anki versions take our releases, and what a learner on an affected one must do
# (README: Anki versions; tests/test_engines.py plays each case on the real engines).
ANKI_VERSIONS_HTML = (
    "<details><summary>Anki versions: import each release in order, or only the newest, with "
    "the default options.</summary>Tested with Anki 2.1.50, 2.1.55, 24.11, 25.02 and 26.9 (and "
    "so AnkiDroid whose backend is one of these; AnkiMobile is untested). Anki 2.1.55 to 24.11 "
    "stamp a note with the time of the import that updates it: an older release imported after "
    "a newer one came out keeps its text of the notes both changed, and importing the newer "
    "one again does not bring their changes. <code>build-deck install</code> does (see the "
    "deck's README).</details>")


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def released_commits(record: Shipped) -> dict[str, str | None]:
    """Each version the record of what we shipped says was released, with the commit its
    release build was made at (the first recorded), so a release needs no tag to be known."""
    return {version: shipped[0].commit for version, shipped in record.released_versions().items()}


def git_dates(folder: Path, versions: list[str],
              commits: dict[str, str | None] | None = None) -> dict[str, str] | None:
    """The date of each release's tag `v<version>` in git or, untagged, of the commit its
    release build was made at (from `commits`); None outside a git repository."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                                  text=True, check=False, stdin=subprocess.DEVNULL)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    if git("rev-parse", "--is-inside-work-tree") != "true":
        return None
    dates = {}
    for version in versions:
        date = git("log", "-1", "--format=%cs", f"refs/tags/v{version}", "--")
        commit = (commits or {}).get(version)
        if not date and commit:
            date = git("log", "-1", "--format=%cs", f"{commit}^{{commit}}", "--")
        if date:
            dates[version] = date
    return dates


def changelog_markdown(deck_name: str, ledger: Ledger, notes: list[Note], since: str | None = None,
              dates: dict[str, str] | None = None, released: Iterable[str] = ()) -> str:
    """Release notes in Markdown, newest release first; only releases after `since` if given.

    `dates` maps versions to their tag's date (from git_dates; an untagged release has none);
    None means there is no git history to read, which the text says. `released` names the
    versions the record of what we shipped says were released, besides the ledger's.
    """
    prompts = {note.card_id: prompt(note) for note in notes}

    def item(card_id: str, detail: str = "") -> str:
        now = current_id(ledger, card_id)
        renamed = f" (now `{now}`)" if now != card_id else ""
        text = prompts.get(now)
        line = f"- `{card_id}`{renamed}"
        if text:
            line += f": {_md(text)}"
        return line + (f" — *{_md(detail)}*" if detail else "")

    chosen = [r for r in releases(ledger)
              if since is None or version_key(r.version) > version_key(since)]
    out = [f"# {_md(deck_name)}: changelog", ""]
    if dates is None:
        out += ["Read from the ledger (cards.lock) alone: no git repository here, so release "
                "dates are not known.", ""]
    if not ledger.releases:
        out += ["No releases recorded yet: add `version:` to deck.yaml and build.", ""]
    else:
        out += [MIDWAY_BUILDS, ""]
    if ledger.releases and not chosen:
        out += [f"No releases after {since}.", ""]
    newest = max(ledger.releases, key=version_key, default=None)
    released_now = set(ledger.released) | set(released)
    for release in chosen:
        when = f" ({dates[release.version]})" if dates and release.version in dates else ""
        if not when and release.version in ledger.released:  # untagged: its release build's day
            day = datetime.fromtimestamp(ledger.released[release.version], timezone.utc)
            when = f" ({day:%Y-%m-%d})"
        elif release.version == newest and released_now and newest not in released_now:
            when = " (in the works: not released yet)"
        out += [f"## {release.version}{when}", "", release.counts() + ".", ""]
        if release.corrected:
            out += ["### Corrected", "",
                    "These cards taught something wrong before. In Anki, find them with "
                    f"`tag:{correction_tag(release.version)}` in the Browse window.", ""]
            out += [item(card_id, reason) for card_id, reason in release.corrected] + [""]
        for title, ids in (("Reworded or otherwise changed", release.reworded),
                           ("New", release.new), ("Retired", release.retired)):
            if ids:
                out += [f"### {title}", ""] + [item(card_id) for card_id in ids] + [""]
        if release.revised:
            out += ["### Earlier corrections withdrawn or amended", "",
                    "A withdrawn correction corrected nothing a learner had wrong: its note no "
                    "longer carries that release's correction tag.", ""]
            out += [item(card_id, f"{corrected} correction {text}")
                    for card_id, corrected, text in release.revised] + [""]
        if release.renoticed:
            out += ["### Retired earlier, updated", "",
                    "Nothing to study: learners see only the retirement notice, which names the "
                    "release that retired the card.", ""]
            out += [f"- `{card_id}` (retired in {earlier})"
                    for card_id, earlier in release.renoticed] + [""]
        if release.renamed:
            out += ["### Renamed (reviews kept)", ""]
            out += [f"- `{old}` → {item(new)[2:]}" for old, new in release.renamed] + [""]
    return "\n".join(out).rstrip("\n") + "\n"
