"""Fixes found by QA in ``mailer send`` / ``mailer status``: the words after a refusal, a
wait, a dry run with a proof, a closed terminal, a purge, and the exit statuses."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.campaign import stop_words, time_words
from mailer.engine import EngineSettings
from mailer.progress import BarProgress, LineProgress
from mailer.sending import SendRequest, prepare_send, run_send
from mailer.workspace import Workspace
from tests.conftest import set_smtp
from tests.sendkit import SNIPPET, FakeClock, journal_states, write_list
from tests.smtp_server import RecordingHandler, SmtpServer, free_port


def plain_server(ws: Path, handler: RecordingHandler) -> SmtpServer:
    """A plain-text server on 127.0.0.1, set in mailer.yaml."""
    server = SmtpServer(handler=handler)
    set_smtp(ws, host="127.0.0.1", port=server.port, security="none", timeout_s=5)
    return server


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_530_authentication_required_says_to_log_in(mailer, workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    # The server requires AUTH; mailer.yaml has no smtp.username, so mailer does not log in
    # and the server answers MAIL FROM with "530 5.7.0 Authentication required".
    with SmtpServer(users={"office": "pw"}, auth_require_tls=False) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        received = list(server.received)
    assert result.returncode == 2
    assert received == []
    assert ("the server needs you to log in: set smtp.username in mailer.yaml (and the "
            "password in MAILER_SMTP_PASSWORD)") in result.stderr
    assert "Check sender.from" not in result.stderr
    assert "will not send as" not in result.stderr
    states = journal_states(workspace, f"{SNIPPET}--parents")
    assert "failed" not in {s.value for s in states.values()}

    # The proof gets the same advice.
    with SmtpServer(users={"office": "pw"}, auth_require_tls=False) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        proof = mailer("send", SNIPPET, "--list", list_arg, "--test-to", "dsl@example.com")
        received = list(server.received)
    assert proof.returncode == 2 and received == []
    assert "the server needs you to log in: set smtp.username" in proof.stderr


def test_waiting_for_a_retry_is_announced_and_the_end_gives_next_steps(
        mailer, workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 4)
    handler = RecordingHandler(
        rcpt_replies={addrs[1]: "450 4.2.0 mailbox busy", addrs[2]: "550 5.1.1 no such user"})
    clock = FakeClock()
    stream = io.StringIO()
    with plain_server(workspace, handler):
        req = SendRequest(SNIPPET, list_arg)
        with prepare_send(Workspace(workspace), req) as prepared:
            summary = run_send(prepared, password=None, resume_command="mailer send again",
                               progress=lambda n: LineProgress(n, stream), clock=clock,
                               settings=EngineSettings(max_attempts=3, backoff_s=(60.0, 300.0)),
                               handle_signals=False)
    out = stream.getvalue()
    first = clock._wall0 + 60  # the first retry, a minute after the start
    assert (f"Waiting until {time_words(first)} to try 1 parent again (the server said: "
            "450 4.2.0 mailbox busy). Press Ctrl-C to stop safely: nobody is sent twice, and "
            "the same command carries on later.") in out
    assert out.count("Waiting until") == 2  # once per wait (60 s, then 300 s)
    assert summary.stopped is None and summary.deferred == 1 and summary.failed == 1
    words = stop_words(summary)
    assert "1 parent was deferred" in words and "\n  mailer send again\n" in words
    assert "--retry-failed tries it again:\n  mailer send again --retry-failed" in words


def test_dry_run_with_test_to_is_refused_and_sends_nothing(mailer, workspace: Path) -> None:
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", "lists/example-parents.csv", "--dry-run",
                        "--test-to", "dsl@hollybank.example.sch.uk")
        received = list(server.received)
    assert result.returncode == 2
    assert "choose one" in result.stderr and "Traceback" not in result.stderr
    assert received == []


def test_purge_asks_first_and_needs_yes_without_a_terminal(mailer, workspace: Path) -> None:
    assert mailer("send", SNIPPET, "--list", "lists/example-parents.csv").returncode == 0
    name = f"{SNIPPET}--example-parents"
    refused = mailer("status", name, "--purge")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert len(journal_states(workspace, name)) == 15  # nothing was deleted

    # On a terminal the question comes first; answering n keeps the records.
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    proc = subprocess.Popen([sys.executable, "-m", "mailer", "status", name, "--purge"],
                            cwd=workspace, env=env, stdin=slave, stderr=slave,
                            stdout=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while b"[y/N]" not in seen:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, seen
            seen += os.read(master, 4096)
        os.write(master, b"n\n")
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = " ".join(seen.decode().split())
    assert (f"Delete the records of campaign {name} (15 parents, 15 written to the outbox "
            "folder)? Sending it again would send to everyone again. [y/N]") in text
    assert proc.returncode == 0
    assert len(journal_states(workspace, name)) == 15

    deleted = mailer("status", name, "--purge", "--yes")
    assert deleted.returncode == 0 and "15 recipient records" in deleted.stdout


def test_uncertain_reply_words_and_earlier_runs_are_labelled(mailer, workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 3)
    dropped = addrs[1]
    handler = RecordingHandler(drop_in_data={dropped: 1})
    words = ("uncertain: the message may have arrived (the connection dropped before the "
             "server confirmed)")
    with plain_server(workspace, handler):
        first = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        again = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    status = mailer("status", f"{SNIPPET}--parents")
    assert f"  {dropped}: {words}" in first.stdout
    assert "From earlier runs:" not in first.stdout
    lines = again.stdout.splitlines()
    assert lines[0].startswith("Done: 0 sent") and "0 uncertain" in lines[0]
    assert lines[1:] == ["From earlier runs:", f"  {dropped}: {words}"]
    assert f"{dropped}: the connection dropped before the server confirmed" in again.stderr
    assert f"uncertain {dropped}: the message may have arrived (the connection dropped" \
        in status.stdout
    for text in (first.stdout, again.stdout, again.stderr, status.stdout):
        assert "0 data sent" not in text and "awaiting reply" not in text
        assert f"{dropped}:  " not in text


def test_nothing_answering_is_plain_words_and_leaves_no_campaign(mailer,
                                                                workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    port = free_port()  # nothing listens there
    set_smtp(workspace, host="127.0.0.1", port=port, security="none")
    result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 2
    assert (f"Error: cannot connect to 127.0.0.1:{port}: nothing is answering there. Check "
            "smtp.host and smtp.port, and that this computer is online.") in result.stderr
    assert "[Errno" not in result.stderr
    status = mailer("status")
    assert "parents" not in status.stdout, "a setup that failed leaves no campaign behind"


@pytest.mark.parametrize(("security", "port"), [("tls", 587), ("starttls", 465)])
def test_security_that_does_not_suit_the_port_gets_a_hint(mailer, workspace: Path,
                                                          security: str, port: int) -> None:
    list_arg, _ = write_list(workspace, 2)
    set_smtp(workspace, host="127.0.0.1", port=port, security=security, timeout_s=5)
    result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 2
    assert f"cannot connect to 127.0.0.1:{port}" in result.stderr
    assert "Port 587 uses starttls, 465 uses tls" in result.stderr
    proof = mailer("send", SNIPPET, "--list", list_arg, "--test-to", "dsl@example.com")
    assert proof.returncode == 2 and "Port 587 uses starttls, 465 uses tls" in proof.stderr


def test_missing_ca_file_is_reported_at_config_load_with_its_line(mailer,
                                                                  workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    set_smtp(workspace, host="127.0.0.1", port=free_port(), security="starttls",
             ca_file="certs/missing-ca.pem")
    line = next(i for i, text in enumerate(
        (workspace / "mailer.yaml").read_text().splitlines(), 1) if "ca_file" in text)
    result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 2
    assert f"mailer.yaml, line {line}: smtp.ca_file: there is no file" in result.stderr
    assert "missing-ca.pem" in result.stderr
    assert "Campaign:" not in result.stderr, "reported before the summary"


def test_the_progress_bar_shows_what_it_waits_for() -> None:
    stream = io.StringIO()
    with BarProgress(15, stream) as bar:
        bar.waiting(1_800_000_000.0, 1, "450 4.2.0 mailbox busy")
    text = " ".join(stream.getvalue().split())
    assert (f"Waiting until {time_words(1_800_000_000.0)} to try 1 parent again (the server "
            "said: 450 4.2.0 mailbox busy). Press Ctrl-C to stop safely: nobody is sent twice, "
            "and the same command carries on later.") in text


def test_the_progress_rate_is_the_pacing_in_use() -> None:
    """With a limit of 12 a minute a message goes every 5 s: the bar says 12/min (it said
    60/min after the first message, counting from the start with a one-second floor)."""
    from mailer.progress import rate_words

    assert rate_words(1, 100.0, 100.2) == ""
    assert rate_words(2, 100.0, 105.0) == "12/min"
    assert rate_words(13, 100.0, 160.0) == "12/min"
    assert rate_words(3, None, 160.0) == ""
