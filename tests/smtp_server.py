"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, a free port, optional STARTTLS
(with a certificate from a test CA made by trustme) and AUTH.

The handler records every accepted message (envelope sender, recipients, data, the
connection it came on). Tests that need faults subclass :class:`RecordingHandler` or set
its ``rcpt_replies`` / ``data_replies`` maps.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: tuple[str, int]
    tls: bool
    authenticated: str | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    """aiosmtpd handler that keeps what it received, and injects faults on request.

    Faults (addresses are compared in lower case):

    - ``rcpt_replies``: address -> reply returned at RCPT TO every time (e.g. a 550).
    - ``rcpt_script``: address -> replies returned at RCPT TO one per attempt, in order;
      once used up, the recipient is accepted (a 451 twice, then OK).
    - ``data_script``: address -> replies to the end of DATA, one per attempt; a non-2xx
      reply means the message is not kept.
    - ``drop_in_rcpt``: address -> how many times to close the connection at RCPT TO
      (before any data: nothing kept).
    - ``drop_in_data``: address -> how many times to keep the message and then close the
      connection without replying (the client cannot know it arrived).
    - ``throttle_after``: after this many accepted messages, answer every MAIL FROM with
      ``throttle_reply``.
    - ``connect_script``: greeting per new connection, in order ("" = the normal 220);
      e.g. ``["421 4.7.0 Too many connections"]`` refuses the first connection.
    - ``data_delay_s``: keep the message, then wait this long before replying (slow server).
    """

    received: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    rcpt_script: dict[str, list[str]] = field(default_factory=dict)
    data_script: dict[str, list[str]] = field(default_factory=dict)
    drop_in_rcpt: dict[str, int] = field(default_factory=dict)
    drop_in_data: dict[str, int] = field(default_factory=dict)
    throttle_after: int | None = None
    throttle_reply: str = "421 4.7.0 Too many messages, try again later"
    connect_script: list[str] = field(default_factory=list)
    data_delay_s: float = 0.0
    connections_made: int = 0
    armed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def greeting(self) -> str:
        """The reply for a new connection ("" = the normal greeting). The connection
        aiosmtpd's controller makes to itself while starting is not counted."""
        if not self.armed:
            return ""
        with self.lock:
            self.connections_made += 1
            return self.connect_script.pop(0) if self.connect_script else ""

    #: Offer PIPELINING (RFC 2920) in the EHLO reply (aiosmtpd reads pipelined commands
    #: in order either way); tests switch it on with monkeypatch.
    offer_pipelining: ClassVar[bool] = False

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if self.offer_pipelining:
            return [responses[0], "250-PIPELINING", *responses[1:]]
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if self.throttle_after is not None and len(self.received) >= self.throttle_after:
            return self.throttle_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        key = address.lower()
        if self.drop_in_rcpt.get(key, 0) > 0:
            self.drop_in_rcpt[key] -= 1
            server.transport.close()
            return "250 OK"  # never reaches the client
        reply = self.rcpt_replies.get(key)
        if reply:
            return reply
        script = self.rcpt_script.get(key)
        if script:
            return script.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        key = envelope.rcpt_tos[0].lower() if envelope.rcpt_tos else ""
        script = self.data_script.get(key)
        if script:
            reply = script.pop(0)
            if not reply.startswith("2"):
                return reply
        with self.lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=envelope.original_content or envelope.content,
                    peer=tuple(session.peer),
                    tls=bool(session.ssl),
                    authenticated=session.auth_data if session.authenticated else None,
                )
            )
        if self.drop_in_data.get(key, 0) > 0:
            self.drop_in_data[key] -= 1
            server.transport.close()
            return "250 OK"  # never reaches the client
        if self.data_delay_s:
            await asyncio.sleep(self.data_delay_s)
        return "250 2.0.0 OK queued"

    def received_by_recipient(self) -> Counter[str]:
        """How many messages each recipient (lower case) was received for."""
        with self.lock:
            return Counter(r.rcpt_tos[0].lower() for r in self.received)

    @property
    def connections(self) -> set[tuple[str, int]]:
        """Distinct client connections (peer address and source port) that sent mail."""
        return {r.peer for r in self.received}


class _FaultySMTP(SMTP):
    """aiosmtpd's SMTP server, able to refuse a connection in its greeting (421)."""

    async def _handle_client(self) -> None:
        reply = self.event_handler.greeting()
        if reply:
            await self.push(reply)
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()


class _FaultyController(Controller):
    def factory(self) -> SMTP:
        return _FaultySMTP(self.handler, **self.SMTP_kwargs)


class LocalCA:
    """A throwaway certificate authority and a server certificate for 127.0.0.1."""

    def __init__(self, tmp: Path) -> None:
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = tmp / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx


class SmtpServer:
    """Start with ``with SmtpServer(...) as server:``; stopped on exit.

    Args:
        tls_context: offer STARTTLS with this server context.
        users: ``{username: password}``; when set, AUTH is offered (after STARTTLS unless
            ``auth_require_tls=False``) and required.
        handler: a :class:`RecordingHandler` (or subclass) to use.
    """

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        handler: RecordingHandler | None = None,
        auth_require_tls: bool = True,
        require_starttls: bool = False,
    ) -> None:
        self.handler = handler or RecordingHandler()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if tls_context is not None:
            kwargs["tls_context"] = tls_context
            kwargs["require_starttls"] = require_starttls
        if users is not None:
            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                              auth_data: Any) -> AuthResult:
                ok = (
                    isinstance(auth_data, LoginPassword)
                    and users.get(auth_data.login.decode()) == auth_data.password.decode()
                )
                return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode())

            kwargs["authenticator"] = authenticator
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = auth_require_tls
        self.controller = _FaultyController(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        self.handler.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
