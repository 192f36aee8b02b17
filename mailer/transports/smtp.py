"""The SMTP transport: submission with aiosmtplib over one reused connection.

Security rules: STARTTLS (RFC 3207) by default and never a silent downgrade when the
server does not offer it; implicit TLS (RFC 8314) with ``security: tls``; certificates
verified against the system's CAs plus ``ca_file``; ``security: none`` only to loopback
(checked by :mod:`mailer.config`); AUTH never over an unencrypted connection except to
loopback.
"""

from __future__ import annotations

import re
import ssl

import aiosmtplib
from aiosmtplib import errors as smtp_errors

from mailer.compose import Composed
from mailer.config import SmtpConfig
from mailer.errors import TransportError
from mailer.transports.base import Delivery, TransportStatus

# Replies that mean "this account is sending too fast or hit its quota": stop the whole
# send and resume later. Sources: RFC 3463 enhanced codes 4.7.0/4.2.1/4.5.3/5.4.5/5.2.0;
# Microsoft 365 "5.7.233"/"4.7.233"-style throttling; Google "4.7.28"/"5.4.5" daily limits.
_THROTTLE_ENHANCED = re.compile(
    r"\b(4\.7\.0|4\.2\.1|4\.5\.3|5\.4\.5|5\.2\.0|[45]\.7\.233|4\.7\.28|4\.7\.27)\b"
)
_THROTTLE_WORDS = re.compile(r"(rate limit|too many|throttl|quota|daily (user )?sending)", re.I)


def classify_reply(code: int, text: str) -> Delivery:
    """Turn an SMTP reply into a :class:`Delivery`.

    2xx sent; 4xx deferred (RFC 5321 §4.2.1: transient); 5xx failed (permanent);
    ``throttled`` when the code or enhanced status says the sender is over a limit.
    """
    throttled = bool(_THROTTLE_ENHANCED.search(text)) or code in (421, 454) or (
        code in (450, 451, 452, 550, 554) and bool(_THROTTLE_WORDS.search(text))
    )
    if 200 <= code < 300:
        return Delivery(TransportStatus.SENT, code, text)
    if 400 <= code < 500:
        return Delivery(TransportStatus.DEFERRED, code, text, throttled=throttled)
    return Delivery(TransportStatus.FAILED, code, text, throttled=throttled)


def tls_context(smtp: SmtpConfig) -> ssl.SSLContext:
    """A verifying TLS context: system CAs plus ``smtp.ca_file`` when set.

    Raises:
        TransportError: when ``ca_file`` cannot be read.
    """
    context = ssl.create_default_context()
    if smtp.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(smtp.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(
                f"the certificate authority file cannot be read ({exc}).", path=smtp.ca_file
            ) from None
    return context


class SmtpTransport:
    """One SMTP connection, reused for every message.

    Args:
        smtp: the server settings.
        password: the AUTH password, or ``None`` for no AUTH.
    """

    name = "smtp"

    def __init__(self, smtp: SmtpConfig, password: str | None) -> None:
        self.smtp = smtp
        self._password = password
        self._client: aiosmtplib.SMTP | None = None

    def describe(self) -> str:
        """``host:port (STARTTLS)``."""
        mode = {"starttls": "STARTTLS", "tls": "TLS", "none": "no encryption"}[self.smtp.security]
        return f"{self.smtp.host}:{self.smtp.port} ({mode})"

    def _where(self) -> str:
        return f"{self.smtp.host}:{self.smtp.port}"

    async def open(self) -> None:
        """Connect, secure the connection and log in.

        Raises:
            TransportError: cannot connect, STARTTLS not offered, certificate not trusted,
                or AUTH refused; the message names the host, port and what to check.
        """
        cfg = self.smtp
        context = tls_context(cfg) if cfg.security != "none" else None
        client = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            timeout=cfg.timeout_s,
            use_tls=cfg.security == "tls",
            start_tls=False,
            tls_context=context,
        )
        where = self._where()
        try:
            await client.connect()
            if cfg.security == "starttls":
                await client.ehlo()
                if not client.supports_extension("starttls"):
                    await _quietly_quit(client)
                    raise TransportError(
                        f"the server {where} does not offer STARTTLS encryption, so mailer "
                        "will not send (passwords and parents' addresses would travel "
                        "unencrypted). Check the host and port (Microsoft 365 and Google use "
                        "port 587 with STARTTLS)."
                    )
                await client.starttls(tls_context=context)
            if cfg.username:
                if cfg.security == "none" and not cfg.is_loopback:
                    raise TransportError("AUTH over an unencrypted connection is refused.")
                await client.login(cfg.username, self._password or "")
        except TransportError:
            raise
        except smtp_errors.SMTPAuthenticationError as exc:
            await _quietly_quit(client)
            raise TransportError(
                f"the server {where} refused the username or password ({exc.code} "
                f"{exc.message}). Check smtp.username ({cfg.username}) and the password in "
                f"{cfg.password_env}; Microsoft 365 also needs 'Authenticated SMTP' enabled "
                "for the mailbox."
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise TransportError(
                f"the certificate of {where} could not be verified ({exc.verify_message}). "
                "Check the host name; if the server uses a private certificate authority, set "
                "smtp.ca_file to its certificate."
            ) from None
        except (ssl.SSLError, smtp_errors.SMTPConnectError) as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ssl.SSLCertVerificationError):
                raise TransportError(
                    f"the certificate of {where} could not be verified "
                    f"({cause.verify_message}). Check the host name; if the server uses a "
                    "private certificate authority, set smtp.ca_file to its certificate."
                ) from None
            raise TransportError(
                f"cannot connect to {where} ({exc}). Check smtp.host, smtp.port and "
                "smtp.security, and that this computer can reach the server."
            ) from None
        except (smtp_errors.SMTPException, OSError) as exc:
            await _quietly_quit(client)
            text = str(exc) or type(exc).__name__
            if "certificate" in text.lower():
                raise TransportError(
                    f"the certificate of {where} could not be verified ({text}). Check the "
                    "host name; if the server uses a private certificate authority, set "
                    "smtp.ca_file to its certificate."
                ) from None
            raise TransportError(
                f"cannot connect to {where} ({text}). Check smtp.host, smtp.port and "
                "smtp.security, and that this computer can reach the server."
            ) from None
        self._client = client

    async def deliver(self, message: Composed) -> Delivery:
        """Send one message to its one recipient; classify the server's reply."""
        if self._client is None or not self._client.is_connected:
            await self.open()
        assert self._client is not None
        try:
            _, reply = await self._client.sendmail(
                message.envelope_from, [message.recipient], message.data
            )
        except smtp_errors.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            return classify_reply(first.code, first.message)
        except smtp_errors.SMTPResponseException as exc:
            return classify_reply(exc.code, exc.message)
        except (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError, OSError) as exc:
            self._client = None
            return Delivery(TransportStatus.UNCERTAIN, 0, f"connection lost: {exc}")
        return Delivery(TransportStatus.SENT, 250, reply)

    async def close(self) -> None:
        """Say QUIT and close the connection."""
        if self._client is not None:
            await _quietly_quit(self._client)
            self._client = None


async def _quietly_quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except (smtp_errors.SMTPException, OSError):
        client.close()
