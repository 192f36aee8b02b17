"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, a free port, optional STARTTLS
(with a certificate from a test CA made by trustme) and AUTH.

The handler records every accepted message (envelope sender, recipients, data, the
connection it came on). Tests that need faults subclass :class:`RecordingHandler` or set
its ``rcpt_replies`` / ``data_replies`` maps.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


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
    """aiosmtpd handler that keeps what it received.

    ``rcpt_replies`` maps a recipient address to a reply string (e.g. ``"450 4.2.0 busy"``)
    returned at RCPT TO instead of accepting.
    """

    received: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
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
        return "250 2.0.0 OK queued"

    @property
    def connections(self) -> set[tuple[str, int]]:
        """Distinct client connections (peer address and source port) that sent mail."""
        return {r.peer for r in self.received}


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
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
