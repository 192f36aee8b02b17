"""Reading a list line by line (no second copy of a large file in memory) splits lines
exactly as the csv module expects: CRLF, LF and lone CR, with quoted line breaks kept."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mailer.recipients import _lines, read_list


@given(st.text(alphabet="ab,\"\r\n\x85\u2028\x0b ", max_size=60))
def test_lines_match_stringio(text: str) -> None:
    assert list(_lines(text)) == io.StringIO(text, newline="").readlines()


def test_cr_only_file_with_quoted_line_break(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes((
        "Email,Contact Forename,Contact Surname,Pupil Forename\r"
        "a@example.com,Ann,\"Lee\rJones\",Amy\r"
        "b@example.com,Bob,Brown,Ben\u2028x\r"
        "c@example.com,Cat,Caf\u00e9,Cy\r"
    ).encode("utf-8"))
    report = read_list(path)
    assert [r.email for r in report.recipients] == [
        "a@example.com", "b@example.com", "c@example.com"]
    assert report.recipients[0].carers[0].surname == "Lee\rJones"
    assert report.recipients[1].children[0].forename == "Ben\u2028x"
    assert [r.line for r in report.rows] == [3, 4, 5]
