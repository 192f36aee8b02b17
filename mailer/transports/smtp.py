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
from collections.abc import Callable
from dataclasses import replace

import aiosmtplib
from aiosmtplib import errors as smtp_errors

from mailer.compose import Composed
from mailer.config import SmtpConfig
from mailer.errors import ServerBusyError, TransportError
from mailer.oauth import AccessToken, TokenSource
from mailer.oauth.words import smtp_auth_words
from mailer.transports.base import Delivery, TransportStatus
from mailer.transports.wire import ReplyPipe, command_address, smtp_data
from mailer.transports.xoauth2 import sign_in_xoauth2, token_expiring

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


_QUOTA = re.compile(r"\b(5\.4\.5|5\.2\.0|4\.7\.28)\b|quota|daily|per day|24 hours", re.I)


def throttle_wait_s(code: int, text: str) -> float:
    """How long to wait before sending again after a throttling reply, in seconds.

    A daily quota (Google ``550 5.4.5 Daily user sending limit exceeded``, Microsoft 365
    ``554 5.2.0 ... SubmissionQuotaExceeded``; both providers count over a rolling 24 hours)
    means 24 hours; a per-minute or concurrency throttle (``421 4.7.0``, ``450 4.2.1``,
    ``452 4.5.3``, ``454``) means about 15 minutes.
    """
    if _QUOTA.search(text) or code in (550, 554):
        return 24 * 60 * 60.0
    return 15 * 60.0


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

    aiosmtplib connects, secures and logs in; the mail transactions then run on a
    :class:`~mailer.transports.wire.ReplyPipe` over the same connection, with MAIL FROM,
    RCPT TO and DATA in one write when the server offers PIPELINING (RFC 2920).

    Args:
        smtp: the server settings.
        password: the AUTH password, or ``None`` for no AUTH; with ``smtp.auth: oauth2``
            a :class:`~mailer.oauth.TokenSource` (see :mod:`mailer.transports.xoauth2`).
    """

    name = "smtp"

    def __init__(self, smtp: SmtpConfig, password: str | TokenSource | None) -> None:
        self.smtp = smtp
        self._password = password
        self._token: AccessToken | None = None
        self._used_token = False  # a message was started since this connection signed in
        self._pipe: ReplyPipe | None = None
        self._pipelining = False
        self._size = False

    def describe(self) -> str:
        """``host:port (STARTTLS)``."""
        mode = {"starttls": "STARTTLS", "tls": "TLS", "none": "no encryption"}[self.smtp.security]
        return f"{self.smtp.host}:{self.smtp.port} ({mode})"

    def _where(self) -> str:
        return f"{self.smtp.host}:{self.smtp.port}"

    async def open(self) -> None:
        """Connect, secure the connection and log in.

        Raises:
            ServerBusyError: the server answered 4xx (for example ``421 4.7.0 try again
                later``) while connecting or logging in: run again later.
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
                if isinstance(self._password, str) or self._password is None:
                    await client.login(cfg.username, self._password or "")
                else:
                    self._token = await sign_in_xoauth2(client, self._password)
                    self._used_token = False
            if client.is_ehlo_or_helo_needed:
                try:
                    await client.ehlo()
                except smtp_errors.SMTPHeloError:
                    await client.helo()
        except TransportError:
            client.close()
            raise
        except smtp_errors.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                client.close()
                raise ServerBusyError(
                    f"the server {where} is not taking messages right now ({exc.code} "
                    f"{exc.message}).",
                    code=exc.code,
                    reply=exc.message,
                ) from None
            await _quietly_quit(client)
            raise self._refused(exc) from None
        except ssl.SSLCertVerificationError as exc:
            client.close()
            raise self._untrusted(exc.verify_message) from None
        except (ssl.SSLError, smtp_errors.SMTPConnectError) as exc:
            client.close()
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ssl.SSLCertVerificationError):
                raise self._untrusted(cause.verify_message) from None
            if isinstance(cause, ConnectionRefusedError):
                raise TransportError(
                    f"cannot connect to {where}: nothing is answering there. Check smtp.host "
                    "and smtp.port, and that this computer is online.") from None
            raise TransportError(
                f"cannot connect to {where} ({exc}). Check smtp.host, smtp.port and "
                "smtp.security, and that this computer can reach the server."
            ) from None
        except (smtp_errors.SMTPException, OSError) as exc:
            await _quietly_quit(client)
            text = str(exc) or type(exc).__name__
            if "certificate" in text.lower():
                raise self._untrusted(text) from None
            raise TransportError(
                f"cannot connect to {where} ({text}). Check smtp.host, smtp.port and "
                "smtp.security, and that this computer can reach the server."
            ) from None
        assert client.transport is not None
        self._pipelining = client.supports_extension("pipelining")
        self._size = client.supports_extension("size")
        # From here on the connection is ours: aiosmtplib's part (connect, TLS, AUTH) is done.
        self._pipe = ReplyPipe(client.transport, cfg.timeout_s)

    def _untrusted(self, why: str) -> TransportError:
        return TransportError(
            f"the certificate of {self._where()} could not be verified ({why}). Check the "
            "host name; if the server uses a private certificate authority, set "
            "smtp.ca_file to its certificate."
        )

    def _refused(self, exc: smtp_errors.SMTPResponseException) -> TransportError:
        """A permanent refusal while connecting or logging in (AUTH 535 and the like)."""
        cfg = self.smtp
        where = self._where()
        words = smtp_auth_words(cfg, exc.code, exc.message)
        if words is not None:
            return TransportError(words)
        if isinstance(exc, smtp_errors.SMTPAuthenticationError):
            return TransportError(
                f"the server {where} refused the username or password ({exc.code} "
                f"{exc.message}). Check smtp.username ({cfg.username}) and the password in "
                f"{cfg.password_env} or the keyring; Microsoft 365 also needs 'Authenticated "
                "SMTP' enabled for the mailbox."
            )
        return TransportError(
            f"the server {where} refused the connection ({exc.code} {exc.message}). Check "
            "smtp.host, smtp.port and smtp.username."
        )

    @property
    def connected(self) -> bool:
        """True while the connection is open."""
        return self._pipe is not None and self._pipe.open

    @property
    def pipelining(self) -> bool:
        """True when the server offered PIPELINING (RFC 2920) on this connection."""
        return self._pipelining

    async def deliver(
        self, message: Composed, on_data: Callable[[], None] | None = None
    ) -> Delivery:
        """Send one message to its one recipient (MAIL, RCPT, DATA; RFC 5321 §3.3) and
        classify the server's reply. ``on_data`` is called after MAIL, RCPT and DATA were
        accepted (354) and before the message's data is written.

        With PIPELINING (RFC 2920 §3.1) the three commands go in one write and every reply
        is checked: a refused MAIL or RCPT means no data is sent (a lone "." ends the data
        if the server said 354 to DATA anyway), then RSET.

        A broken connection or a timeout comes back with ``connection_lost=True``: as
        ``DEFERRED`` when it happened before the data (nothing was sent), as ``UNCERTAIN``
        after (the server may have the message).

        Raises:
            TransportError: when a reconnect is needed and fails (see :meth:`open`).
        """
        until = self._token.expires_at if self._token is not None else None
        if self.connected and self._used_token and token_expiring(until):
            await self.close()  # sign in again with a fresh token before it runs out
        if not self.connected:
            await self.open()
        self._used_token = True
        pipe = self._pipe
        assert pipe is not None
        try:
            size = b" SIZE=%d" % len(message.data) if self._size else b""  # RFC 1870
            mail = b"MAIL FROM:<%s>%s\r\n" % (command_address(message.envelope_from), size)
            rcpt = b"RCPT TO:<%s>\r\n" % command_address(message.recipient)
        except ValueError as exc:  # an address that cannot go in a command
            return Delivery(TransportStatus.FAILED, 0, f"the address cannot be used ({exc})")
        wire = smtp_data(message.data)
        data_started = False
        try:
            if self._pipelining:
                pipe.write(mail + rcpt + b"DATA\r\n")
                replies = [await pipe.reply() for _ in range(3)]
            else:
                replies = []
                for command in (mail, rcpt, b"DATA\r\n"):
                    pipe.write(command)
                    replies.append(await pipe.reply())
                    if not 200 <= replies[-1][0] < 400:
                        break
            refused = await self._envelope_refused(pipe, replies)
            if refused is not None:
                return refused
            if on_data is not None:
                on_data()
            data_started = True
            pipe.write(wire)
            code, text = await pipe.reply()
        except OSError as exc:
            # Disconnected, timed out (TimeoutError is an OSError) or reset.
            self._drop()
            what = str(exc) or type(exc).__name__
            if data_started:
                return Delivery(
                    TransportStatus.UNCERTAIN, 0,
                    f"connection lost after the message was sent, before the server "
                    f"replied ({what})",
                    connection_lost=True,
                )
            return Delivery(TransportStatus.DEFERRED, 0, f"connection lost ({what})",
                            connection_lost=True)
        if code == 421:
            self._drop()
        return classify_reply(code, text)

    async def _envelope_refused(self, pipe: ReplyPipe,
                                replies: list[tuple[int, str]]) -> Delivery | None:
        """``None`` when MAIL and RCPT got 2xx and DATA 354; else the refusal's
        :class:`Delivery`, after ending the transaction (RFC 2920 §3.1, RFC 5321 §4.1.1.5).
        """
        names = ("MAIL", "RCPT", "DATA")
        for index, (code, text) in enumerate(replies):
            accepted = code == 354 if names[index] == "DATA" else 200 <= code < 300
            if accepted:
                continue
            data_code = replies[2][0] if len(replies) == 3 else 0
            if data_code == 354:
                # The server took DATA although the envelope failed: end an empty message.
                pipe.write(b".\r\n")
                await pipe.reply()
            delivery = classify_reply(code, text)
            if names[index] == "MAIL" and code >= 500:
                delivery = replace(delivery, sender_refused=True)
            await self._reset(code)
            return delivery
        return None

    async def _reset(self, code: int) -> None:
        """RSET after a refused envelope (RFC 5321 §4.1.1.5); drop the connection after 421
        (the server is closing it, §3.8)."""
        if code == 421 or self._pipe is None:
            self._drop()
            return
        try:
            self._pipe.write(b"RSET\r\n")
            await self._pipe.reply()
        except OSError:
            self._drop()

    def _drop(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None

    async def close(self) -> None:
        """Say QUIT and close the connection."""
        pipe, self._pipe = self._pipe, None
        if pipe is None:
            return
        try:
            if pipe.open:
                pipe.write(b"QUIT\r\n")
                await pipe.reply()
        except OSError:
            pass
        pipe.close()


async def _quietly_quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except (smtp_errors.SMTPException, OSError):
        client.close()
