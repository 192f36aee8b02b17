"""The sending engine against a real aiosmtpd server on 127.0.0.1 that injects faults.

In every test the server's received messages, counted by recipient, agree with the journal
(:func:`tests.sendkit.assert_agree`): ``sent`` exactly once, ``uncertain`` at most once,
everyone else never. Pacing and back-off run on a controlled clock, so nothing waits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.engine import EngineSettings
from mailer.errors import TransportError
from mailer.journal import Journal, journal_path
from mailer.outcome import State
from mailer.ratelimit import DAY_S
from mailer.sending import SendRequest, prepare_send, run_send
from mailer.workspace import Workspace
from tests.conftest import set_smtp
from tests.sendkit import SNIPPET, FakeClock, assert_agree, journal_states, write_list
from tests.smtp_server import LocalCA, RecordingHandler, SmtpServer

FAST = EngineSettings(max_attempts=3, backoff_s=(60.0, 300.0))


@pytest.fixture(params=[False, True], ids=["one-by-one", "pipelined"])
def pipelining(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run the test against a server without and with PIPELINING (RFC 2920) offered."""
    monkeypatch.setattr(RecordingHandler, "offer_pipelining", request.param)
    return bool(request.param)


def send(ws: Path, list_arg: str, clock: FakeClock, settings: EngineSettings = FAST,
         password: str | None = None, **request: object):
    """One run of ``mailer send`` in this process; returns the summary."""
    req = SendRequest(SNIPPET, list_arg, **request)  # type: ignore[arg-type]
    with prepare_send(Workspace(ws), req) as prepared:
        return run_send(prepared, password=password, resume_command="mailer send ...",
                        clock=clock, settings=settings, handle_signals=False)


def campaign(list_arg: str) -> str:
    return f"{SNIPPET}--{Path(list_arg).stem}"


def plain_server(ws: Path, handler: RecordingHandler, **smtp: object) -> SmtpServer:
    server = SmtpServer(handler=handler)
    set_smtp(ws, **{"host": "127.0.0.1", "port": server.port, "security": "none",
                    "timeout_s": 5, **smtp})
    return server


@pytest.mark.usefixtures("pipelining")
def test_temporary_and_permanent_failures_for_chosen_recipients(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 8)
    flaky, busy, gone, full = addrs[1], addrs[3], addrs[5], addrs[6]
    handler = RecordingHandler(
        rcpt_script={flaky: ["451 4.3.0 try again", "451 4.3.0 try again"]},
        rcpt_replies={busy: "450 4.2.0 mailbox busy", gone: "550 5.1.1 no such user"},
        data_script={full: ["452 4.2.2 mailbox full"]},
    )
    clock = FakeClock()
    with plain_server(workspace, handler):
        summary = run = send(workspace, list_arg, clock)
        received = handler.received_by_recipient()
    states = journal_states(workspace, campaign(list_arg))
    assert_agree(received, states)
    assert states[flaky] is State.SENT  # third try, after waiting 60 s then 300 s
    assert states[full] is State.SENT   # second try
    assert states[busy] is State.DEFERRED
    assert states[gone] is State.FAILED
    assert (run.sent, run.failed, run.deferred, run.uncertain) == (6, 1, 1, 0)
    assert not summary.complete
    assert sum(clock.slept) >= 360, "the back-off waits happened on the clock"
    with Journal(journal_path(workspace / ".mailer"), create=False) as journal:
        rows = {r.email: r for r in journal.recipients(campaign(list_arg))}
    assert rows[flaky].attempts == 3 and rows[busy].attempts == 3 and rows[gone].attempts == 1
    assert (rows[gone].code, rows[gone].reply) == (550, "5.1.1 no such user")
    assert rows[busy].code == 450

    # Next run: the deferred one is tried again, the failed one only with --retry-failed.
    handler.rcpt_replies.pop(busy)
    handler.rcpt_replies.pop(gone)
    with plain_server(workspace, handler):
        again = send(workspace, list_arg, clock)
        assert (again.sent, again.skipped) == (1, 7)
        last = send(workspace, list_arg, clock, retry_failed=True)
        received = handler.received_by_recipient()
    assert (last.sent, last.complete) == (1, True)
    states = journal_states(workspace, campaign(list_arg))
    assert_agree(received, states)
    assert set(states.values()) == {State.SENT}


