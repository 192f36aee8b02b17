"""A large list's report is kept compactly (``RowOutcomes``), and reads back exactly the
row outcomes the reader made: every fate, reason, merged line and left-out address."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.lists import read_list
from mailer.lists.people import Carer, Child, Recipient
from mailer.lists.report import (
    LEFT_OUT,
    AddressOutcome,
    Fate,
    RowOutcome,
    RowOutcomes,
    same_address_reason,
)

_lines = st.integers(min_value=1, max_value=10**9)
_text = st.text(max_size=20)


@st.composite
def row_outcome(draw: st.DrawFn) -> RowOutcome:
    fate = draw(st.sampled_from(list(Fate)))
    first = draw(st.none() | _lines)
    reason = draw(st.sampled_from(["", "custom reason"])
                  | st.builds(same_address_reason, _lines, st.booleans()))
    if first is not None and draw(st.booleans()):
        reason = same_address_reason(first, draw(st.booleans()))
    others = draw(st.lists(st.builds(AddressOutcome, st.sampled_from(list(Fate)), _text,
                                     _text), max_size=2))
    return RowOutcome(draw(_lines), fate, draw(_text), reason, first, others,
                      draw(st.sampled_from(["", "Amy Khan"])),
                      draw(st.sampled_from(["", "Mrs Khan"])))


@settings(max_examples=300, deadline=None)
@given(st.lists(row_outcome(), max_size=30))
def test_compact_rows_read_back_equal(rows: list[RowOutcome]) -> None:
    kept = RowOutcomes(rows)
    assert len(kept) == len(rows)
    assert list(kept) == rows and kept == rows
    assert [kept[i] for i in range(len(rows))] == rows
    assert kept[1:4] == rows[1:4]
    if rows:
        assert kept[-1] == rows[-1]
    with pytest.raises(IndexError):
        kept[len(rows)]
    assert kept.fate_counts() == Counter(r.fate for r in rows)
    leaving = [r for r in rows if r.fate in LEFT_OUT or r.others]
    assert [r for r in kept.kept_whole() if r.fate in LEFT_OUT or r.others] == leaving


def test_report_of_a_file_is_compact_and_exact(tmp_path: Path) -> None:
    """Rows that became recipients, merged, duplicated, or were left out: each reads back
    with the reader's words."""
    path = tmp_path / "list.csv"
    path.write_text(
        "Pupil,Carer,Email\n"
        "Amy Khan,Mrs Sadia Khan,sadia@example.com\n"
        "Ben Khan,Mrs Sadia Khan,sadia@example.com\n"
        "Ben Khan,Mrs Sadia Khan,SADIA@example.com\n"
        "Cara Lee,Mr Lee,not-an-address\n"
        "Dev Shah,Ms Shah,shah@example.com\n", encoding="utf-8")
    report = read_list(path)
    assert isinstance(report.rows, RowOutcomes)
    got = [(r.line, r.fate, r.address, r.reason, r.merged_into) for r in report.rows]
    assert got[:3] == [
        (2, Fate.RECIPIENT, "sadia@example.com", "", None),
        (3, Fate.MERGED, "sadia@example.com",
         "same address as line 2; adds a carer or child to that message", 2),
        (4, Fate.DUPLICATE, "SADIA@example.com",
         "same address as line 2; adds nothing new to that message", 2),
    ]
    assert got[3][:3] == (5, Fate.INVALID, "not-an-address") and got[3][3]
    assert report.rows[3].pupil == "Cara Lee"
    assert got[4] == (6, Fate.RECIPIENT, "shah@example.com", "", None)
    assert report.rows[0].others == [] and report.rows[3].others == []


_carer = st.builds(Carer, st.sampled_from(["", "Mrs", "Mr"]), st.sampled_from(["", "Sadia"]),
                   st.sampled_from(["", "Khan", "Lee"]), st.sampled_from(["", "Mr & Mrs Khan"]))
_child = st.none() | st.builds(Child, st.sampled_from(["", "Amy", "Ben"]),
                               st.sampled_from(["", "Khan"]), st.sampled_from(["", "7"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_carer, _child, st.integers(2, 6)), min_size=1, max_size=5))
def test_recipient_kept_compactly_says_what_lists_would(
        rows: list[tuple[Carer, Child | None, int]]) -> None:
    """A recipient made by ``first`` and grown by ``add`` says the same as one built the
    plain way (lists appended to by ``add`` from empty), field by field and in every
    template field."""
    carer, child, line = rows[0]
    compact = Recipient.first("a@example.com", "a@example.com", carer, child, line, "pl")
    plain = Recipient("a@example.com", "a@example.com", language="pl")
    plain.add(carer, child, line)
    for carer, child, line in rows[1:]:
        assert compact.add(carer, child, line) == plain.add(carer, child, line)
    assert compact == plain
    assert (compact.carers, compact.children, compact.lines, compact.unnamed_carer) == (
        plain.carers, plain.children, plain.lines, plain.unnamed_carer)
    assert isinstance(compact.lines, list) and compact.fields() == plain.fields()
    compact.lines.append(99)  # a copy: the recipient does not change
    assert 99 not in compact.lines
