"""The record of what we shipped, and the canonical form it compares fields by."""

from __future__ import annotations

import pytest

from deckbuilder import DeckError
from deckbuilder.ledger import Shipped, ShippedNote, merged, read_shipped
from deckbuilder.notes import canonical, field_hash


@pytest.mark.parametrize("ours,as_anki_saves_it", [
    ('He said &quot;no&quot;', 'He said "no"'),
    ("one<br />two", "one<br>two"),
    ("a\xa0b", "a&nbsp;b"),
    ('<img src="m.svg" alt="&quot;x&quot;" />', '<img src="m.svg" alt="&quot;x&quot;">'),
    ("Cafe\u0301", "Café"),
    ("&#8212; &mdash;", "— —"),
])
def test_an_editor_rewrite_is_the_same_field(ours, as_anki_saves_it):
    assert canonical(ours) == canonical(as_anki_saves_it)
    assert field_hash(ours) == field_hash(as_anki_saves_it)


@pytest.mark.parametrize("ours,edited", [
    ("1950", "1951"),
    ("<b>Moscow</b>", "Moscow"),
    ("a &lt;b&gt; c", "a <b> c"),
    ("x&nbsp;y", "x y"),
])
def test_an_edit_is_a_different_field(ours, edited):
    assert field_hash(ours) != field_hash(edited)


def _shipped_note(stamp: int, front: str = "h1", release: bool = False) -> ShippedNote:
    return ShippedNote(note="g1", card="c1", fields=(("Front", front), ("Back", "h2")),
                    tags=("t",), stamp=stamp, version="1.0.0", commit="abc", release=release)


def test_the_record_reads_back_what_it_wrote_and_never_holds_a_line_twice():
    shipped = Shipped()
    assert shipped.add(_shipped_note(10)) and not shipped.add(_shipped_note(10))
    shipped.add(_shipped_note(20, front="h3", release=True))
    again = read_shipped(shipped.text(), "cards.shipped")
    assert again.shipments == shipped.shipments
    assert again.values("g1", "Front") == {"h1", "h3"}
    assert again.highest_stamp("g1") == 20 and again.tags_ever("g1") == {"t"}
    assert [s.stamp for s in again.releases("g1")] == [20]


def test_a_union_is_a_superset_of_both_sides():
    left, right = Shipped(), Shipped()
    left.add(_shipped_note(10))
    right.add(_shipped_note(20))
    both = merged([left, right])
    assert not left.missing_from(both) and not right.missing_from(both)
    assert left.missing_from(right) == [_shipped_note(10)]


def test_a_bad_line_or_a_conflict_marker_names_its_line():
    text = _shipped_note(1).line() + "\n<<<<<<< ours\n{not json\n"
    with pytest.raises(DeckError) as error:
        read_shipped(text, "cards.shipped")
    assert [(p.line, "merge" in p.message) for p in error.value.problems] == [(2, True), (3, False)]