@pytest.mark.usefixtures("pipelining")
def test_dropped_connection_during_data_is_uncertain_and_not_resent(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 6)
    dropped = addrs[2]
    handler = RecordingHandler(drop_in_data={dropped: 1})
    clock = FakeClock()
    with plain_server(workspace, handler):
        first = send(workspace, list_arg, clock)
        second = send(workspace, list_arg, clock)
        received = handler.received_by_recipient()
        states = journal_states(workspace, campaign(list_arg))
        assert_agree(received, states)
        assert states[dropped] is State.UNCERTAIN
        assert received[dropped] == 1, "the server kept it; mailer could not know"
        assert (first.sent, first.uncertain) == (5, 1)
        assert len(handler.connections) == 2, "reconnected after the drop"
        # The second run sends nobody: the uncertain recipient is listed, not resent.
        assert (second.sent, second.skipped) == (0, 6)
        assert [f.email for f in second.failures] == [dropped]
        # Only --resend-uncertain sends it again (and then it may arrive twice).
        third = send(workspace, list_arg, clock, resend_uncertain=True)
        received = handler.received_by_recipient()
    assert (third.sent, third.complete) == (1, True)
    assert received[dropped] == 2
    assert all(received[a] == 1 for a in addrs if a != dropped)


@pytest.mark.usefixtures("pipelining")
def test_connection_lost_before_data_reconnects_and_sends_once(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 5)
    handler = RecordingHandler(drop_in_rcpt={addrs[1]: 2})
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, FakeClock())
        received = handler.received_by_recipient()
    states = journal_states(workspace, campaign(list_arg))
    assert_agree(received, states)
    assert summary.complete and set(states.values()) == {State.SENT}
    assert handler.connections_made == 3


@pytest.mark.usefixtures("pipelining")
def test_timeout_after_data_is_uncertain(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 3)
    handler = RecordingHandler(data_delay_s=1.5)
    with plain_server(workspace, handler, timeout_s=0.5):
        summary = send(workspace, list_arg, FakeClock())
        received = handler.received_by_recipient()
    states = journal_states(workspace, campaign(list_arg))
    assert_agree(received, states)
    assert summary.uncertain == 3 and summary.sent == 0
    with Journal(journal_path(workspace / ".mailer"), create=False) as journal:
        row = journal.recipients(campaign(list_arg))[0]
    assert "connection lost after the message was sent" in row.reply


def test_421_on_connect_stops_with_nothing_sent(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 4)
    handler = RecordingHandler(connect_script=["421 4.7.0 Too many connections, try later"])
    clock = FakeClock()
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, clock)
        assert summary.stopped == "throttled" and summary.sent == 0
        assert summary.pending == 4
        assert "421" in summary.stop_text
        assert summary.retry_after == pytest.approx(clock.time() + 15 * 60)
        states = journal_states(workspace, campaign(list_arg))
        assert set(states.values()) == {State.PENDING}
        assert_agree(handler.received_by_recipient(), states)
        # The server is fine again: the same command sends everyone.
        again = send(workspace, list_arg, clock)
        received = handler.received_by_recipient()
    assert again.complete and again.sent == 4
    assert_agree(received, journal_states(workspace, campaign(list_arg)))


@pytest.mark.usefixtures("pipelining")
def test_throttling_after_n_messages_stops_cleanly_and_resumes(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 10)
    handler = RecordingHandler(throttle_after=4)
    clock = FakeClock()
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, clock)
        states = journal_states(workspace, campaign(list_arg))
        assert_agree(handler.received_by_recipient(), states)
        assert (summary.sent, summary.deferred, summary.pending) == (4, 1, 5)
        assert summary.stopped == "throttled" and not summary.complete
        assert summary.retry_after == pytest.approx(clock.time() + 15 * 60)
        assert sorted(s.value for s in states.values()).count("pending") == 5
        # The provider lets us go on later.
        handler.throttle_after = None
        clock.advance(15 * 60)
        again = send(workspace, list_arg, clock)
        received = handler.received_by_recipient()
    assert again.sent == 6 and again.complete
    assert_agree(received, journal_states(workspace, campaign(list_arg)))
    assert sorted(received) == addrs and set(received.values()) == {1}


