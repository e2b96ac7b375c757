"""A card's history across releases, as a build records it in the ledger: renames (`was:`),
corrections and their tags, later releases' revisions of those corrections, and what each
release did to each card."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from deckbuilder.errors import Problems, did_you_mean
from deckbuilder.ledger.records import (
    CORRECTED,
    NEW,
    RETIRED,
    REWORDED,
    CardEntry,
    Change,
    DeckFacts,
    Ledger,
    Plan,
    Rename,
    Revision,
    correction_tag,
    former_ids,
    version_key,
)
from deckbuilder.notes import Note


def check_version(deck: DeckFacts, old: Ledger, problems: Problems) -> None:
    """Refuse a version lower than the ledger's last, or none after a versioned build."""
    version = deck.version
    latest = max(old.releases, key=version_key, default="")
    if latest and not version:
        problems.add(deck.file, 1, 0, None, f"no 'version', but the last build was version "
                     f"{latest}; keep 'version' (it can only go up), so that changes are "
                     "recorded under a release")
    elif latest and version_key(version) < version_key(latest):
        problems.add(deck.file, *deck.mark("version"), None,
                     f"version {version} is lower than {latest}, which the ledger has already "
                     "recorded; a version can only go up")


def _where(note: Note) -> tuple[str, int, int, str]:
    """Where a card is written, for a message: the note carries it."""
    return note.file, note.line, note.col, note.card_id


@dataclass
class Recording:
    """A build recording its release in the ledger: the ledger before it and the one it makes,
    the version ("" for none), the plan it fills in, and the problems it finds."""

    old: Ledger
    new: Ledger
    version: str
    file: str  # the ledger, as messages name it
    problems: Problems
    plan: Plan


def record_renames(rec: Recording, notes: list[Note]) -> dict[str, str]:
    """Record each card's `was:` that the ledger does not know yet, and refuse former ids used
    again. Returns card id -> its id in the last build, for the cards renamed by this build."""
    old, new, version, file, problems = rec.old, rec.new, rec.version, rec.file, rec.problems
    current = {note.card_id for note in notes}
    previous: dict[str, str] = {}
    for note in notes:
        gone = old.renames.get(note.card_id)
        if gone:
            released = f" in release {gone.version}" if gone.version else ""
            problems.add(*_where(note),
                         f"'{note.card_id}' was renamed to '{gone.new}'{released}; learners' "
                         f"notes for it are now '{gone.new}'s, so a former id cannot come back as "
                         "a new card. Choose another id")
        was = note.was
        if was is None or was in old.former_ids(note.card_id):
            continue  # no rename, or one recorded by an earlier build
        where = _where(note)
        if was in old.renames:
            problems.add(*where, f"'was: {was}': '{was}' was already renamed to "
                         f"'{old.renames[was].new}'; name the card's id in the last build")
        elif was in current:
            problems.add(*where, f"'was: {was}' names a card that is still in the cards; a "
                         f"rename moves '{was}' to '{note.card_id}', so remove the card "
                         f"'{was}' (or, if both are wanted, drop 'was')")
        elif was not in old.cards:
            known = did_you_mean(was, list(old.cards))
            problems.add(*where, f"'was: {was}': the ledger ({file}) has no card '{was}' to "
                         f"rename{known}")
        elif note.card_id in old.cards:
            problems.add(*where, f"'was: {was}': '{note.card_id}' is already a card in the "
                         f"last build; 'was' goes on the new id of a renamed card")
        elif was in previous.values():
            problems.add(*where, f"'was: {was}': another card is already renamed from '{was}'")
        else:
            previous[note.card_id] = was
            new.renames[was] = Rename(was, note.card_id, version)
            rec.plan.renamed.append((was, note.card_id))
            for (release, card_id), change in list(new.changes.items()):
                if release == version and card_id == was:  # changed earlier in this release
                    del new.changes[release, card_id]
                    new.changes[release, note.card_id] = replace(change, card_id=note.card_id)
    return previous


@dataclass
class History:
    """What the ledger knew before this build about renames and corrections, indexed once."""

    renamed_from: dict[str, str]  # new id -> old id, this build's renames included
    corrections: dict[str, list[Change]]  # by the card's id at the time
    first_build: bool  # no ledger: nothing was released before, so nothing can be corrected
    revisions: dict[str, list[Revision]]  # of corrections by earlier releases, by the id then
    retirements: dict[str, str] = field(default_factory=dict)  # card id then -> version

    def ids(self, card_id: str) -> list[str]:
        """The card's id and its former ids, latest first."""
        if not self.renamed_from:
            return [card_id]
        return [card_id, *former_ids(card_id, self.renamed_from)]


def retired_in(history: History, note: Note, last: CardEntry | None, version: str) -> str:
    """The release that retired a retired note: this one when it is retired now, else the one
    the ledger recorded ("" when none did: a deck without versions)."""
    if last is None or not last.retired:
        return version
    return next((history.retirements[i] for i in history.ids(note.card_id)
                 if i in history.retirements), "")


