"""The rules by which a release meets a learner's note: decided by content, never by clocks.

Plain functions over texts and hashes, so they can be read and tested without Anki.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from deckbuilder.ledger import ShippedNote
from deckbuilder.notes import field_hash

PROTECT = "build-deck::protect::"
CONFLICT = "build-deck::conflict::"

SAME, TAKE, KEEP, CONFLICT_ = "same", "take", "keep", "conflict"


def conflict_tag(version: str) -> str:
    return f"{CONFLICT}v{version}"


def protected_fields(tags: Iterable[str]) -> set[str]:
    """Field names (lower case) the learner protects; "all" protects every field."""
    return {t[len(PROTECT):].lower() for t in tags if t.lower().startswith(PROTECT)}


def field_outcome(theirs: str, ours: str, shipped: set[str], bases: Sequence[str]) -> str:
    """What to do with one field.

    shipped: the hash of every value we ever shipped in it; bases: its hash in each release the
    learner may have last received (all that agree with their unedited fields).
    - SAME: equal;
    - TAKE: equal once canonical (an editor's rewrite is no edit), or a value we shipped: ours
      replaces it;
    - KEEP: their own edit, and ours has not changed since any base they may have;
    - CONFLICT: both changed, or their base is unknown: ours, and theirs is kept in the report.
    """
    if theirs == ours:
        return SAME
    if field_hash(theirs) in shipped | {field_hash(ours)}:
        return TAKE
    # Several bases fit when the releases agree on every field the learner left alone; keeping
    # theirs only when every one of them agrees with ours never drops a change silently.
    if bases and all(base == field_hash(ours) for base in bases):
        return KEEP
    return CONFLICT_


def possible_bases(theirs: dict[str, str], shipments: Sequence[ShippedNote],
                   recorded: dict[str, str] | None) -> list[dict[str, str]]:
    """The releases this learner may last have received, each as field -> hash.

    Recorded by an earlier install, it is known; otherwise every shipment whose values equal
    theirs in each field they did not edit (a field holding some value we shipped).
    """
    if recorded is not None:
        return [recorded]
    hashes = {name: field_hash(text) for name, text in theirs.items()}
    ever: dict[str, set[str]] = {}
    for s in shipments:
        for name, h in s.fields:
            ever.setdefault(name, set()).add(h)
    unedited = {name for name, h in hashes.items() if h in ever.get(name, ())}
    return [dict(s.fields) for s in shipments
            if all(s.field(name) == hashes[name] for name in unedited)]


def merged_tags(theirs: Sequence[str], ours: Sequence[str], ever: Iterable[str]) -> list[str]:
    """Their tags with ours: a tag a release of ours ever put on the note follows the release;
    every other tag is the learner's and stays (leech and marked included, and the protect and
    conflict tags)."""
    ours_lower = {t.lower() for t in ours}
    ours_ever = {t.lower() for t in ever} - ours_lower
    kept = [t for t in theirs if t.lower() not in ours_ever
            or t.lower().startswith((PROTECT, CONFLICT))]
    have = {t.lower() for t in kept}
    return kept + [t for t in ours if t.lower() not in have]


def same_tags(a: Iterable[str], b: Iterable[str]) -> bool:
    return sorted(t.lower() for t in a) == sorted(t.lower() for t in b)