def test_daily_quota_reply_says_come_back_tomorrow(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 5)
    handler = RecordingHandler(
        throttle_after=2,
        throttle_reply="550 5.4.5 Daily user sending quota exceeded",
    )
    clock = FakeClock()
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, clock)
        received = handler.received_by_recipient()
    states = journal_states(workspace, campaign(list_arg))
    assert_agree(received, states)
    assert summary.stopped == "throttled" and summary.sent == 2
    assert summary.retry_after == pytest.approx(clock.time() + DAY_S)
    # The throttled recipient is not a permanent failure: it goes on the next run.
    assert list(states.values()).count(State.DEFERRED) == 1
    assert State.FAILED not in states.values()


def test_auth_failure_exits_before_anything_is_sent(workspace: Path, tmp_path: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    ca = LocalCA(tmp_path)
    handler = RecordingHandler()
    with SmtpServer(tls_context=ca.server_context(), users={"office": "right"},
                    handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, username="office",
                 ca_file=str(ca.ca_file))
        with pytest.raises(TransportError) as err:
            send(workspace, list_arg, FakeClock(), password="wrong")
    message = str(err.value)
    assert f"127.0.0.1:{server.port}" in message and "535" in message
    assert "smtp.username (office)" in message and "wrong" not in message
    assert err.value.exit_code == 2
    states = journal_states(workspace, campaign(list_arg))
    assert states == {}, "nothing was attempted: no campaign is left in mailer status"
    assert_agree(handler.received_by_recipient(), states)


def test_starttls_not_offered_sends_nothing(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    handler = RecordingHandler()
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="starttls")
        with pytest.raises(TransportError, match="does not offer STARTTLS"):
            send(workspace, list_arg, FakeClock())
    states = journal_states(workspace, campaign(list_arg))
    assert states == {}, "nothing was attempted: no campaign is left in mailer status"
    assert_agree(handler.received_by_recipient(), states)


def test_untrusted_certificate_sends_nothing(workspace: Path, tmp_path: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    ca = LocalCA(tmp_path)
    handler = RecordingHandler()
    with SmtpServer(tls_context=ca.server_context(), handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="starttls")
        with pytest.raises(TransportError, match="certificate") as err:
            send(workspace, list_arg, FakeClock())
    assert f"127.0.0.1:{server.port}" in str(err.value) and "ca_file" in str(err.value)
    states = journal_states(workspace, campaign(list_arg))
    assert states == {}, "nothing was attempted: no campaign is left in mailer status"
    assert_agree(handler.received_by_recipient(), states)


@pytest.mark.usefixtures("pipelining")
def test_pool_uses_every_connection_and_sends_each_once(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 24)
    handler = RecordingHandler(data_delay_s=0.01)
    settings = EngineSettings(connections=3)
    with plain_server(workspace, handler, connections=3):
        summary = send(workspace, list_arg, FakeClock(), settings=settings)
        received = handler.received_by_recipient()
        connections = handler.connections
    assert summary.complete and summary.sent == 24
    assert_agree(received, journal_states(workspace, campaign(list_arg)))
    assert len(connections) == 3 and handler.connections_made == 3


def test_pool_shrinks_when_the_server_refuses_extra_connections(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 9)
    handler = RecordingHandler(connect_script=["", "421 4.7.0 Too many connections",
                                               "421 4.7.0 Too many connections"])
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, FakeClock(), settings=EngineSettings(connections=3))
        received = handler.received_by_recipient()
    assert summary.complete and summary.sent == 9 and summary.stopped is None
    assert_agree(received, journal_states(workspace, campaign(list_arg)))
    assert len(handler.connections) == 1


def test_rate_limit_holds_across_the_pool_in_every_60s_window(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 40)
    handler = RecordingHandler()
    clock = FakeClock()
    settings = EngineSettings(connections=3, rate_per_minute=12, counts_submissions=True)
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, clock, settings=settings)
        received = handler.received_by_recipient()
    assert summary.complete
    assert_agree(received, journal_states(workspace, campaign(list_arg)))
    with Journal(journal_path(workspace / ".mailer"), create=False) as journal:
        times = journal.submissions_since(0)
    assert len(times) == 40
    for start in times:
        in_window = [t for t in times if start <= t < start + 60]
        assert len(in_window) <= 12, (start, len(in_window))
    # ...and no slower than the rate: 40 messages at 12 a minute take 39 * 5 s.
    assert times[-1] - times[0] == pytest.approx(39 * 5, abs=1)


