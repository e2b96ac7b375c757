"""Three ledgers merged into one, as git's merge driver for cards.lock (build-deck setup-git).

Two branches that each built the deck both rewrote cards.lock; merged line by line, its check
(the last line) fails. Merged record by record instead: per note the highest stamp wins, with
the content and flags it was stamped with (a stamp never goes down); release, change, rename and
revision records are united. The merged ledger records no package (no package was built with it), so
the next build writes both anew, and the checksum is the writer's.
"""

from __future__ import annotations

from deckbuilder.errors import Problems
from deckbuilder.ledger.records import CORRECTED, NEW, RETIRED, REWORDED, Change, Ledger

# When two branches recorded different changes to one card in one release, the one that says
# most to learners: a card new in the release stays new, whatever else happened to it.
_WEIGHT = {NEW: 3, RETIRED: 2, CORRECTED: 1, REWORDED: 0}


def merge_ledgers(base: Ledger, ours: Ledger, theirs: Ledger, files: tuple[str, str, str]
                  ) -> Ledger:
    """The union of the ledgers of two branches and their common base. Raises DeckError when
    they are not one deck's. files: how messages name base, ours and theirs."""
    sides = [ledger for ledger in (base, ours, theirs) if not ledger.missing]
    problems = Problems()
    for ledger, file in zip((base, ours, theirs), files, strict=True):
        if not ledger.missing and (ledger.deck_id, ledger.deck_name) != (
                ours.deck_id, ours.deck_name):
            problems.add(file, message=f"is the ledger of deck {ledger.deck_id} "
                         f"('{ledger.deck_name}'), ours of deck {ours.deck_id} "
                         f"('{ours.deck_name}'): ledgers of two decks cannot be merged; keep "
                         "ours (git checkout --ours cards.lock)")
    problems.raise_if_any()
    merged = Ledger(ours.deck_id, ours.deck_name,
                    min(ledger.created for ledger in sides if ledger.created))
    for ledger in sides:
        for card_id, entry in ledger.cards.items():
            if card_id not in merged.cards or entry.mod > merged.cards[card_id].mod:
                merged.cards[card_id] = entry
        for type_id, note_type in ledger.note_types.items():
            if type_id not in merged.note_types or note_type.mod > merged.note_types[type_id].mod:
                merged.note_types[type_id] = note_type
        merged.media.update(ledger.media)
        for version, when in ledger.releases.items():
            merged.releases[version] = min(when, merged.releases.get(version, when))
        for version, when in ledger.released.items():
            merged.released[version] = min(when, merged.released.get(version, when))
        for key, change in ledger.changes.items():
            merged.changes[key] = _stronger(merged.changes.get(key), change)
        merged.renames.update(ledger.renames)
        merged.revisions.update(ledger.revisions)
    for old in merged.renames:  # renamed on one branch: its note lives on under the new id
        merged.cards.pop(old, None)
    return merged


def _stronger(one: Change | None, other: Change) -> Change:
    if one is None or _WEIGHT[other.kind] > _WEIGHT[one.kind]:
        return other
    if _WEIGHT[other.kind] == _WEIGHT[one.kind] and other.reason > one.reason:
        return other  # the same either way round, so merging is symmetric
    return one
