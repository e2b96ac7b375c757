"""Ledger: cards.lock and releases.

The ledger records what the last build shipped (each note's digest and time, note types, media,
releases, renames and corrections), so the next build plans a package that a re-import applies
without losing learners' progress. It plans from notes and what the build ships (a Shipment),
never from the author's files; its changelog tells learners and authors what each release did.
"""

from deckbuilder.ledger.changelog import (
    Release,
    changelog_markdown,
    description_html,
    git_dates,
    releases,
)
from deckbuilder.ledger.lockfile import (
    EARLIEST,
    check_time,
    latest_time,
    ledger_lines,
    read_ledger,
)
from deckbuilder.ledger.plan import build_time, make_plan
from deckbuilder.ledger.records import (
    CORRECTED,
    VERSION_RE,
    CardEntry,
    Change,
    DeckFacts,
    Ledger,
    NoteTypeEntry,
    Plan,
    Rename,
    Shipment,
    correction_tag,
    version_key,
)

__all__ = ["CORRECTED", "EARLIEST", "VERSION_RE", "CardEntry", "Change", "DeckFacts",
           "Ledger", "NoteTypeEntry", "Plan", "Release", "Rename", "Shipment", "build_time",
           "changelog_markdown", "check_time", "correction_tag", "description_html", "git_dates",
           "latest_time", "ledger_lines", "make_plan", "read_ledger", "releases", "version_key"]
