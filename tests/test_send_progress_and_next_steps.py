"""While ``mailer send`` runs and after: the wait for a retry is announced, the progress bar
and its rate, the words for uncertain parents and those left by earlier runs, and what to do
next."""

from __future__ import annotations

import io
from pathlib import Path

from mailer.engine import EngineSettings
from mailer.progress import BarProgress, LineProgress
from mailer.sending import SendRequest, prepare_send, run_send
from mailer.sendwords import stop_words, time_words
from mailer.workspace import Workspace
from tests.conftest import set_smtp
from tests.sendkit import SNIPPET, FakeClock, write_list
from tests.smtp_server import RecordingHandler, SmtpServer


def plain_server(ws: Path, handler: RecordingHandler) -> SmtpServer:
    """A plain-text server on 127.0.0.1, set in mailer.yaml."""
    server = SmtpServer(handler=handler)
    set_smtp(ws, host="127.0.0.1", port=server.port, security="none", timeout_s=5)
    return server


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


def test_uncertain_reply_words_and_earlier_runs_are_labelled(mailer, workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 3)
    dropped = addrs[1]
    handler = RecordingHandler(drop_in_data={dropped: 1})
    words = ("uncertain: the message may have arrived (mailer was stopped, or the "
             "connection dropped, before the server confirmed it)")
    with plain_server(workspace, handler):
        first = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        again = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    status = mailer("status", f"{SNIPPET}--parents")
    assert f"  {dropped}: {words}" in first.stdout
    assert "From earlier runs:" not in first.stdout
    lines = again.stdout.splitlines()
    assert lines[0].startswith("Done: 0 sent") and "0 uncertain" in lines[0]
    assert lines[1:] == ["From earlier runs:", f"  {dropped}: {words}"]
    assert (f"{dropped}: mailer was stopped, or the connection dropped, before the server "
            "confirmed it") in again.stderr
    assert f"uncertain {dropped}: the message may have arrived (mailer was stopped, or" \
        in status.stdout
    for text in (first.stdout, again.stdout, again.stderr, status.stdout):
        assert "0 data sent" not in text and "awaiting reply" not in text
        assert f"{dropped}:  " not in text


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
    from mailer.sendwords import rate_words

    assert rate_words(1, 100.0, 100.2) == ""
    assert rate_words(2, 100.0, 105.0) == "12/min"
    assert rate_words(13, 100.0, 160.0) == "12/min"
    assert rate_words(3, None, 160.0) == ""


def test_a_stop_text_that_is_a_sentence_is_not_given_two_full_stops() -> None:
    """A busy server's words are a sentence of their own; in brackets they lose its full
    stop, never ending "...busy).).". (Found by a tester: a 421 at the greeting.)"""
    from mailer.outcome import SendSummary, StopReason

    busy = "the server 127.0.0.1:8027 is not taking messages right now (421 4.3.2 busy)."
    for reason in (StopReason.THROTTLED, StopReason.CONNECTION, StopReason.DISK,
                   StopReason.REFUSED, StopReason.DAILY_CAP):
        words = stop_words(SendSummary(campaign="c", transport="smtp", pending=15,
                                       stopped=reason, stop_text=busy,
                                       resume_command="mailer send again"))
        assert ".)." not in words and ".." not in words.replace("...", ""), words
        assert "(421 4.3.2 busy)" in words
