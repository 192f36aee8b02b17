"""Lists are read row by row (memory for a large list): the same lines, the same rows and
the same error order as reading the whole file first."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from mailer.errors import ListError
from mailer.lists import read_list
from mailer.lists.table import open_table, physical_lines, read_table

TEXTS = [
    "a,b\r\n1,2\r\n",
    "a,b\n1,2",
    "a,b\r1,2\r\r3,4\n",
    'a,b\r\n"x\r\ny",2\n"p\rq","r\ns"\r\n',
    "a\r\r\n\n\rb",
    "",
    "\n",
    "only",
    "a,b\x0c1,2\u2028c\x85d\n",  # characters str.splitlines() would split at, csv does not
]


@pytest.mark.parametrize("text", TEXTS)
def test_physical_lines_are_what_stringio_gives_the_csv_module(text: str) -> None:
    assert list(physical_lines(text)) == list(io.StringIO(text, newline=""))
    assert list(csv.reader(physical_lines(text))) == list(
        csv.reader(io.StringIO(text, newline="")))


def test_streamed_rows_match_the_whole_table(tmp_path: Path) -> None:
    path = tmp_path / "parents.csv"
    path.write_text('sep=;\n\nEmail;Name;;\n\na@example.com;"Khan\nSadia"\n;;\n'
                    "b@example.com;Lee;;\n" + "".join(f"c{i}@example.com;C{i}\n"
                                                       for i in range(60)),
                    encoding="utf-8")
    stream = open_table(path)
    assert stream.header == ["Email", "Name"]
    assert stream.header_line == 3
    assert [r.cells for r in stream.head(2)] == [["a@example.com", "Khan\nSadia"],
                                                ["b@example.com", "Lee"]]
    rows = list(stream.rows())
    table = read_table(path)
    assert [(r.line, r.cells, r.given, r.extra) for r in rows] == [
        (r.line, r.cells, r.given, r.extra) for r in table.rows]
    assert rows[0].line == 5 and rows[1].line == 8 and len(rows) == 62
    assert stream.blank_lines == table.blank_lines == 2


def test_an_unreadable_row_is_still_reported_before_a_missing_address_column(
        tmp_path: Path) -> None:
    # The column problem is found from the first rows, the quote only at line 80: reading
    # row by row must not change which error the person sees first.
    path = tmp_path / "parents.csv"
    path.write_text("Name,Phone\n" + "".join(f"P{i},0{i}\n" for i in range(78))
                    + 'Q,"never closed\nR,1\n', encoding="utf-8")
    with pytest.raises(ListError) as info:
        read_list(path)
    assert info.value.line == 80
    assert "a quoted field opens on this line and is never closed" in info.value.message


def test_repeated_names_and_years_are_one_string_each(tmp_path: Path) -> None:
    path = tmp_path / "parents.csv"
    path.write_text("Pupil Forename,Year,Contact Title,Contact Surname,Email\n"
                    "Amy,Year 7,Mrs,Khan,a@example.com\n"
                    "Amy,Year 7,Mrs,Khan,b@example.com\n", encoding="utf-8")
    first, second = read_list(path).recipients
    assert first.children[0] == second.children[0]
    assert first.children[0].year is second.children[0].year
    assert first.carers[0].surname is second.carers[0].surname
    assert first.fields()["greeting"] == "Dear Mrs Khan"
    assert first.email == "a@example.com" and first.display_email == "a@example.com"
