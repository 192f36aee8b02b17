"""A new campaign's rows go into the journal while its list is read (before anything is
known to be right): whatever stops the send before its first message, nothing of the
campaign is recorded and the next run starts cleanly. Real processes (``python -m
mailer``), the real journal file, a real SIGKILL; the outbox folder as the destination."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailer.journal import Journal, journal_path
from tests.conftest import run_mailer
from tests.sendkit import SNIPPET, write_list


def _campaigns(ws: Path) -> dict[str, int]:
    """Campaign name -> its rows, as the journal holds them ({} when there is none)."""
    path = journal_path(ws / ".mailer")
    if not path.exists():
        return {}
    with Journal(path, create=False) as journal:
        return {c.name: sum(journal.counts(c.name).values()) for c in journal.campaigns()}


def _outbox(ws: Path) -> list[Path]:
    return sorted((ws / "outbox" / "new").glob("*")) if (ws / "outbox" / "new").exists() \
        else []


def test_a_template_mistake_after_the_list_was_read_records_nothing(workspace: Path) -> None:
    from tests.test_ahead import _break_template

    email_html = workspace / "templates" / "email.html"
    good = email_html.read_text(encoding="utf-8")
    line = _break_template(workspace)
    result = run_mailer("send", SNIPPET, "--list", "example-parents.csv", "--yes",
                        cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert f"email.html, line {line}:" in result.stderr
    assert _campaigns(workspace) == {} and _outbox(workspace) == []
    email_html.write_text(good, encoding="utf-8")
    result = run_mailer("send", SNIPPET, "--list", "example-parents.csv", "--yes",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert _campaigns(workspace) == {f"{SNIPPET}--example-parents": 15}
    assert len(_outbox(workspace)) == 15


def test_a_list_with_nobody_to_send_to_records_nothing(workspace: Path) -> None:
    lists = workspace / "lists"
    (lists / "class.csv").write_text("Email,Contact Forename\nnot-an-address,Ann\n",
                                     encoding="utf-8")
    result = run_mailer("send", SNIPPET, "--list", "class.csv", "--yes", cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert _campaigns(workspace) == {}
    (lists / "class.csv").write_text("Email,Contact Forename\nann@example.com,Ann\n",
                                     encoding="utf-8")
    result = run_mailer("send", SNIPPET, "--list", "class.csv", "--yes", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert _campaigns(workspace) == {f"{SNIPPET}--class": 1}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_kill_at_any_moment_of_the_start_leaves_all_rows_or_none(workspace: Path) -> None:
    """Killed while the list is read and its rows are written, or while they are
    committed, or as the first messages go: the journal then holds the campaign with
    every one of its rows, or nothing of it; never a part of the list."""
    list_arg, _ = write_list(workspace, 30000)
    name = f"{SNIPPET}--parents"
    seen: set[str] = set()
    for delay in (0.3, 0.5, 0.7, 0.9, 1.1, 1.4, 1.8):
        state = workspace / ".mailer"
        if state.exists():
            for child in state.iterdir():
                child.unlink()
        for message in _outbox(workspace):
            message.unlink()
        proc = subprocess.Popen([sys.executable, "-m", "mailer", "send", SNIPPET, "--list",
                                 list_arg, "--yes"], cwd=workspace,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        campaigns = _campaigns(workspace)
        assert campaigns in ({}, {name: 30000}), (delay, campaigns)
        seen.add("none" if not campaigns else "all")
    assert "none" in seen  # the earliest kills came before the commit


def test_a_snippet_named_by_its_translations_file_is_recorded_under_its_own_id(
        workspace: Path) -> None:
    """The campaign's name is guessed before the list is read, from the snippet as given;
    given by a translation's file name, the guess is wrong: its rows are undone and the
    campaign is recorded under the name it really has, every row once."""
    result = run_mailer("send", f"{SNIPPET}.pl", "--list", "example-parents.csv", "--yes",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert _campaigns(workspace) == {f"{SNIPPET}--example-parents": 15}
    assert len(_outbox(workspace)) == 15