def release_note(rec: Recording, history: History, note: Note, last: CardEntry | None) -> Note:
    """The note with its correction tags and identity; records what this release did to it.

    `last` is the card's entry in the last build's ledger. A note keeps the tags of its earlier
    corrections, so an unchanged note stays unchanged.
    """
    new, version, problems = rec.new, rec.version, rec.problems
    if not (version or history.renamed_from or history.corrections or note.correction
            or note.revisions):
        return note  # a deck without releases: nothing to add
    card_id = note.card_id
    ids = history.ids(card_id)
    earlier = sorted((c for i in ids for c in history.corrections.get(i, ())
                      if c.version != version), key=lambda c: version_key(c.version))
    told_before = {c.reason for c in earlier}  # withdrawn ones too: `correction` stays told
    earlier = _standing_corrections(rec, history, note, earlier)
    tags = tuple(correction_tag(c.version) for c in earlier)
    origin = ids[-1] if len(ids) > 1 else None
    before = replace(note, tags=note.tags + tags) if tags else note
    record = new.changes.get((version, card_id)) if version else None
    reason = note.correction
    where = _where(note)
    if reason and not version:
        problems.add(*where, "'correction' is announced under a release: add 'version' to "
                     "deck.yaml (such as 1.1.0)")
        reason = None
    if reason and (history.first_build or reason in told_before):
        # Told in an earlier release; or a deck built for the first time (a new copy of a
        # released deck), whose every note is new to its learners.
        reason = None
    if version:
        if last is None or (record and record.kind == NEW):
            if reason:
                problems.add(*where, "'correction' on a new card: it corrects nothing a learner "
                             "has studied. To correct a fact learners have, edit the card that "
                             "teaches it (with 'was: old-id' if its id must change); or remove "
                             "'correction'")
            record = Change(version, card_id, NEW)
        elif note.retired and (not last.retired or (record and record.kind == RETIRED)):
            if reason:
                problems.add(*where, "'correction' on a card being retired: learners are told "
                             "to suspend it; remove 'correction'")
            record = Change(version, card_id, RETIRED)
        elif last.digest != before.digest() or (record and record.kind in (CORRECTED, REWORDED)):
            record = Change(version, card_id, CORRECTED, reason) if reason else Change(
                version, card_id, REWORDED)
            if reason and new.changes.get((version, card_id)) != record:
                rec.plan.corrected.append(card_id)
        elif reason:
            problems.add(*where, f"has 'correction' but its content has not changed in release "
                         f"{version}; edit the card to correct it, or remove 'correction'")
        if record:
            new.changes[version, card_id] = record
    if record and record.kind == CORRECTED:
        tags += (correction_tag(version),)
    if not tags and origin is None:
        return note
    return replace(note, tags=note.tags + tags, origin=origin)


def _standing_corrections(rec: Recording, history: History, note: Note,
                          earlier: list[Change]) -> list[Change]:
    """The note's earlier corrections that still stand after every revision of them; records
    this release's revisions in the new ledger and refuses one that revises nothing.
    Withdrawn: the change corrected nothing a learner had wrong, so the note loses that
    release's correction tag. Amended: a truer reason, which the changelog gives instead.
    """
    version, problems = rec.version, rec.problems
    where = _where(note)
    ids = history.ids(note.card_id)
    past = sorted((r for i in ids for r in history.revisions.get(i, ())),
                  key=lambda r: version_key(r.version))
    told = {r.corrected: r.reason for r in past}  # the latest word on each correction
    corrected = {c.version for c in earlier}
    for wanted in note.revisions:
        key = ("correction_withdrawn" if wanted.reason is None else "correction_amended")
        if not version:
            problems.add(*where, f"'{key}' is announced under a release: add 'version' to "
                         "deck.yaml")
        elif wanted.version == version:
            problems.add(*where, f"'{key}: {wanted.version}' names this release; its own "
                         "correction is changed with 'correction' (or removed)")
        elif wanted.version not in corrected:
            known = (f" (it was corrected in {', '.join(sorted(corrected, key=version_key))})"
                     if corrected else " (no release has corrected it)")
            problems.add(*where, f"'{key}: {wanted.version}': release {wanted.version} did not "
                         f"correct this card{known}; name a release that did")
        elif told.get(wanted.version, None) != (wanted.reason or ""):
            revision = Revision(version, note.card_id, wanted.version, wanted.reason or "")
            rec.new.revisions[wanted.version, note.card_id] = revision
            told[wanted.version] = revision.reason
            if rec.old.revisions.get((wanted.version, note.card_id)) != revision:
                rec.plan.revised.append(note.card_id)  # not by an earlier build of this release
    return [c for c in earlier if told.get(c.version) != ""]
