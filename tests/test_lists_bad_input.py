"""Bad lists: one- or two-sentence errors naming the file and line, exit 2 where nothing
can be sent, never a traceback, nothing sent."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from mailer.errors import ListError
from mailer.lists import read_list
from tests.conftest import run_mailer

FIXTURES = Path(__file__).parent / "fixtures" / "lists"


def list_error(path: Path) -> ListError:
    with pytest.raises(ListError) as info:
        read_list(path)
    return info.value


@pytest.mark.parametrize(("name", "line", "words"), [
    ("empty.csv", None, "the list file is empty (0 bytes)"),
    ("unclosed-quote.csv", 3, "a quoted field opens on this line and is never closed"),
    ("stray-quote.csv", 3, "this line cannot be read as CSV"),
    ("undecodable.csv", 3, "neither UTF-8 nor Windows-1252 text: byte 0x81 cannot be read"),
    ("mixed-encoding.csv", 3, "mixes two text encodings"),
    ("no-address-column.csv", 1, "no column of email addresses was found"),
])
def test_fixture_errors_name_file_and_line(name: str, line: int | None, words: str) -> None:
    err = list_error(FIXTURES / name)
    assert err.path == FIXTURES / name
    assert err.line == line
    assert words in err.message


def test_no_address_column_lists_columns_and_config_lines() -> None:
    err = list_error(FIXTURES / "no-address-column.csv")
    assert err.message == (
        "no column of email addresses was found. Columns in the file: 'Pupil', 'Parent', "
        "'Contact'. If 'Contact' holds the addresses, add to mailer.yaml:\n"
        "  lists:\n    columns:\n      email: [\"Contact\"]"
    )


def test_unclosed_quote_after_a_good_multiline_field(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text('Email,Note\na@example.com,"two\nlines"\nb@example.com,ok\n'
                    'c@example.com,ok\nd@example.com,"never closed\ne@example.com,x\n')
    assert list_error(path).line == 6


def test_blank_only_file_and_missing_file(tmp_path: Path) -> None:
    blank = tmp_path / "blank.csv"
    blank.write_text("\r\n  \r\n\r\n")
    assert "holds only blank lines" in list_error(blank).message
    missing = list_error(tmp_path / "nope.csv")
    assert missing.message == "the list file does not exist."


def test_spreadsheet_instead_of_csv(tmp_path: Path) -> None:
    path = tmp_path / "parents.csv"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert "this is an Excel workbook, not a CSV file" in list_error(path).message


def test_nul_bytes_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(b"Email\r\na@example.com\r\nb@exa\x00mple.com\r\n")
    err = list_error(path)
    assert err.line == 3 and "NUL bytes" in err.message


def test_utf16_excel_unicode_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("Email\tContact Title\tContact Surname\r\nm@example.org\tPan\tWałęsa\r\n"
                     .encode("utf-16"))
    report = read_list(path)
    assert report.encoding == "utf-16"
    assert [r.greeting for r in report.recipients] == ["Dear Pan Wałęsa"]


def test_yaml_that_is_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "l.yaml"
    path.write_text("email: a@example.com\n")
    err = list_error(path)
    assert "sequence of entries" in err.message and err.line == 1
    path.write_text("- email: a@example.com\n  child:\n    name: Amy\n")
    err = list_error(path)
    assert "nested section" in err.message and err.line == 2


# --- through the command line: exit status, one clear message, no traceback -----------


def copy_fixtures(ws: Path, *names: str) -> None:
    for name in names:
        shutil.copy(FIXTURES / name, ws / "lists" / name)


def nothing_sent(ws: Path) -> bool:
    new = ws / "outbox" / "new"
    return not new.exists() or not any(new.iterdir())


def assert_error(result, *needles: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


@pytest.mark.parametrize(("name", "needles"), [
    ("empty.csv", ["empty.csv: the list file is empty (0 bytes)"]),
    ("unclosed-quote.csv", ["unclosed-quote.csv, line 3: a quoted field opens"]),
    ("undecodable.csv", ["undecodable.csv, line 3: the file is neither UTF-8"]),
    ("no-address-column.csv", ["no-address-column.csv, line 1: no column of email",
                               '      email: ["Contact"]']),
])
def test_send_refuses_unreadable_lists(workspace: Path, name: str, needles: list[str]) -> None:
    copy_fixtures(workspace, name)
    result = run_mailer("send", "online-safety-webcams", "--list", f"lists/{name}",
                        cwd=workspace)
    assert_error(result, *needles)
    assert nothing_sent(workspace)


def test_lists_check_errors_too(workspace: Path) -> None:
    copy_fixtures(workspace, "stray-quote.csv")
    result = run_mailer("lists", "check", "lists/stray-quote.csv", cwd=workspace)
    assert_error(result, "stray-quote.csv, line 3: this line cannot be read as CSV")
    result = run_mailer("lists", "check", "lists/missing.csv", cwd=workspace)
    assert_error(result, "the list file 'lists/missing.csv' does not exist")


def test_header_only_is_refused_by_check_and_send(workspace: Path) -> None:
    copy_fixtures(workspace, "header-only.csv")
    check = run_mailer("lists", "check", "lists/header-only.csv", cwd=workspace)
    assert "header-only.csv: 0 data rows -> 0 recipients" in check.stdout
    assert_error(check, "header-only.csv: the list has a header line but no data rows, so "
                        "a send would reach nobody.")
    send = run_mailer("send", "online-safety-webcams", "--list", "lists/header-only.csv",
                      cwd=workspace)
    assert_error(send, "header-only.csv: the list has a header line but no data rows, so "
                       "nothing was sent.")
    assert nothing_sent(workspace)


def test_list_with_no_valid_row_refuses_send(workspace: Path) -> None:
    (workspace / "lists" / "bad.csv").write_text("Email\nnot-an-address\n\nx@y\n")
    send = run_mailer("send", "online-safety-webcams", "--list", "lists/bad.csv",
                      cwd=workspace)
    assert_error(send, "none of the 2 data rows gave a recipient")
    assert "line 2: invalid not-an-address" in send.stderr
    assert nothing_sent(workspace)


def test_bad_where_and_unknown_where_column(workspace: Path) -> None:
    result = run_mailer("lists", "check", "lists/example-parents.csv", "--where", "year",
                        cwd=workspace)
    assert_error(result, "--where 'year' must look like COLUMN=VALUE")
    result = run_mailer("send", "online-safety-webcams", "--list",
                        "lists/example-parents.csv", "--where", "colour=red", cwd=workspace)
    assert_error(result, "--where colour=red: the list has no column 'colour'",
                 "'Pupil Forename'")
    assert nothing_sent(workspace)


def test_unknown_field_in_lists_columns_names_the_config_line(workspace: Path) -> None:
    config = workspace / "mailer.yaml"
    config.write_text(config.read_text() + "lists:\n  columns:\n    emial: [Contact]\n")
    line = len(config.read_text().splitlines())
    result = run_mailer("lists", "check", "lists/example-parents.csv", cwd=workspace)
    assert_error(result, f"mailer.yaml, line {line}: lists.columns: 'emial' is not a field")


def test_configured_suppression_file_must_exist(workspace: Path) -> None:
    config = workspace / "mailer.yaml"
    config.write_text(config.read_text() + "lists:\n  suppression: lists/optouts.txt\n")
    result = run_mailer("send", "online-safety-webcams", "--list",
                        "lists/example-parents.csv", cwd=workspace)
    assert_error(result, "optouts.txt: the suppression list set in mailer.yaml")
    assert nothing_sent(workspace)
