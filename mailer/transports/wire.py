"""SMTP commands and replies on an open connection, for sending messages fast.

aiosmtplib opens the connection (greeting, EHLO, STARTTLS, AUTH); :class:`ReplyPipe` then
takes the connection over for the mail transactions, so that MAIL FROM, RCPT TO and DATA
can go in one write when the server offers PIPELINING (RFC 2920), and each message's data
is prepared with a few byte operations instead of regular expressions.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable

from mailer import sendwords
from mailer.message import smtp_data

__all__ = ["ReplyPipe", "command_address", "smtp_data"]

#: Longest reply line accepted (RFC 5321 §4.5.3.1.5 says 512 octets; generous).
MAX_REPLY_LINE = 8192
_UNSAFE_IN_COMMAND = re.compile(r"[\x00-\x20\x7f<>]")


def command_address(address: str) -> bytes:
    """``address`` for ``MAIL FROM:<...>`` / ``RCPT TO:<...>`` (RFC 5321 §4.1.2).

    Raises:
        ValueError: the address is not ASCII or holds a space, a control character, or
            angle brackets (it would break or inject into the command).
    """
    if _UNSAFE_IN_COMMAND.search(address):
        raise ValueError(sendwords.unsafe_address_words(address))
    return address.encode("ascii")


class ReplyPipe(asyncio.Protocol):
    """Reads SMTP replies (RFC 5321 §4.2: ``250-...`` continuation lines, then ``250 ...``)
    from a connection, in order, however they arrive; several pipelined replies may come
    in one packet.

    Args:
        transport: the open (plain or TLS) connection; this object becomes its protocol.
        timeout_s: seconds to wait for any one reply.
        before_wait: called when :meth:`reply` is about to wait because no reply has
            arrived yet (the sending engine commits its journal there).

    :meth:`reply` raises ``ConnectionResetError`` when the connection is lost and
    ``TimeoutError`` when no reply comes in time (both ``OSError``).
    """

    def __init__(self, transport: asyncio.BaseTransport, timeout_s: float,
                 before_wait: Callable[[], None] | None = None) -> None:
        self.transport = transport
        self.timeout_s = timeout_s
        self.before_wait = before_wait
        self._buffer = bytearray()
        self._lines: list[str] = []
        self._replies: deque[tuple[int, str]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lost: OSError | None = None
        transport.set_protocol(self)

    @property
    def open(self) -> bool:
        """True until the connection is lost or closed."""
        return self._lost is None and not self.transport.is_closing()

    def write(self, data: bytes) -> None:
        """Send ``data`` (buffered by the transport).

        Raises:
            ConnectionResetError: the connection is already lost.
        """
        if not self.open:
            raise self._lost or ConnectionResetError(sendwords.CONNECTION_IS_CLOSED)
        self.transport.write(data)  # type: ignore[attr-defined]

    async def reply(self) -> tuple[int, str]:
        """The next reply: (code, text; lines joined by newlines)."""
        if not self._replies and self._lost is None and self.before_wait is not None:
            self.before_wait()  # no reply is here yet: the caller's moment to catch up
        if not self._replies and self._lost is None:
            # One timer per wait (asyncio.wait_for costs several times more a reply).
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(self.timeout_s, self._time_out, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
        if self._replies:
            return self._replies.popleft()
        assert self._lost is not None
        raise self._lost

    def _time_out(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(TimeoutError(sendwords.no_reply_words(self.timeout_s)))

    def close(self) -> None:
        """Close the connection."""
        if self._lost is None:
            self._lost = ConnectionResetError(sendwords.CONNECTION_WAS_CLOSED)
        self.transport.close()

    # -- asyncio.Protocol -------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end < 0:
                break
            line = bytes(self._buffer[start:end + 1])
            start = end + 1
            try:
                code = int(line[:3])
            except ValueError:
                self._fail(sendwords.not_a_reply_words(line))
                return
            self._lines.append(line[4:].strip(b" \t\r\n").decode("utf-8", "replace"))
            if line[3:4] != b"-":
                self._replies.append((code, "\n".join(self._lines)))
                self._lines = []
        del self._buffer[:start]
        if len(self._buffer) > MAX_REPLY_LINE:
            self._fail(sendwords.REPLY_TOO_LONG)
            return
        if self._replies:
            self._wake()

    def eof_received(self) -> bool:
        self._set_lost(ConnectionResetError(sendwords.SERVER_CLOSED))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_lost(ConnectionResetError(
            sendwords.connection_lost_words(exc) if exc else sendwords.SERVER_CLOSED))

    def _fail(self, why: str) -> None:
        self._set_lost(ConnectionResetError(why))
        self.transport.close()

    def _set_lost(self, exc: OSError) -> None:
        if self._lost is None:
            self._lost = exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
