"""The ledger's file, cards.lock: its format, reading it exactly and writing it (the records it
holds are in records.py).

Format 3, one record per line, fields separated by tabs:

    build-deck ledger<TAB>3                      always the first record
    deck<TAB>id<TAB>created<TAB>name
    package<TAB>sha256 of the package written with this ledger
    from<TAB>the check (last line) of the ledger the last build that changed anything read
    notetype<TAB>id<TAB>digest<TAB>mod<TAB>name<TAB>field|field…<TAB>template|template…
    media<TAB>name in the cards<TAB>name in the package
    card<TAB>id<TAB>digest<TAB>mod<TAB>kind[<TAB>flag…]  (kind: basic or cloze; flag: retired)
    release<TAB>version<TAB>time of its first build
    released<TAB>version<TAB>time of its release build (build --release)
    change<TAB>version<TAB>card id<TAB>new|corrected|reworded|retired[<TAB>reason]
    rename<TAB>former id<TAB>new id<TAB>version (empty when the deck had none)
    revision<TAB>version<TAB>card id<TAB>corrected version<TAB>withdrawn|amended[<TAB>reason]
    end<TAB>number of records above<TAB>sha256 of every byte above this line

Lines starting with '#' are comments. In a field, a backslash, and any character that could end
or split a line or a field (tab, newline, CR, U+2028…) or a list (|), is written \\uXXXX, so
every name the build accepts reads back as it was. The end record shows a ledger cut short, a
merge conflict or a hand edit. A record kind or flag this version does not know is refused
(a newer build-deck wrote it): a new kind of record needs a new format number. Format 1 (no
version record, no escapes, no end record) and format 2 (no 'from', 'released' or 'revision'
records) are read as they were written, and rewritten as 3. Lines may end in CRLF (a Windows
checkout).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from deckbuilder.errors import Problems, display_path
from deckbuilder.files import InputFileError, read_regular
from deckbuilder.ledger.records import (
    CHANGE_KINDS,
    VERSION_RE,
    CardEntry,
    Change,
    Ledger,
    NoteTypeEntry,
    Rename,
    Revision,
    version_key,
)
from deckbuilder.paths import RECOVER

FORMAT = 3
READABLE_FORMATS = ("2", "3")
MAGIC = "build-deck ledger"
# No deck was built before this: a time earlier than this, or later than the clock by more than
# a day, was not written by a build (a millisecond time, a clock set to 2100, a hand edit).
EARLIEST = 946_684_800  # 2000-01-01T00:00:00Z
CLOCK_SKEW = 86_400
KINDS = ("basic", "cloze")
FLAGS = ("retired",)
_ESCAPE = re.compile(r"[\\|\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UNESCAPE = re.compile(r"\\u([0-9a-f]{4})")
_NUMBER = re.compile(r"(0|[1-9][0-9]{0,18})")
HEADER = (
    "# build-deck ledger: written by every build; commit it with your cards.\n"
    "# It records what the last build put in the package so the next one can tell what\n"
    "# changed. Do not edit it by hand: a changed line fails the check on the last line.\n"
)
MAX_LEDGER = 256 << 20  # a 100 000-card ledger is 6 MB
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})( |$)")


NOT_A_LEDGER = ("is not a ledger (it has no 'build-deck ledger' line): name the deck's ledger, "
                "cards.lock beside the cards folder (the default of --ledger)")


def looks_like_ledger(data: bytes) -> bool:
    """Whether a file's bytes could be a ledger (perhaps a damaged one); an empty file can: a
    write cut short. Format 1 ledgers have no format line, but start with a 'deck' record."""
    head = data[:4096]
    return (not head.strip() or MAGIC.encode() in head
            or any(line.startswith(b"deck\t") for line in head.splitlines()))


def read_ledger(path: Path, latest: int | None = None) -> Ledger:
    """Read a ledger; a missing file is an empty ledger marked missing. Raises DeckError."""
    problems = Problems()
    file = display_path(Path(path))

    def refuse(message: str, line: int = 0) -> None:
        problems.add(file, line, 1 if line else 0, message=f"{message}; {RECOVER}")
        problems.raise_if_any()

    try:
        data = read_regular(Path(path), MAX_LEDGER)
    except FileNotFoundError:
        return Ledger(missing=True)
    except InputFileError as e:
        if not Path(path).exists() and not Path(path).is_symlink():
            return Ledger(missing=True)
        refuse(str(e))
    # Another file named by --ledger; a damaged *.lock is a ledger to restore (below).
    if Path(path).suffix != ".lock" and not looks_like_ledger(data):
        problems.add(file, message=NOT_A_LEDGER)
        problems.raise_if_any()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        refuse("not valid UTF-8", data[: e.start].count(b"\n") + 1)
    # A Windows checkout (core.autocrlf) ends lines with CRLF: the records and their check are
    # the same. A CR inside a field is always escaped, so no CR before a newline is content.
    text = text.replace("\r\n", "\n")
    text = text.removeprefix("\ufeff")  # an editor's byte-order mark: not part of the check
    if not text.strip():
        refuse("the ledger is empty (it was emptied, or a write was cut short)")
    rows = text.split("\n")  # not splitlines(): U+2028 and friends are text to it
    for number, row in enumerate(rows, 1):
        if _CONFLICT.match(row):
            refuse("a merge conflict is left in the ledger (the '<<<<<<<' lines); a ledger "
                   "cannot be merged line by line: merge it record by record with "
                   "build-deck ledger --merge BASE OURS THEIRS (git show :1:cards.lock, :2: and "
                   ":3: give the three; build-deck setup-git makes git do it)", number)
    records = [(n, row) for n, row in enumerate(rows, 1) if row and not row.startswith("#")]
    latest = latest_time() if latest is None else latest
    if records and records[0][1].split("\t")[0] == MAGIC:
        ledger = _read_records(text, records, file, problems, refuse)
    else:
        ledger = _read_format_1(records, file, problems)
        ledger.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    problems.raise_if_any()
    _check_times(ledger, file, latest, problems)
    problems.raise_if_any()
    return ledger


def _read_records(text: str, records: list[tuple[int, str]], file: str, problems: Problems,
                  refuse) -> Ledger:
    number, first = records[0]
    version = first.split("\t")[1:]
    if len(version) != 1 or version[0] not in READABLE_FORMATS:
        if len(version) == 1 and _NUMBER.fullmatch(version[0]) and int(version[0]) > FORMAT:
            problems.add(file, number, 1, message=f"written in ledger format {version[0]} by a "
                         f"newer build-deck, which this one (format {FORMAT}) cannot read; "
                         "upgrade build-deck")
            problems.raise_if_any()
        refuse("unreadable ledger format line", number)
    last_number, last = records[-1]
    end = last.split("\t")
    if end[0] != "end":
        refuse("the ledger is cut short: its last line, 'end', is missing", last_number)
    body = text[: text.rfind("\nend\t") + 1].encode("utf-8")
    if (len(end) != 3 or end[1] != str(len(records) - 1)
            or end[2] != hashlib.sha256(body).hexdigest()):
        refuse("the ledger does not match the check on its last line: it was edited, merged or "
               "cut short since a build wrote it (after a git merge, merge it record by record: "
               "build-deck ledger --merge BASE OURS THEIRS, and run build-deck setup-git once "
               "so git does)", last_number)
    ledger = Ledger(digest=end[2])
    for number, row in records[1:-1]:
        parts = row.split("\t")
        try:
            _record(ledger, parts, number)
        except (IndexError, ValueError):
            known = ("deck", "package", "from", "notetype", "media", "card", "release",
                     "released", "change", "rename", "revision")
            what = ("unreadable ledger line" if parts[0] in known else
                    f"unknown ledger record '{parts[0][:40]}' (written by a newer build-deck?)")
            problems.add(file, number, 1, message=f"{what}; {RECOVER}")
    return ledger


def same_records(a: Ledger, b: Ledger) -> bool:
    """Whether two ledgers record the same, apart from the package's bytes and where they came
    from (a build that changes nothing writes the ledger it read)."""
    def body(ledger: Ledger) -> list[str]:
        return list(ledger_lines(replace(ledger, package="", built_from="", digest="")))
    return body(a) == body(b)


def _record(ledger: Ledger, parts: list[str], number: int) -> None:
    kind, fields = parts[0], parts[1:]
    if kind == "deck" and len(fields) == 3:
        ledger.deck_id, ledger.created = _number(fields[0]), _number(fields[1])
        ledger.deck_name = _unescape(fields[2])
    elif kind == "package" and len(fields) == 1 and re.fullmatch(r"[0-9a-f]{64}", fields[0]):
        ledger.package = fields[0]
    elif kind == "from" and len(fields) == 1 and re.fullmatch(r"[0-9a-f]{64}", fields[0]):
        ledger.built_from = fields[0]
    elif kind == "notetype" and len(fields) == 6:
        entry = NoteTypeEntry(_number(fields[0]), fields[1], _number(fields[2]),
                              _unescape(fields[3]), tuple(map(_unescape, fields[4].split("|"))),
                              tuple(map(_unescape, fields[5].split("|"))))
        ledger.note_types[entry.id] = entry
    elif kind == "media" and len(fields) == 2:
        ledger.media[_unescape(fields[0])] = _unescape(fields[1])
    elif kind == "card" and len(fields) >= 4 and fields[3] in KINDS:
        flags = fields[4:]
        if any(flag not in FLAGS for flag in flags):
            raise ValueError(f"unknown flag in {flags}")
        ledger.cards[_unescape(fields[0])] = CardEntry(fields[1], _number(fields[2]),
                                                      "retired" in flags, fields[3], number)
    elif kind == "release" and len(fields) == 2 and VERSION_RE.match(fields[0]):
        ledger.releases[fields[0]] = _number(fields[1])
    elif kind == "released" and len(fields) == 2 and VERSION_RE.match(fields[0]):
        ledger.released[fields[0]] = _number(fields[1])
    elif (kind == "change" and len(fields) in (3, 4) and VERSION_RE.match(fields[0])
          and fields[2] in CHANGE_KINDS):
        change = Change(fields[0], _unescape(fields[1]), fields[2],
                        _unescape(fields[3]) if len(fields) == 4 else "")
        ledger.changes[change.version, change.card_id] = change
    elif kind == "rename" and len(fields) == 3 and (not fields[2] or VERSION_RE.match(fields[2])):
        old = _unescape(fields[0])
        ledger.renames[old] = Rename(old, _unescape(fields[1]), fields[2])
    elif (kind == "revision" and len(fields) in (4, 5) and VERSION_RE.match(fields[0])
          and VERSION_RE.match(fields[2]) and (fields[3], len(fields)) in _REVISION_FORMS):
        revision = Revision(fields[0], _unescape(fields[1]), fields[2],
                            _unescape(fields[4]) if len(fields) == 5 else "")
        ledger.revisions[revision.corrected, revision.card_id] = revision
    else:
        raise ValueError(kind)


_REVISION_FORMS = {("withdrawn", 4), ("amended", 5)}


def _read_format_1(records: list[tuple[int, str]], file: str, problems: Problems) -> Ledger:
    """The ledger as builds before format 2 wrote it (the first edition was released so)."""
    ledger = Ledger()
    for number, row in records:
        parts = row.split("\t")
        try:
            kind = parts[0]
            if kind == "deck":
                ledger.deck_id, ledger.created = _number(parts[1]), _number(parts[2])
                ledger.deck_name = parts[3]
            elif kind == "card":
                flags = parts[4:]
                ledger.cards[parts[1]] = CardEntry(
                    parts[2], _number(parts[3]), "retired" in flags,
                    next((f for f in flags if f in KINDS), None), number)
            elif kind == "notetype":
                entry = NoteTypeEntry(_number(parts[1]), parts[2], _number(parts[3]),
                                      parts[4], tuple(parts[5].split("|")),
                                      tuple(parts[6].split("|")))
                ledger.note_types[entry.id] = entry
            elif kind == "media":
                ledger.media[parts[1]] = parts[2]
            else:
                raise ValueError(kind)
        except (IndexError, ValueError):
            problems.add(file, number, 1, message=f"unreadable ledger line; {RECOVER}")
    if not problems.found and not ledger.deck_id:
        problems.add(file, message=f"the ledger has no 'deck' line (cut short?); {RECOVER}")
    return ledger


def _check_times(ledger: Ledger, file: str, latest: int, problems: Problems) -> None:
    times = [(0, "the deck's creation time", ledger.created)]
    times += [(0, f"note type {e.id}'s time", e.mod) for e in ledger.note_types.values()]
    times += [(e.line, f"card time of '{card_id}':", e.mod) for card_id, e in ledger.cards.items()]
    for line, what, value in times:
        wrong = check_time(value, what.rstrip(":"), latest)
        if wrong:
            problems.add(file, line, 1 if line else 0,
                         message=f"{wrong}. The ledger cannot be trusted; {RECOVER}")
            if len(problems.found) >= 5:
                break


def ledger_lines(ledger: Ledger) -> Iterator[str]:
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
    yield record("deck", ledger.deck_id, ledger.created, _escape(ledger.deck_name))
    if ledger.package:
        yield record("package", ledger.package)
    if ledger.built_from:
        yield record("from", ledger.built_from)
    for entry in sorted(ledger.note_types.values(), key=lambda e: e.id):
        yield record("notetype", entry.id, entry.digest, entry.mod, _escape(entry.name),
                     _escape_list(entry.fields), _escape_list(entry.templates))
    for name, package_name in sorted(ledger.media.items()):
        yield record("media", _escape(name), _escape(package_name))
    for card_id in sorted(ledger.cards):
        card = ledger.cards[card_id]
        flags = ("retired",) if card.retired else ()
        yield record("card", _escape(card_id), card.digest, card.mod, card.kind, *flags)
    for version in sorted(ledger.releases, key=version_key):
        yield record("release", version, ledger.releases[version])
    for version in sorted(ledger.released, key=version_key):
        yield record("released", version, ledger.released[version])
    for change in sorted(ledger.changes.values(),
                         key=lambda c: (version_key(c.version), c.card_id)):
        reason = (_escape(change.reason),) if change.reason else ()
        yield record("change", change.version, _escape(change.card_id), change.kind, *reason)
    for rename in sorted(ledger.renames.values(), key=lambda r: r.old):
        yield record("rename", _escape(rename.old), _escape(rename.new), rename.version)
    for revision in sorted(ledger.revisions.values(), key=lambda r: (
            version_key(r.version), r.card_id, version_key(r.corrected))):
        told = ("withdrawn",) if revision.withdrawn else ("amended", _escape(revision.reason))
        yield record("revision", revision.version, _escape(revision.card_id), revision.corrected,
                     *told)
    yield f"end\t{count}\t{digest.hexdigest()}\n"


def _escape(text: str) -> str:
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    rest = _UNESCAPE.sub("", text)
    if "\\" in rest:
        raise ValueError("a backslash that is no escape")
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _escape_list(items: tuple[str, ...]) -> str:
    return "|".join(_escape(item) for item in items)


def latest_time() -> int:
    """The latest time a build may stamp: the clock, and a day's grace for skewed clocks."""
    return int(time.time()) + CLOCK_SKEW


def check_time(value: int, what: str, latest: int) -> str | None:
    """What is wrong with a time a note or deck would carry into Anki, or None."""
    if value < EARLIEST:
        return f"{what} {value} is before 2000, earlier than any build"
    if value > latest:
        day = (time.strftime("%Y-%m-%d", time.gmtime(value)) if value <= 253402300799
               else "after 9999")
        hint = " (a time in milliseconds?)" if value > 10**11 else ""
        return (f"{what} {value} ({day}) is in the future{hint}: a note stamped with it would "
                "overwrite learners' own edits on every later import")
    return None


def _number(text: str) -> int:
    if not _NUMBER.fullmatch(text):  # ASCII digits only: int() also takes '١' and '1_0'
        raise ValueError(text)
    return int(text)