def test_daily_cap_counts_earlier_runs_over_24_hours(workspace: Path) -> None:
    first_list, _ = write_list(workspace, 3, name="first")
    second_list, second = write_list(workspace, 4, name="second")
    handler = RecordingHandler()
    clock = FakeClock()
    settings = EngineSettings(daily_cap=5, counts_submissions=True)
    with plain_server(workspace, handler):
        assert send(workspace, first_list, clock, settings=settings).sent == 3
        first_times = [clock.time()]
        clock.advance(3600)
        summary = send(workspace, second_list, clock, settings=settings)
        assert (summary.sent, summary.pending, summary.stopped) == (2, 2, "daily_cap")
        # The first run's messages leave the 24 hours at first_time + 24 h.
        assert summary.retry_after == pytest.approx(first_times[0] + DAY_S, abs=1)
        # Running again at once connects to nobody and says the same.
        connections = handler.connections_made
        early = send(workspace, second_list, clock, settings=settings)
        assert (early.sent, early.stopped, handler.connections_made) == (
            0, "daily_cap", connections)
        assert early.retry_after == pytest.approx(first_times[0] + DAY_S, abs=1)
        clock.advance(DAY_S - 3600 + 10)
        again = send(workspace, second_list, clock, settings=settings)
        received = handler.received_by_recipient()
    assert again.sent == 2 and again.complete
    states = journal_states(workspace, campaign(first_list))
    states.update(journal_states(workspace, campaign(second_list)))
    assert_agree(received, states)
    assert all(received[a] == 1 for a in second)


class QuitCounting(RecordingHandler):
    """Counts the QUIT commands: a connection closed with ``async with`` says goodbye."""

    quits = 0

    async def handle_QUIT(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.quits += 1
        return "221 Bye"


@pytest.mark.parametrize("throttle_after", [None, 5], ids=["to-the-end", "stopped"])
def test_every_connection_of_the_pool_is_closed_with_quit(workspace: Path,
                                                          throttle_after: int | None) -> None:
    """Each of the pool's connections is opened and closed by ``async with``: QUIT on
    every one, whether the run goes to the end or the server stops it."""
    list_arg, _ = write_list(workspace, 12)
    # Google's daily quota (not a 421, after which the server closes the connection itself).
    handler = QuitCounting(throttle_after=throttle_after,
                           throttle_reply="550 5.4.5 Daily user sending limit exceeded.")
    with plain_server(workspace, handler, connections=3):
        summary = send(workspace, list_arg, FakeClock(), settings=EngineSettings(connections=3))
        made = handler.connections_made
    assert (summary.stopped is None) is (throttle_after is None)
    assert made == 3 and handler.quits == 3


@pytest.mark.usefixtures("pipelining")
def test_a_parent_sent_again_gets_the_same_message_id(workspace: Path) -> None:
    """A message tried again (later in the run after a 451 at the end of DATA, or in a
    later run with --resend-uncertain) keeps its first Message-ID, so a parent's mail
    program can tell it is the same message (RFC 5322 §3.6.4)."""
    list_arg, addrs = write_list(workspace, 6)
    retried, dropped = addrs[1], addrs[4]
    handler = RecordingHandler(data_script={retried: ["451 4.3.0 Temporary failure"]},
                               drop_in_data={dropped: 1})
    with plain_server(workspace, handler):
        send(workspace, list_arg, FakeClock())
        send(workspace, list_arg, FakeClock(), resend_uncertain=True)
        ids: dict[str, list[str]] = {}
        for got in handler.received:
            ids.setdefault(got.rcpt_tos[0].lower(), []).append(got.message["Message-ID"])
    states = journal_states(workspace, campaign(list_arg))
    assert set(states.values()) == {State.SENT}
    assert len(ids[dropped]) == 2 and ids[dropped][0] == ids[dropped][1]
    with Journal(journal_path(workspace / ".mailer"), create=False) as journal:
        rows = {r.email: r for r in journal.recipients(campaign(list_arg))}
    assert rows[retried].attempts == 2 and ids[retried] == [rows[retried].message_id]
    assert rows[dropped].message_id == ids[dropped][0]
    assert len(set(sum(ids.values(), []))) == len(addrs)
