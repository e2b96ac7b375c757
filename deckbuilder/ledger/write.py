"""Writing the ledger file, record by record (ledgerfile.py describes the format)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from deckbuilder.ledger.codec import FORMAT, MAGIC, escape, escape_list
from deckbuilder.ledger.records import Ledger
from deckbuilder.ledger.release import version_key

HEADER = (
    "# build-deck ledger: written by every build; commit it with your cards.\n"
    "# It records what the last build put in the package so the next one can tell what\n"
    "# changed. Do not edit it by hand: a changed line fails the check on the last line.\n"
)


def lines(ledger: Ledger) -> Iterator[str]:
    """The ledger's text line by line, to write a large one without holding it all."""
    digest = hashlib.sha256()
    count = 0

    def record(*fields: object) -> str:
        nonlocal count
        count += 1
        line = "\t".join(map(str, fields)) + "\n"
        digest.update(line.encode("utf-8"))
        return line

    digest.update(HEADER.encode("utf-8"))
    yield HEADER
    yield record(MAGIC, FORMAT)
    yield record("deck", ledger.deck_id, ledger.created, escape(ledger.deck_name))
    if ledger.package:
        yield record("package", ledger.package)
    for entry in sorted(ledger.note_types.values(), key=lambda e: e.id):
        yield record("notetype", entry.id, entry.digest, entry.mod, escape(entry.name),
                     escape_list(entry.fields), escape_list(entry.templates))
    for name, package_name in sorted(ledger.media.items()):
        yield record("media", escape(name), escape(package_name))
    for card_id in sorted(ledger.cards):
        card = ledger.cards[card_id]
        flags = ("retired",) if card.retired else ()
        yield record("card", escape(card_id), card.digest, card.mod, card.kind, *flags)
    for version in sorted(ledger.releases, key=version_key):
        yield record("release", version, ledger.releases[version])
    for change in sorted(ledger.changes.values(),
                         key=lambda c: (version_key(c.version), c.card_id)):
        reason = (escape(change.reason),) if change.reason else ()
        yield record("change", change.version, escape(change.card_id), change.kind, *reason)
    for rename in sorted(ledger.renames.values(), key=lambda r: r.old):
        yield record("rename", escape(rename.old), escape(rename.new), rename.version)
    yield f"end\t{count}\t{digest.hexdigest()}\n"
