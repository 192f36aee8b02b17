"""A CSV list changed on disk while mailer reads it: the rows are read from the file again
after its bytes were checked, so a change in between must be refused in words (exit 2,
nothing sent), never read as a mix of the two versions. Real files, no mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.errors import ListError
from mailer.lists.table import open_table

HEADER = "Pupil Forename,Pupil Surname,Year,Contact Forename,Contact Surname,Email\r\n"


def _list(domain: str, rows: int = 20_000) -> bytes:
    lines = [f"P{i},Nowak,Year {i % 7 + 1},Zofia,Wójcik,p{i}@{domain}\r\n" for i in range(rows)]
    return (HEADER + "".join(lines)).encode("utf-8")


def _rows(stream) -> list[list[str]]:
    return [raw.cells for raw in stream.rows()]


@pytest.mark.parametrize("second", [
    _list("exbmple.com"),            # the same size: only the content says it changed
    _list("example.com", 12_000),    # cut short, as a half-written export is
    _list("example.com") + _list("example.com", 50)[len(HEADER):],  # grown
], ids=["same-size", "shorter", "longer"])
def test_a_list_rewritten_while_it_is_read_is_refused_or_read_as_checked(
        tmp_path: Path, second: bytes) -> None:
    path = tmp_path / "parents.csv"
    first = _list("example.com")
    path.write_bytes(first)
    expected = _rows(open_table(path))
    assert len(expected) == 20_000

    stream = open_table(path)  # checked, header read
    path.write_bytes(second)   # rewritten in place (same file) before the rows are read
    try:
        got = _rows(stream)
    except ListError as exc:
        assert "changed" in str(exc) and "parents.csv" in str(exc)
    else:
        assert got == expected  # the version that was checked, never a mix


def test_an_unchanged_list_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "parents.csv"
    path.write_bytes(_list("example.com", 3_000))
    rows = _rows(open_table(path))
    assert len(rows) == 3_000
    assert rows[-1] == ["P2999", "Nowak", "Year 4", "Zofia", "Wójcik", "p2999@example.com"]
