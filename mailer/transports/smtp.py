"""The SMTP transport: submission with aiosmtplib over one reused connection.

Security rules: STARTTLS (RFC 3207) by default and never a silent downgrade when the
server does not offer it; implicit TLS (RFC 8314) with ``security: tls``; certificates
verified against the system's CAs plus ``ca_file``; ``security: none`` only to loopback
(checked by :mod:`mailer.config`); AUTH never over an unencrypted connection except to
loopback.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import replace

import aiosmtplib
from aiosmtplib import errors as smtp_errors

from mailer import sendwords
from mailer.config import SmtpConfig
from mailer.credentials import Authenticator
from mailer.errors import ServerBusyError, TransportError
from mailer.message import Message
from mailer.oauth.words import smtp_auth_words
from mailer.outcome import Outcome, State
from mailer.replies import Action, classify
from mailer.transports.base import Pacing, Submission, TransportBase
from mailer.transports.wire import ReplyPipe, command_address
from mailer.transports.xoauth2 import token_expiring


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
            raise TransportError(sendwords.ca_file_words(exc), path=smtp.ca_file) from None
    return context


class SmtpTransport(TransportBase):
    """One SMTP connection, reused for every message.

    aiosmtplib connects, secures and signs in (through ``credentials``); the mail
    transactions then run on a :class:`~mailer.transports.wire.ReplyPipe` that owns the
    connection from there on, with MAIL FROM, RCPT TO and DATA in one write when the server
    offers PIPELINING (RFC 2920).

    Args:
        smtp: the server settings.
        credentials: signs in on the open connection (:class:`mailer.credentials.Credentials`
            or another object with ``async authenticate(client)``, e.g. XOAUTH2), or
            ``None`` for no AUTH.
    """

    name = "smtp"
    emails = True

    def __init__(self, smtp: SmtpConfig, credentials: Authenticator | None = None) -> None:
        self.smtp = smtp
        self.credentials = credentials
        # When the token this connection signed in with runs out (seconds since the
        # epoch; None: never), and whether a message was started since.
        self._signed_in_until: float | None = None
        self._used_since_sign_in = False
        self._pipe: ReplyPipe | None = None
        #: Called before waiting for the server (see :class:`TransportBase`).
        self.before_wait: Callable[[], None] | None = None
        #: The message whose data went out and whose reply is still to be read.
        self._outstanding: Submission | None = None
        self._pipelining = False
        self._size = False
        self.label = sendwords.server_label_words(smtp.host, smtp.port, smtp.security)
        self.journal_name = f"smtp {smtp.host.lower()}"
        self.pacing = Pacing(connections=smtp.connections,
                             rate_per_minute=smtp.rate_per_minute,
                             daily_cap=smtp.daily_cap, counts_submissions=True)

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
                    raise TransportError(sendwords.no_starttls_words(where))
                await client.starttls(tls_context=context)
            if self.credentials is not None:
                if cfg.security == "none" and not cfg.is_loopback:
                    raise TransportError(sendwords.PLAINTEXT_AUTH_REFUSED)
                # The one place this transport signs in: a password (Credentials) or
                # XOAUTH2 (mailer.transports.xoauth2), which says when its token runs out.
                until = await self.credentials.authenticate(client)
                self._signed_in_until = until if isinstance(until, float) else None
                self._used_since_sign_in = False
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
                    sendwords.busy_words(where, exc.code, exc.message),
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
                raise TransportError(sendwords.nothing_answering_words(where)) from None
            raise TransportError(sendwords.cannot_connect_words(where, exc)) from None
        except (smtp_errors.SMTPException, OSError) as exc:
            await _quietly_quit(client)
            text = str(exc) or type(exc).__name__
            if "certificate" in text.lower():
                raise self._untrusted(text) from None
            raise TransportError(sendwords.cannot_connect_words(where, text)) from None
        assert client.transport is not None
        self._pipelining = client.supports_extension("pipelining")
        self._size = client.supports_extension("size")
        # From here on the connection is ours: aiosmtplib's part (connect, TLS, AUTH) is done.
        self._pipe = ReplyPipe(client.transport, cfg.timeout_s, self._about_to_wait)

    def _about_to_wait(self) -> None:
        if self.before_wait is not None:
            self.before_wait()

    def _untrusted(self, why: str) -> TransportError:
        return TransportError(sendwords.untrusted_words(self._where(), why))

    def _refused(self, exc: smtp_errors.SMTPResponseException) -> TransportError:
        """A permanent refusal while connecting or logging in (AUTH 535 and the like)."""
        cfg = self.smtp
        where = self._where()
        words = smtp_auth_words(cfg, exc.code, exc.message)
        if words is not None:
            return TransportError(words)
        if isinstance(exc, smtp_errors.SMTPAuthenticationError):
            return TransportError(sendwords.bad_password_words(
                where, exc.code, exc.message, cfg.username, cfg.password_env))
        return TransportError(sendwords.refused_connection_words(where, exc.code, exc.message))

    @property
    def connected(self) -> bool:
        """True while the connection is open."""
        return self._pipe is not None and self._pipe.open

    @property
    def pipelining(self) -> bool:
        """True when the server offered PIPELINING (RFC 2920) on this connection."""
        return self._pipelining

    async def deliver(
        self, message: Message, on_data: Callable[[], None] | None = None
    ) -> Outcome:
        """Send one message and read the server's reply to it: :meth:`submit`, then its
        outcome. Same arguments and errors as :meth:`submit`."""
        return await (await self.submit(message, on_data)).outcome()

    async def submit(
        self, message: Message, on_data: Callable[[], None] | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> Submission:
        """Send one message to its one recipient (MAIL, RCPT, DATA; RFC 5321 §3.3).
        ``on_data`` is called after MAIL, RCPT and DATA were accepted (354) and before the
        message's data is written; ``on_outcome`` as soon as the outcome is known.

        With PIPELINING (RFC 2920 §3.1) the three commands go in one write, right behind
        the data of the message submitted before, whose reply is read first (its
        :class:`Submission` is resolved, and its ``on_outcome`` called, before this
        message's replies are read); this message's reply is left to be read the same
        way, by the next call, :meth:`Submission.outcome` or :meth:`close`.
        Every reply is checked: a refused MAIL or RCPT means no data is sent (a lone "."
        ends the data if the server said 354 to DATA anyway), then RSET. Without
        PIPELINING each command waits for its reply, and so does the data.

        A broken connection or a timeout comes back with ``connection_lost=True``: as
        ``DEFERRED`` when it happened before the data (nothing was sent), as ``UNCERTAIN``
        after (the server may have the message).

        Raises:
            TransportError: when a reconnect is needed and fails (see :meth:`open`).
        """
        submission = Submission(settle=self._settle, on_outcome=on_outcome)
        try:
            size = b" SIZE=%d" % len(message.data) if self._size else b""  # RFC 1870
            mail = b"MAIL FROM:<%s>%s\r\n" % (command_address(message.envelope_from), size)
            rcpt = b"RCPT TO:<%s>\r\n" % command_address(message.recipient)
        except ValueError as exc:  # an address that cannot go in a command
            return submission.resolve(
                Outcome(State.FAILED, 0, sendwords.unusable_address_words(exc)))
        if self._pipe is not None and (not self._pipe.open or (
                self._used_since_sign_in and token_expiring(self._signed_in_until))):
            # Lost, or signing in again with a fresh token before it runs out: the reply
            # still owed for the message before is read first (close does).
            await self.close()
        if self._pipe is None:
            await self.open()
        self._used_since_sign_in = True
        pipe = self._pipe
        assert pipe is not None
        wire = message.smtp_data
        data_started = False
        try:
            if self._pipelining:
                pipe.write(mail + rcpt + b"DATA\r\n")
                # The reply to the message before comes first (RFC 2920 §3.1).
                await self._settle()
                if self._pipe is not pipe:  # that reply closed the connection (421, lost)
                    raise ConnectionResetError(sendwords.CONNECTION_WAS_CLOSED)
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
                return submission.resolve(refused)
            if on_data is not None:
                try:
                    on_data()
                except BaseException:
                    # The server is reading message data now: a QUIT would be taken as
                    # part of it and never answered. Closing without the final "." makes
                    # it discard the message (RFC 5321 §4.1.1.4): nothing was sent.
                    self._drop()
                    raise
            data_started = True
            pipe.write(wire)
            if self._pipelining:
                self._outstanding = submission
                return submission
            code, text = await pipe.reply()
        except OSError as exc:
            # Disconnected, timed out (TimeoutError is an OSError) or reset.
            self._drop()
            return submission.resolve(self._lost(exc, data_started))
        if code == 421:
            self._drop()
        return submission.resolve(Outcome.from_reply(classify(code, text, "DATA")))

    @staticmethod
    def _lost(exc: OSError, data_started: bool) -> Outcome:
        """The outcome of a message whose connection broke: ``UNCERTAIN`` once its data
        went out (the server may have it), else ``DEFERRED`` (nothing was sent)."""
        what = str(exc) or type(exc).__name__
        if data_started:
            return Outcome(
                State.UNCERTAIN, 0,
                sendwords.lost_after_data_words(what),
                connection_lost=True,
            )
        return Outcome(State.DEFERRED, 0, sendwords.lost_words(what), connection_lost=True)

    async def _settle(self) -> None:
        """Read the reply to the data of the message submitted before, if it is still to
        be read, and resolve its :class:`Submission`. A broken connection makes that
        message ``UNCERTAIN`` and drops the connection. Raises only what the submission's
        ``on_outcome`` raises (a journal error), after dropping the connection: the
        replies for an envelope already written would otherwise be taken for others."""
        submission, self._outstanding = self._outstanding, None
        if submission is None:
            return
        pipe = self._pipe
        try:
            if pipe is None:
                raise ConnectionResetError(sendwords.CONNECTION_WAS_CLOSED)
            code, text = await pipe.reply()
        except OSError as exc:
            self._drop()
            outcome = self._lost(exc, data_started=True)
        else:
            if code == 421:
                self._drop()
            outcome = Outcome.from_reply(classify(code, text, "DATA"))
        try:
            submission.resolve(outcome)
        except BaseException:
            self._drop()
            raise

    async def _envelope_refused(self, pipe: ReplyPipe,
                                replies: list[tuple[int, str]]) -> Outcome | None:
        """``None`` when MAIL and RCPT got 2xx and DATA 354; else the refusal's
        :class:`Outcome`, after ending the transaction (RFC 2920 §3.1, RFC 5321 §4.1.1.5).
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
            outcome = Outcome.from_reply(classify(code, text, names[index]))
            if outcome.action is Action.RECONNECT:
                # Out of sequence (503): this connection's state is not what we think.
                self._drop()
                return replace(outcome, state=State.DEFERRED,
                               connection_lost=True)
            await self._reset(code)
            return outcome
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
        submission, self._outstanding = self._outstanding, None
        if submission is not None:  # its data went out; its reply can no longer be read
            submission.resolve(self._lost(ConnectionResetError(sendwords.CONNECTION_WAS_CLOSED),
                                          data_started=True))

    async def close(self) -> None:
        """Read the reply still owed for the last message, say QUIT and close the
        connection."""
        await self._settle()
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
