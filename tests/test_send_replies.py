"""One parent's reply never stops the campaign; a reply about the account does. Through a
real aiosmtpd server on 127.0.0.1 answering with providers' real wordings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mailer.journal import Journal, journal_path
from mailer.outcome import State
from tests.sendkit import FakeClock, assert_agree, journal_states, write_list
from tests.smtp_server import RecordingHandler
from tests.test_send_faults import FAST, campaign, plain_server, send

GMAIL_FULL = ("452 4.2.2 The email account that you tried to reach is over quota. Please "
              "direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp")


@pytest.fixture(params=[False, True], ids=["one-by-one", "pipelined"])
def pipelining(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(RecordingHandler, "offer_pipelining", request.param)
    return bool(request.param)


@dataclass
class MailScriptHandler(RecordingHandler):
    """Answers MAIL FROM with the scripted replies first (one per MAIL), then normally."""

    mail_script: list[str] = field(default_factory=list)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if self.mail_script:
            return self.mail_script.pop(0)
        return await super().handle_MAIL(server, session, envelope, address, mail_options)


@pytest.mark.usefixtures("pipelining")
def test_one_full_mailbox_never_stops_the_parents_after_it(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 40)
    full = addrs[5]
    handler = RecordingHandler(rcpt_replies={full: GMAIL_FULL})
    clock = FakeClock()
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, clock)
        received = handler.received_by_recipient()
    states = journal_states(workspace, campaign(list_arg))
    assert_agree(received, states)
    assert summary.stopped is None
    assert (summary.sent, summary.deferred, summary.pending) == (39, 1, 0)
    assert states[full] is State.DEFERRED
    assert sorted(received) == sorted(a for a in addrs if a != full)
    with Journal(journal_path(workspace / ".mailer"), create=False) as journal:
        row = {r.email: r for r in journal.recipients(campaign(list_arg))}[full]
    # Retried after its back-off within the run (60 s, then 300 s), after everyone else.
    assert row.attempts == FAST.max_attempts and row.code == 452
    assert sum(clock.slept) >= 360


@pytest.mark.usefixtures("pipelining")
def test_a_full_mailbox_that_empties_is_sent_later_in_the_same_run(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 8)
    full = addrs[1]
    handler = RecordingHandler(rcpt_script={full: [GMAIL_FULL]})
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, FakeClock())
        received = handler.received_by_recipient()
    assert summary.complete and summary.sent == 8 and summary.stopped is None
    # Everyone after it went first: the full mailbox did not hold them up.
    order = [r.rcpt_tos[0].lower() for r in handler.received]
    assert order[-1] == full
    assert_agree(received, journal_states(workspace, campaign(list_arg)))


@pytest.mark.usefixtures("pipelining")
def test_a_section_number_in_a_permanent_reply_is_not_a_throttle(workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 6)
    long_line = addrs[2]
    handler = RecordingHandler(
        data_script={long_line: ["500 Line too long (see RFC5321 4.5.3.1.6)"]})
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, FakeClock())
        received = handler.received_by_recipient()
    states = journal_states(workspace, campaign(list_arg))
    assert_agree(received, states)
    assert summary.stopped is None
    assert states[long_line] is State.FAILED
    assert (summary.sent, summary.failed, summary.deferred) == (5, 1, 0)


@pytest.mark.usefixtures("pipelining")
def test_nested_mail_command_reconnects_and_sends_instead_of_blaming_the_sender(
        workspace: Path) -> None:
    list_arg, addrs = write_list(workspace, 5)
    handler = MailScriptHandler(mail_script=["503 5.5.1 Error: nested MAIL command"])
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, FakeClock())
        received = handler.received_by_recipient()
    assert summary.stopped is None and summary.complete
    assert summary.sent == 5
    assert sorted(received) == addrs and set(received.values()) == {1}
    assert handler.connections_made == 2, "a fresh connection after the 503"


def test_sender_refused_stops_and_says_so(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 4)
    handler = MailScriptHandler(mail_script=[
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender"])
    with plain_server(workspace, handler):
        summary = send(workspace, list_arg, FakeClock())
    assert summary.stopped == "sender_refused" and summary.sent == 0
    assert "5.7.60" in summary.stop_text
