"""An SMTP submission server that signs in with XOAUTH2, as Microsoft 365 and Google do.

aiosmtpd on 127.0.0.1 with STARTTLS (test CA), offering ``AUTH LOGIN PLAIN XOAUTH2`` and
requiring AUTH. XOAUTH2 (Google, "OAuth 2.0 Mechanism"; Microsoft, "Authenticate an IMAP,
POP or SMTP connection using OAuth") carries ``user=USER^Aauth=Bearer TOKEN^A^A`` in base64.

The real replies:

- Microsoft 365, token refused: ``535 5.7.3 Authentication unsuccessful [host time]``
- Microsoft 365, SMTP AUTH off: ``535 5.7.139 Authentication unsuccessful,
  SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled
  for more information.``
- Microsoft 365, a password: ``535 5.7.139 Authentication unsuccessful, basic authentication
  is disabled.`` or ``550 5.7.30 Basic authentication is not supported for Client Submission.``
- Google, token refused: a ``334`` challenge holding a base64 JSON error, and after the
  client's empty line ``535-5.7.8 Username and Password not accepted. For more
  information, go to`` / ``535 5.7.8  https://support.google.com/mail/?p=BadCredentials``.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.smtp_server import RecordingHandler, SmtpServer

MS_REFUSED = "535 5.7.3 Authentication unsuccessful [LO4P123CA0001.GBRP123.PROD.OUTLOOK.COM " \
             "2026-12-01T10:00:00.000Z 08DE0A1B2C3D4E5F]"
MS_SMTP_AUTH_OFF = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
                    "disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more "
                    "information. [LO4P123CA0001.GBRP123.PROD.OUTLOOK.COM 2026-12-01T10:00:00.000Z "
                    "08DE0A1B2C3D4E5F]")
MS_BASIC_OFF = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. " \
               "[LO4P123CA0001.GBRP123.PROD.OUTLOOK.COM 2026-12-01T10:00:00.000Z 08DE0A1B2C3D4E5F]"
MS_BASIC_NOT_SUPPORTED = "550 5.7.30 Basic authentication is not supported for Client " \
                         "Submission."
GOOGLE_REFUSED = ("535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
                  "535 5.7.8  https://support.google.com/mail/?p=BadCredentials "
                  "a1b2c3d4e5f6.12 - gsmtp")
GOOGLE_CHALLENGE = {"status": "400", "schemes": "Bearer",
                    "scope": "https://mail.google.com/"}


def xoauth2_payload(user: str, token: str) -> str:
    """The base64 initial response a client sends (what aiosmtplib's auth_xoauth2 sends)."""
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()


@dataclass
class XOAuth2Handler(RecordingHandler):
    """A :class:`RecordingHandler` that signs in with XOAUTH2.

    Attributes:
        user: the one mailbox accepted (compared in lower case).
        tokens: the access tokens accepted now; a test removes one to start refusing it.
        style: ``microsoft`` or ``google``: which replies to send.
        mailbox_reply: when set, every XOAUTH2 attempt gets this reply (e.g. 5.7.139).
        password_reply: the reply to AUTH LOGIN / PLAIN (a password): Microsoft's refusals,
            or a 235 to accept any password.
        mail_reply: when set, the reply to every MAIL FROM (Microsoft answers a session
            signed in with a password ``550 5.7.30`` there).
        drop_after: after this many accepted messages, close the connection at the next
            MAIL FROM once (the session ended with the token), and stop accepting
            ``expire_token``.
        attempts: every XOAUTH2 attempt as (user, token, accepted).
    """

    user: str = "office@school.org.uk"
    tokens: set[str] = field(default_factory=set)
    style: str = "microsoft"
    mailbox_reply: str = ""
    password_reply: str = MS_BASIC_OFF
    mail_reply: str = ""
    drop_after: int | None = None
    expire_token: str = ""
    attempts: list[tuple[str, str, bool]] = field(default_factory=list)
    attempts_lock: threading.Lock = field(default_factory=threading.Lock)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:  # noqa: N802
        if len(args) > 1:
            raw = args[1]
        else:
            answer = await server.challenge_auth("", encode_to_b64=False)
            raw = answer.decode() if isinstance(answer, bytes) else ""
        try:
            text = base64.b64decode(raw).decode()
            fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
            user = fields.get("user", "")
            token = fields.get("auth", "").removeprefix("Bearer ")
        except (ValueError, UnicodeDecodeError):
            await server.push("501 5.5.2 Cannot Decode response")
            return AuthResult(success=False, handled=True)
        if self.mailbox_reply:
            with self.attempts_lock:
                self.attempts.append((user, token, False))
            await server.push(self.mailbox_reply)
            return AuthResult(success=False, handled=True)
        ok = user.lower() == self.user.lower() and token in self.tokens
        with self.attempts_lock:
            self.attempts.append((user, token, ok))
        if ok:
            return AuthResult(success=True, auth_data=user)
        if self.style == "google":
            await server.challenge_auth(json.dumps(GOOGLE_CHALLENGE))
            await server.push(GOOGLE_REFUSED)
        else:
            await server.push(MS_REFUSED)
        return AuthResult(success=False, handled=True)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if self.mail_reply:
            return self.mail_reply
        if self.drop_after is not None and len(self.received) >= self.drop_after:
            self.drop_after = None
            self.tokens.discard(self.expire_token)
            server.transport.close()
            return "250 OK"  # never reaches the client
        return await super().handle_MAIL(server, session, envelope, address, mail_options)


class XOAuth2Server(SmtpServer):
    """:class:`SmtpServer` with AUTH (LOGIN, PLAIN, XOAUTH2) required after STARTTLS."""

    def __init__(self, *, tls_context: Any, handler: XOAuth2Handler) -> None:
        super().__init__(tls_context=tls_context, handler=handler)

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                          auth_data: Any) -> AuthResult:
            assert isinstance(auth_data, LoginPassword)
            if handler.password_reply.startswith("235"):
                return AuthResult(success=True, auth_data=auth_data.login.decode())
            return AuthResult(success=False, handled=False, message=handler.password_reply)

        self.controller.SMTP_kwargs.update(
            authenticator=authenticator, auth_required=True, auth_require_tls=True)
