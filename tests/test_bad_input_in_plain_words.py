"""Bad input an office makes, told in plain words through the command line (``python -m
mailer`` in a workspace, lists written as Excel saves them: UTF-8 with a byte-order mark,
CRLF, quoted cells): a huge cell, a date that does not exist, a YAML list entry, the
workspace option given mailer.yaml, no postal address, a list that reaches nobody."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_mailer
from tests.sendkit import SNIPPET, excel_csv


def assert_plain_error(result, *words: str) -> None:
    """Exit 2, one plain ``Error:`` line holding ``words``, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for w in words:
        assert w in result.stderr, result.stderr


HEADER = ["Pupil Forename", "Pupil Surname", "Contact Forename", "Contact Surname", "Email",
          "Notes"]


# --- a 300 KB cell -----------------------------------------------------------------------

def test_a_300_kb_cell_is_named_by_file_line_and_column(workspace: Path) -> None:
    path = excel_csv(workspace / "lists" / "export.csv", [
        HEADER,
        ["Amy", "Khan", "Sadia", "Khan", "sadia@example.com", "two\r\nlines"],
        ["Ben", "Lee", "Wei", "Lee", "wei@example.com", "x" * 300_000],
        ["Cal", "Ode", "Ada", "Ode", "ada@example.com", ""],
    ])
    result = run_mailer("lists", "check", "lists/export.csv", cwd=workspace)
    # The big cell is on line 4: the quoted note on line 2 spans two lines.
    assert_plain_error(result, f"{path}, line 4: the cell in column F ('Notes') is over "
                               "131,072 characters long", "save the list again")
    assert "field larger than field limit" not in result.stderr
    sent = run_mailer("send", SNIPPET, "--list", "lists/export.csv", "--yes", cwd=workspace)
    assert_plain_error(sent, "line 4", "column F ('Notes')")
    assert not (workspace / "outbox").exists()


def test_an_unclosed_quote_is_still_told_as_an_unclosed_quote(workspace: Path) -> None:
    """Past 131,072 characters an unclosed quote also trips the csv module's limit: it is
    still reported where the quote opens, not as a big cell."""
    path = workspace / "lists" / "broken.csv"
    path.write_text("Email,Notes\r\na@example.com,\"never closed\r\n"
                    + "b@example.com,ok\r\n" * 20_000, encoding="utf-8")
    result = run_mailer("lists", "check", "lists/broken.csv", cwd=workspace)
    assert_plain_error(result, f"{path}, line 2: a quoted field opens on this line")


# --- dates that do not exist -----------------------------------------------------------

@pytest.mark.parametrize(("key", "value", "reason"), [
    ("reviewed", "2026-02-31", "February 2026 has 28 days"),
    ("reviewed", "2028-02-30", "February 2028 has 29 days"),
    ("date", "2026-13-01", "there is no month 13 (months go from 01 to 12)"),
    ("date", "2026-04-31", "April 2026 has 30 days"),
    ("date", "2026-06-00", "there is no day 00 (days start at 01)"),
])
def test_a_date_that_does_not_exist_says_why(workspace: Path, key: str, value: str,
                                             reason: str) -> None:
    path = workspace / "snippets" / f"{SNIPPET}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, text in enumerate(lines) if text.startswith(f"{key}:"))
    lines[number] = f"{key}: {value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_mailer("check", SNIPPET, cwd=workspace)
    assert_plain_error(result, f"{path}, line {number + 1}: '{key}' is {value}, which is "
                               f"not a real date: {reason}.")
    assert "YYYY-MM-DD" not in result.stderr


