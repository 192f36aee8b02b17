"""Small defects outside testers found after issues 11, 13 and 16, each through the command
line as a person runs it (``python -m mailer`` in a workspace), with lists written as Excel
saves them (UTF-8 with a byte-order mark, CRLF line ends, quoted cells)."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from lxml import html as lxml_html

from mailer.journal import Journal, journal_path
from tests.conftest import run_mailer, set_smtp
from tests.sendkit import SNIPPET
from tests.smtp_server import RecordingHandler, SmtpServer


def excel_csv(path: Path, rows: list[list[str]]) -> Path:
    """Write ``rows`` as Excel's "CSV UTF-8" does: BOM, CRLF, quotes where needed."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return path


def assert_plain_error(result, *words: str) -> None:
    """Exit 2, one plain ``Error:`` line holding ``words``, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for w in words:
        assert w in result.stderr, result.stderr


HEADER = ["Pupil Forename", "Pupil Surname", "Contact Forename", "Contact Surname", "Email",
          "Notes"]


# --- 1. a 300 KB cell -----------------------------------------------------------------------

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


# --- 2. dates that do not exist -----------------------------------------------------------

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


# --- 3. YAML lists name the line ----------------------------------------------------------

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


# --- 4. --workspace given mailer.yaml -------------------------------------------------------

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


# --- 5. no postal address -------------------------------------------------------------------

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


# --- 6. a list that reaches nobody ----------------------------------------------------------

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


# --- 7. "(PDF)" in the email's language -------------------------------------------------------

def test_pdf_label_follows_the_translation(workspace: Path, tmp_path: Path) -> None:
    pdf = "https://www.childnet.com/ufiles/Video-chat-and-webcams1.pdf"
    for lang, label in (("pl", "(plik PDF)"), ("ar", "(ملف PDF)")):
        out = tmp_path / lang
        result = run_mailer("render", f"{SNIPPET}.{lang}", "--out", str(out), cwd=workspace)
        assert result.returncode == 0, result.stderr
        for name in ("email.html", "block.html"):
            doc = lxml_html.document_fromstring((out / name).read_text(encoding="utf-8"))
            words = next(a.text_content() for a in doc.iter("a") if a.get("href") == pdf)
            assert words.endswith(label), (name, words)
            assert "(PDF)" not in words
        assert label in (out / "email.txt").read_text(encoding="utf-8")
    english = tmp_path / "en"
    assert run_mailer("render", SNIPPET, "--out", str(english), cwd=workspace).returncode == 0
    doc = lxml_html.document_fromstring((english / "email.html").read_text(encoding="utf-8"))
    assert next(a.text_content() for a in doc.iter("a")
                if a.get("href") == pdf).endswith(" (PDF)")


def test_pdf_link_in_the_body_follows_the_translation(workspace: Path, tmp_path: Path) -> None:
    path = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    data = path.read_text(encoding="utf-8")
    data = data.replace("body: |\n", "body: |\n  Zobacz [poradnik dla rodziców]"
                        "(https://example.org/guide.PDF?v=2).\n\n", 1)
    assert "poradnik" in data
    path.write_text(data, encoding="utf-8")
    out = tmp_path / "pl"
    result = run_mailer("render", f"{SNIPPET}.pl", "--out", str(out), cwd=workspace)
    assert result.returncode == 0, result.stderr
    html = (out / "email.html").read_text(encoding="utf-8")
    assert re.search(r">poradnik dla rodziców \(plik PDF\)</a>", html)


# --- 8. status per language -----------------------------------------------------------------

FAMILIES = [
    ["Pupil Forename", "Pupil Surname", "Contact Forename", "Contact Surname", "Email",
     "Home Language"],
    ["Maja", "Kowalska", "Agnieszka", "Kowalska", "agnieszka@example.com", "Polish"],
    ["Jan", "Nowak", "Piotr", "Nowak", "piotr@example.com", "pl"],
    ["Zara", "Ahmed", "Fatima", "Ahmed", "fatima@example.com", "Arabic"],
    ["Amy", "Khan", "Sadia", "Khan", "sadia@example.com", "Urdu"],
    ["Ella", "Brown", "Laura", "Brown", "laura@example.com", "English"],
    ["Noah", "Evans", "Gareth", "Evans", "gareth@example.com", ""],
]


def test_status_counts_parents_per_language(workspace: Path) -> None:
    excel_csv(workspace / "lists" / "families.csv", FAMILIES)
    handler = RecordingHandler(rcpt_replies={"piotr@example.com": "550 5.1.1 No such user"})
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none",
                 timeout_s=5)
        sent = run_mailer("send", SNIPPET, "--list", "lists/families.csv", "--yes",
                          "--campaign", "term1", cwd=workspace)
    assert sent.returncode == 1, sent.stderr  # one parent failed
    result = run_mailer("status", "term1", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    languages = json.loads(result.stdout)["languages"]
    assert {tag: (v["name"], v["recipients"], v["sent"], v["failed"])
            for tag, v in languages.items()} == {
        "en": ("English", 3, 3, 0), "pl": ("Polish", 2, 1, 1), "ar": ("Arabic", 1, 1, 0)}
    assert list(languages) == ["en", "pl", "ar"]  # most parents first
    text = run_mailer("status", "term1", cwd=workspace).stdout
    table = [line.split() for line in text.splitlines() if line.startswith("  ")][1:]
    assert ["Language", "Parents", "Sent", "Not", "sent"] in table
    assert ["English", "3", "3", "0"] in table
    assert ["Polish", "2", "1", "1"] in table
    assert ["Arabic", "1", "1", "0"] in table
    overview = run_mailer("status", "--json", cwd=workspace)
    assert json.loads(overview.stdout)["campaigns"][0]["languages"] == languages
    assert "in English 3, Polish 2, Arabic 1" in run_mailer("status", cwd=workspace).stdout


def test_status_of_a_journal_from_before_languages_were_recorded(workspace: Path) -> None:
    """A journal written by an earlier mailer (no language column) still shows its
    campaigns; their parents' language is "not recorded"; a later send adds the column."""
    path = journal_path(workspace / ".mailer")
    with Journal(path) as journal:
        journal.start_campaign("old", snippet=SNIPPET, list_path="l.csv", list_hash="h",
                               content_hash="c", transport="outbox")
        journal.add_recipients("old", ["a@example.com", "b@example.com"])
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE recipients DROP COLUMN language")
    db.commit()
    db.close()
    result = run_mailer("status", "old", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["languages"] == {"": {
        "name": "not recorded", "recipients": 2, "pending": 2, "sent": 0, "written": 0,
        "deferred": 0, "failed": 0, "uncertain": 0}}
    columns = {row[1] for row in sqlite3.connect(path).execute(
        "PRAGMA table_info(recipients)")}
    assert "language" in columns


def test_status_shows_no_language_table_for_one_language(workspace: Path) -> None:
    cfg = yaml.safe_load((workspace / "mailer.yaml").read_text(encoding="utf-8"))
    assert "smtp" not in cfg or not cfg["smtp"].get("host")
    excel_csv(workspace / "lists" / "english.csv", [FAMILIES[0], FAMILIES[5], FAMILIES[6]])
    assert run_mailer("send", SNIPPET, "--list", "lists/english.csv", "--yes",
                      "--campaign", "en-only", cwd=workspace).returncode == 0
    text = run_mailer("status", "en-only", cwd=workspace).stdout
    assert "Language" not in text
    data = json.loads(run_mailer("status", "en-only", "--json", cwd=workspace).stdout)
    assert data["languages"]["en"]["written"] == 2
