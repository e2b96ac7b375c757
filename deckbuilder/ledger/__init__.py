"""Ledger: cards.lock and releases.

The ledger records what the last build shipped (each note's digest and time, note types, media,
releases, renames and corrections), so the next build plans a package that a re-import applies
without losing learners' progress. It plans from notes and what the build ships (a Shipment),
never from the author's files; its changelog tells learners and authors what each release did.
Its memory is the record of what we shipped (shipped.py): append-only, every value ever shipped.
"""

from deckbuilder.ledger.changelog import (
    MIDWAY_BUILDS,
    Release,
    changelog_markdown,
    description_html,
    git_dates,
    released_commits,
    releases,
)
from deckbuilder.ledger.lockfile import (
    EARLIEST,
    NOT_A_LEDGER,
    check_time,
    latest_time,
    ledger_lines,
    read_ledger,
)
from deckbuilder.ledger.merge import merge_ledgers
from deckbuilder.ledger.plan import build_time, make_plan
from deckbuilder.ledger.records import (
    CORRECTED,
    RETIRED,
    VERSION_RE,
    CardEntry,
    Change,
    DeckFacts,
    Ledger,
    NoteTypeEntry,
    Plan,
    Rename,
    Revision,
    Shipment,
    correction_tag,
    version_key,
)
from deckbuilder.ledger.shipped import (
    Shipped,
    ShippedFile,
    ShippedNote,
    merged,
    read_shipped,
    read_shipped_file,
    refuse_stale_ledger,
    shipments,
)

__all__ = ["CORRECTED", "EARLIEST", "MIDWAY_BUILDS", "NOT_A_LEDGER", "RETIRED", "VERSION_RE",
           "CardEntry", "Change", "DeckFacts", "Ledger", "NoteTypeEntry", "Plan", "Release",
           "Rename", "Revision",
           "Shipment", "Shipped", "ShippedFile", "ShippedNote", "build_time", "changelog_markdown",
           "check_time", "correction_tag", "description_html", "git_dates", "latest_time",
           "ledger_lines", "make_plan", "merge_ledgers", "merged", "read_ledger", "read_shipped",
           "read_shipped_file", "refuse_stale_ledger", "released_commits", "releases", "shipments",
           "version_key"]
