"""Writing to the outbox folder is looking, not sending: every word about it (the progress
line, the summary, a proof, ``status``) says "written to the outbox folder, not emailed",
never "sent"; the journal keeps the state ``written``, and a journal from before that
state existed is read the same way."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from mailer.journal import Journal, journal_path
from mailer.outcome import State
from tests.conftest import run_mailer
from tests.sendkit import SNIPPET, journal_states, write_list

WRITTEN = "written to the outbox folder, not emailed"


def test_the_progress_line_of_an_outbox_run_says_written_not_sent(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 15)
    result = run_mailer("send", SNIPPET, "--list", list_arg, cwd=workspace)
    assert result.returncode == 0, result.stderr
    progress = [line.strip() for line in result.stderr.splitlines() if " done: " in line]
    assert progress == [f"15 of 15 done: 15 {WRITTEN}, 0 failed, 0 deferred, 0 uncertain"]
    assert " sent" not in result.stderr.replace("Nothing was sent", "")
    assert "Done: 15 written to the outbox folder (not emailed)" in result.stdout
    assert " sent" not in result.stdout
    states = journal_states(workspace, f"{SNIPPET}--parents")
    assert set(states.values()) == {State.WRITTEN}


def test_a_proof_written_to_the_outbox_is_not_called_sent(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    result = run_mailer("send", SNIPPET, "--list", list_arg, "--test-to", "dsl@example.com",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert f"Test message to dsl@example.com {WRITTEN}: open it from " \
        f"{workspace / 'outbox'}/proofs/new\n" in result.stdout
    assert "250" not in result.stdout  # no made-up server reply: there was no server
    assert "sent" not in result.stdout


def test_a_journal_from_before_the_written_state_reads_outbox_rows_as_written(
        workspace: Path) -> None:
    """A journal of schema version 1 kept an outbox write as ``sent`` in a campaign whose
    transport is ``outbox``; opening it moves those rows to ``written`` (and leaves a
    server's ``sent`` alone), so status and the next run read it right."""
    path = journal_path(workspace / ".mailer")
    path.parent.mkdir(mode=0o700)
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE campaigns (name TEXT PRIMARY KEY, snippet TEXT NOT NULL,
            list_path TEXT NOT NULL, list_hash TEXT NOT NULL, content_hash TEXT NOT NULL,
            transport TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
        CREATE TABLE recipients (
            campaign TEXT NOT NULL REFERENCES campaigns(name) ON DELETE CASCADE,
            email TEXT NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'sent', 'deferred', 'failed', 'uncertain')),
            code INTEGER NOT NULL DEFAULT 0, reply TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0, message_id TEXT, first_attempt REAL,
            last_attempt REAL, PRIMARY KEY (campaign, email));
        CREATE TABLE submissions (at REAL NOT NULL, campaign TEXT);
        CREATE INDEX submissions_at ON submissions(at);
        INSERT INTO campaigns VALUES ('looked', 's', 'l.csv', 'h', 'c', 'outbox', 1.0, 2.0);
        INSERT INTO campaigns VALUES ('emailed', 's', 'l.csv', 'h', 'c', 'smtp mail.example',
                                      1.0, 2.0);
        INSERT INTO recipients (campaign, email, state, code, reply, attempts) VALUES
            ('looked', 'a@example.com', 'sent', 250, 'written to outbox as 1', 1),
            ('looked', 'b@example.com', 'deferred', 0, 'disk full', 1),
            ('emailed', 'a@example.com', 'sent', 250, 'OK', 1),
            ('emailed', 'c@example.com', 'failed', 550, '5.1.1 no such user', 1);
        PRAGMA user_version=1;
    """)
    db.commit()
    db.close()
    with Journal(path, create=False) as journal:
        assert journal.states("looked") == {"a@example.com": State.WRITTEN,
                                            "b@example.com": State.DEFERRED}
        assert journal.states("emailed") == {"a@example.com": State.SENT,
                                             "c@example.com": State.FAILED}
        (failed,) = journal.recipients("emailed", [State.FAILED])
        assert (failed.code, failed.reply, failed.outcome.enhanced) == (
            550, "5.1.1 no such user", "5.1.1")
    with Journal(path, create=False) as journal:  # opened again: nothing more to do
        assert journal.counts("looked")["written"] == 1
    status = run_mailer("status", "looked", "--json", cwd=workspace)
    assert status.returncode == 0, status.stderr
    counts = json.loads(status.stdout)["counts"]
    assert (counts["sent"], counts["written"], counts["deferred"]) == (0, 1, 1)
    words = run_mailer("status", cwd=workspace)
    assert f"looked: 2 recipients: 0 pending, 1 {WRITTEN}, 1 deferred" in words.stdout
    assert "emailed: 2 recipients: 0 pending, 1 sent, 0 deferred, 1 failed" in words.stdout


def test_an_outbox_campaign_run_again_says_written_not_sent(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    first = run_mailer("send", SNIPPET, "--list", list_arg, cwd=workspace)
    assert first.returncode == 0, first.stderr
    again = run_mailer("send", SNIPPET, "--list", list_arg, cwd=workspace)
    assert again.returncode == 0, again.stderr
    text = again.stdout + again.stderr
    assert ("Nothing to send: 3 of 3 recipients of campaign "
            f"{SNIPPET}--parents were written to the outbox folder before (not emailed)") in text
    assert "were sent before" not in text