def test_a_date_in_another_shape_still_asks_for_yyyy_mm_dd(workspace: Path) -> None:
    path = workspace / "snippets" / f"{SNIPPET}.yaml"
    text = re.sub(r"(?m)^date: .*$", "date: 31/01/2026", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    result = run_mailer("render", SNIPPET, cwd=workspace)
    assert_plain_error(result, "'date' must be a date written as YYYY-MM-DD, not '31/01/2026'")


def test_the_editor_says_the_same_of_an_impossible_date() -> None:
    from mailer.preview.editor import _date_finding

    finding = _date_finding("2026-02-31", "reviewed", "review date", False)[0]
    assert finding.message == "2026-02-31 is not a real date: February 2026 has 28 days."


# --- YAML lists name the line ----------------------------------------------------------

def test_a_yaml_list_entry_that_is_not_name_value_lines_names_its_line(workspace: Path) -> None:
    path = workspace / "lists" / "parents.yaml"
    path.write_text("# Year 3 parents\n"
                    "- email: sadia@example.com\n"
                    "  child: Amy Khan\n"
                    "- wei@example.com\n"
                    "- email: ada@example.com\n", encoding="utf-8")
    result = run_mailer("lists", "check", "lists/parents.yaml", cwd=workspace)
    assert_plain_error(result, f"{path}, line 4: entry 2 of the list is not a set of "
                               "'name: value' lines")


def test_a_yaml_list_with_no_address_names_the_first_entry(workspace: Path) -> None:
    path = workspace / "lists" / "parents.yaml"
    path.write_text("\n\n- name: Sadia Khan\n  contact: sadia@example.com\n",
                    encoding="utf-8")
    result = run_mailer("lists", "check", "lists/parents.yaml", cwd=workspace)
    assert_plain_error(result, f"{path}, line 3: no column of email addresses was found")


# --- --workspace given mailer.yaml -------------------------------------------------------

def test_workspace_option_accepts_the_mailer_yaml_file(workspace: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_mailer("-w", str(workspace / "mailer.yaml"), "lists", "check",
                        "example-parents", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "15 recipients" in result.stdout
    relative = run_mailer("--workspace", "ws/mailer.yaml", "check", SNIPPET, cwd=tmp_path)
    assert relative.returncode == 0, relative.stderr
    assert "mailer.yaml/mailer.yaml" not in relative.stderr


def test_workspace_option_given_another_file_asks_for_the_folder(workspace: Path) -> None:
    result = run_mailer("-w", "lists/example-parents.csv", "snippets", cwd=workspace)
    assert_plain_error(result, "--workspace takes a folder (the one holding mailer.yaml), "
                               "but 'lists/example-parents.csv' is a file. Did you mean "
                               f"--workspace {workspace}?")


# --- no postal address -------------------------------------------------------------------

def _drop_postal_address(ws: Path) -> None:
    path = ws / "mailer.yaml"
    text = path.read_text(encoding="utf-8")
    assert "postal_address:" in text
    path.write_text(re.sub(r"(?m)^\s+postal_address:.*\n", "", text), encoding="utf-8")


def test_check_reports_a_missing_postal_address(workspace: Path) -> None:
    _drop_postal_address(workspace)
    result = run_mailer("check", SNIPPET, "--json", cwd=workspace)
    assert result.returncode == 1, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["id"] == "F1"]
    assert found and found[0]["severity"] == "error"
    assert "organisation.postal_address is missing" in found[0]["message"]


def test_send_refuses_without_a_postal_address(workspace: Path) -> None:
    _drop_postal_address(workspace)
    result = run_mailer("send", SNIPPET, "--list", "lists/example-parents.csv", "--yes",
                        cwd=workspace)
    line = (workspace / "mailer.yaml").read_text(encoding="utf-8").splitlines().index(
        "organisation:") + 1
    assert_plain_error(result, f"{workspace / 'mailer.yaml'}, line {line}: "
                               "organisation.postal_address is missing", "Nothing was sent.")
    assert not (workspace / "outbox").exists()


# --- a list that reaches nobody ----------------------------------------------------------

def test_lists_check_exits_2_when_no_row_gives_a_recipient(workspace: Path) -> None:
    excel_csv(workspace / "lists" / "bad.csv", [
        HEADER,
        ["Amy", "Khan", "Sadia", "Khan", "", ""],
        ["Ben", "Lee", "Wei", "Lee", "wei at example.com", ""],
    ])
    result = run_mailer("lists", "check", "lists/bad.csv", cwd=workspace)
    assert_plain_error(result, "none of the 2 data rows gave a recipient (see the rows left "
                               "out above), so a send would reach nobody")
    assert "line 3: invalid" in result.stdout  # the row-by-row report is still there
    as_json = run_mailer("lists", "check", "lists/bad.csv", "--json", cwd=workspace)
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["recipients"] == 0
    filtered = run_mailer("lists", "check", "example-parents", "--where", "year=Year 12",
                          cwd=workspace)
    assert_plain_error(filtered, "or the --where filter")
    good = run_mailer("lists", "check", "example-parents", cwd=workspace)
    assert good.returncode == 0, good.stderr
