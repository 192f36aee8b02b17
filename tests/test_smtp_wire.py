"""The bytes mailer writes after DATA (RFC 5321 §4.5.2), and the switch to pipelining when
a real server offers it (RFC 2920)."""

from __future__ import annotations

import asyncio
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from mailer.compose import Composer
from mailer.jobs import render_snippet
from mailer.transports.smtp import SmtpTransport
from mailer.transports.wire import command_address, smtp_data
from mailer.workspace import Workspace
from tests.conftest import set_smtp
from tests.sendkit import SNIPPET
from tests.smtp_server import RecordingHandler, SmtpServer


@pytest.mark.parametrize(("data", "wire"), [
    (b"A: b\r\n\r\nhi\r\n", b"A: b\r\n\r\nhi\r\n.\r\n"),
    (b"A: b\r\n\r\n.hi\r\n..x\r\n.", b"A: b\r\n\r\n..hi\r\n...x\r\n..\r\n.\r\n"),
    (b".first\r\n", b"..first\r\n.\r\n"),
    (b"A: b\n\nlone\rcr\n.dot", b"A: b\r\n\r\nlone\r\ncr\r\n..dot\r\n.\r\n"),
    (b"no end", b"no end\r\n.\r\n"),
])
def test_message_data_is_dot_stuffed_and_ends_with_a_lone_dot(data: bytes, wire: bytes) -> None:
    assert smtp_data(data) == wire


@pytest.mark.parametrize("bad", ["a b@example.com", "a@example.com>", "x\r\n@e.com",
                                 "zoë@example.com"])
def test_addresses_that_would_break_a_command_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        command_address(bad)


@pytest.mark.parametrize("offer", [False, True])
def test_pipelined_or_not_the_server_gets_the_same_message(
        workspace: Path, monkeypatch: pytest.MonkeyPatch, offer: bool) -> None:
    monkeypatch.setattr(RecordingHandler, "offer_pipelining", offer)
    handler = RecordingHandler()
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        ws = Workspace(workspace)
        composer = Composer(render_snippet(ws, SNIPPET), ws.config.sender)
        message = composer.compose("carer@example.com", "Sadia Khan", {"greeting": "Dear Mrs Khan"})
        transport = SmtpTransport(ws.config.smtp)

        async def go() -> tuple[bool, str, str]:
            await transport.open()
            used = transport.pipelining
            first = await transport.deliver(message)
            second = await transport.deliver(message)
            await transport.close()
            return used, first.state.value, second.state.value

        used, first, second = asyncio.run(go())
    assert (used, first, second) == (offer, "sent", "sent")
    assert [r.rcpt_tos for r in handler.received] == [["carer@example.com"]] * 2
    got = BytesParser(policy=policy.default).parsebytes(handler.received[0].data)
    want = BytesParser(policy=policy.default).parsebytes(message.data)
    assert got.get_body(("html",)).get_content() == want.get_body(("html",)).get_content()
    assert got.get_body(("plain",)).get_content() == want.get_body(("plain",)).get_content()
