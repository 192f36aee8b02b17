"""Property: for any list (any delimiter, encoding, line ends, quoting, blank lines,
repeated, mis-cased, invalid, several-in-a-cell or suppressed addresses, contact flags and
filters), the row fates add up to the data rows and no address is sent to twice."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.lists import Fate, read_list
from mailer.lists.addresses import Address, check_address

POOL = ["sadia.khan@example.com", "imran.khan@example.com", "jo.smith@example.org",
        "eltern@bücher.example", "a.b+c@school.example.sch.uk"]
BAD = ["not-an-address", "x@y", "two@@example.com", "sp ace@example.com"]
HEADER = ["Pupil Forename", "Contact Title", "Contact Surname", "Email", "No Contact", "Year"]
NAME_CHARS = "abcXYZ éÉ£,;\"'\n\t-?<>&"


def case_variant(address: str, data: st.DataObject) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(address), max_size=len(address)))
    return "".join(c.upper() if f else c for c, f in zip(address, flips, strict=True))


@st.composite
def email_cells(draw: st.DrawFn, data: st.DataObject) -> str:
    kind = draw(st.sampled_from(["one", "one", "one", "bad", "empty", "several"]))
    if kind == "bad":
        return draw(st.sampled_from(BAD))
    if kind == "empty":
        return ""
    picks = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=1 if kind == "one" else 3))
    sep = draw(st.sampled_from(["; ", ",", " ; "]))
    return sep.join(case_variant(p, data) for p in picks)


@st.composite
def lists(draw: st.DrawFn) -> dict:
    data = draw(st.data())
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        rows.append([
            draw(st.text(NAME_CHARS, max_size=8)),
            draw(st.sampled_from(["", "Mrs", "Mr", "Dr"])),
            draw(st.text(NAME_CHARS, max_size=8)),
            draw(email_cells(data)),
            draw(st.sampled_from(["", "", "N", "Yes", "court order"])),
            draw(st.sampled_from(["Year 3", "3", "Year 4", "Reception"])),
        ])
    return {
        "rows": rows,
        "delimiter": draw(st.sampled_from([",", ";", "\t"])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])),
        "blank_after": draw(st.sets(st.integers(0, 12), max_size=3)),
        "suppressed": draw(st.sets(st.sampled_from(POOL), max_size=2)),
        "where": draw(st.sampled_from([[], ["year=3"], ["year=4", "title=mrs"]])),
    }


@settings(max_examples=100, deadline=None)
@given(lists())
def test_fates_add_up_and_no_address_is_sent_to_twice(spec: dict) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=spec["delimiter"], lineterminator=spec["newline"],
                        quoting=spec["quoting"])
    writer.writerow(HEADER)
    data_rows = 0
    for index, row in enumerate(spec["rows"]):
        writer.writerow(row)
        data_rows += any(cell.strip() for cell in row)
        if index in spec["blank_after"]:
            out.write(spec["newline"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        path.write_bytes(out.getvalue().encode(spec["encoding"]))
        report = read_list(path, suppressed=spec["suppressed"], where=spec["where"])

    # Every data row has exactly one fate, and the counts add up.
    assert len(report.rows) == data_rows
    assert sum(report.counts().values()) == data_rows
    # One recipient per address, compared case-insensitively; never a suppressed one.
    keys = [r.email.casefold() for r in report.recipients]
    assert len(keys) == len(set(keys))
    suppressed = {check_address(a).key for a in spec["suppressed"]}  # type: ignore[union-attr]
    assert not set(keys) & suppressed
    assert all(r.email.isascii() for r in report.recipients)
    # Every valid, wanted address in a row that became/merged into a recipient is sent to.
    lines = {row.line: row for row in report.rows}
    for rec in report.recipients:
        assert rec.lines and all(lines[n].fate in (Fate.RECIPIENT, Fate.MERGED,
                                                   Fate.DUPLICATE) for n in rec.lines)
    accepted_rows = sum(1 for r in report.rows if r.fate is Fate.RECIPIENT)
    assert accepted_rows <= len(report.recipients)
    wanted = set()
    for row in spec["rows"]:
        flagged = row[4] in ("Yes", "court order")
        year_ok = all(
            (w == "year=3" and row[5] in ("Year 3", "3"))
            or (w == "year=4" and row[5] in ("Year 4",))
            or (w == "title=mrs" and row[1] == "Mrs")
            for w in spec["where"]
        )
        if flagged or not year_ok:
            continue
        for piece in row[3].replace(";", ",").split(","):
            found = check_address(piece.strip())
            if isinstance(found, Address) and found.key not in suppressed:
                wanted.add(found.key)
    assert set(keys) == wanted
