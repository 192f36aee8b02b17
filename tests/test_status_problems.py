"""``mailer status CAMPAIGN --problems FILE.csv``: the parents not sent, as a CSV file
Excel opens as it is (UTF-8 with a byte-order mark, CRLF)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.sendkit import SNIPPET, FakeClock, run_cli
from tests.smtp_server import RecordingHandler
from tests.test_send_faults import plain_server, send

LIST = "lists/example-parents.csv"


def test_problems_file_lists_pupil_line_address_reason_and_what_to_do(
        workspace: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    handler = RecordingHandler(rcpt_replies={
        "sadia.khan@example.com": "550 5.1.1 The email account that you tried to reach does "
                                  "not exist.",
        "imran.khan@example.com": "450 4.2.0 mailbox busy"})
    with plain_server(workspace, handler):
        summary = send(workspace, LIST, FakeClock())
    assert (summary.failed, summary.deferred) == (1, 1)
    monkeypatch.chdir(workspace)
    out = workspace / "problems.csv"
    result = run_cli(capsys, "status", f"{SNIPPET}--example-parents", "--problems", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote 2 parents not sent to {out}." in result.stdout
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    # The same columns as `mailer lists check --problems`: one shape for the office.
    assert rows[0] == ["Line", "Pupil", "Parent/carer", "Address as typed", "Problem",
                       "What to do"]
    by_address = {r[3]: r for r in rows[1:]}
    assert set(by_address) == {"sadia.khan@example.com", "imran.khan@example.com"}
    failed = by_address["sadia.khan@example.com"]
    assert failed[1] == "Amy Khan (Year 3, 3K); Ben Khan (Year 5, 5W)"
    assert failed[0] == "2, 3"
    assert failed[4].startswith("failed: 550 5.1.1 The email account")
    assert "--retry-failed" in failed[5]
    deferred = by_address["imran.khan@example.com"]
    assert deferred[0] == "4, 5" and deferred[4] == "deferred: 450 4.2.0 mailbox busy"
    assert "run the same send command again later" in deferred[5].lower()


def test_problems_file_escapes_a_cell_excel_would_run_as_a_formula(
        workspace: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pupil's name typed as a formula (CSV injection, OWASP) is written as text."""
    lst = workspace / LIST
    lst.write_text(lst.read_text(encoding="utf-8-sig").replace("Amy", "=HYPERLINK(1)"),
                   encoding="utf-8")
    handler = RecordingHandler(rcpt_replies={
        "sadia.khan@example.com": "550 5.1.1 The email account that you tried to reach does "
                                  "not exist."})
    monkeypatch.chdir(workspace)
    with plain_server(workspace, handler):
        send(workspace, LIST, FakeClock())
    out = workspace / "problems.csv"
    result = run_cli(capsys, "status", f"{SNIPPET}--example-parents", "--problems", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    (row,) = [r for r in rows[1:] if r[3] == "sadia.khan@example.com"]
    assert row[1].startswith("'=HYPERLINK(1) Khan")


def test_problems_needs_a_campaign(workspace: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    result = run_cli(capsys, "status", "--problems", "p.csv")
    assert result.returncode == 2
    assert "--problems needs the campaign's name" in result.stderr
