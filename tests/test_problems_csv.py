"""The shared problems CSV writer (mailer/lists/problems.py)."""

from __future__ import annotations

import csv
import os
import stat

import pytest

from mailer.errors import MailerError
from mailer.lists.problems import PROBLEM_COLUMNS, ProblemRow, write_problems_csv


def test_bom_header_rows_and_formula_cells(tmp_path):
    out = tmp_path / "problems.csv"
    n = write_problems_csv(out, [
        ProblemRow(4, "Zoë Brontë", "Mrs Ann O'Hara", "=HYPERLINK(\"x\")", "bad", "fix"),
        ProblemRow(None, "", "", "a@b\r\nc", "two\nlines", "do"),
    ])
    assert n == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfLine,Pupil,")
    assert b"\r\n" in raw
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == PROBLEM_COLUMNS
    assert rows[1] == ["4", "Zoë Brontë", "Mrs Ann O'Hara", "'=HYPERLINK(\"x\")", "bad", "fix"]
    assert rows[2] == ["", "", "", "a@b c", "two lines", "do"]
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_missing_folder_and_folder_as_target(tmp_path):
    with pytest.raises(MailerError, match="does not exist"):
        write_problems_csv(tmp_path / "nope" / "p.csv", [])
    with pytest.raises(MailerError, match="is a folder"):
        write_problems_csv(tmp_path, [])
    assert list(tmp_path.iterdir()) == []


def test_problems_never_overwrites_the_parent_list_or_another_file(workspace) -> None:
    """``lists check LIST --problems LIST`` overwrote the parent list with the problems
    (found by trying it): a file that is not a problems list mailer wrote is refused."""
    from tests.conftest import run_mailer

    parents = workspace / "lists" / "example-parents.csv"
    before = parents.read_bytes()
    notes = workspace / "notes.txt"
    notes.write_text("keep me\n", encoding="utf-8")
    for target, words in ((parents, "not a problems list mailer wrote"),
                          (notes, "is a .csv file")):
        result = run_mailer("lists", "check", "lists/example-parents.csv", "--problems",
                            str(target), cwd=workspace)
        assert result.returncode == 2, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr
    assert parents.read_bytes() == before
    assert notes.read_text(encoding="utf-8") == "keep me\n"
    # A problems list mailer wrote may be written again (the same command run twice).
    fix = workspace / "fix.csv"
    for _ in range(2):
        again = run_mailer("lists", "check", "lists/example-parents.csv", "--problems",
                           str(fix), cwd=workspace)
        assert again.returncode == 0, again.stderr
    assert fix.read_text(encoding="utf-8-sig").startswith("Line,Pupil,Parent/carer")
