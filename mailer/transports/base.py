"""The transport interface: open once, deliver many messages, close once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from mailer.message import Message
from mailer.outcome import OUTBOX, Outcome

__all__ = ["OUTBOX", "Pacing", "Transport", "TransportBase"]


@dataclass(frozen=True)
class Pacing:
    """How fast a transport may go unless ``mailer.yaml`` says otherwise.

    Attributes:
        connections: connections used side by side.
        rate_per_minute: most messages started in any 60 s window (0 = no limit).
        daily_cap: most submissions in any rolling 24 hours (0 = no limit).
        counts_submissions: submissions count toward the daily cap (true for a server,
            false for the outbox folder, where nothing leaves the computer).
    """

    connections: int = 1
    rate_per_minute: int = 0
    daily_cap: int = 0
    counts_submissions: bool = False


class Submission:
    """A message handed to a transport (:meth:`Transport.submit`): its outcome, known at
    once or once the server's reply to its data has been read.

    A server that offers PIPELINING (RFC 2920 §3.1, which allows the next MAIL, RCPT and
    DATA to follow a message's final "." without waiting) is sent the next message's
    envelope before this message's reply is read; that reply is then read first, as the
    next message is submitted, or by :meth:`outcome`.

    Args:
        settle: reads the reply still owed (the transport's), for :meth:`outcome`.
        on_outcome: called once with the outcome, as soon as it is known (the engine
            records it in the journal there, before the next message's data goes out).
    """

    __slots__ = ("_outcome", "_settle", "_on_outcome")

    def __init__(self, settle: Callable[[], Awaitable[None]] | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None) -> None:
        self._outcome: Outcome | None = None
        self._settle = settle
        self._on_outcome = on_outcome

    @property
    def done(self) -> bool:
        """True once the outcome is known."""
        return self._outcome is not None

    def resolve(self, outcome: Outcome) -> Submission:
        """Set the outcome and tell ``on_outcome`` (once; a second call is ignored).
        Returns this submission. Raises what ``on_outcome`` raises (a journal error)."""
        if self._outcome is None:
            self._outcome = outcome
            if self._on_outcome is not None:
                self._on_outcome(outcome)
        return self

    async def outcome(self) -> Outcome:
        """The outcome, reading the server's reply first if it has not been read yet."""
        if self._outcome is None and self._settle is not None:
            await self._settle()
        assert self._outcome is not None  # the transport reads the reply in _settle
        return self._outcome


class Transport(Protocol):
    """Delivers messages: the one interface every destination has (Django's ``core.mail``
    backends are the model). Used as ``async with transport: await transport.deliver(m)``.

    ``open`` raises :class:`mailer.errors.TransportError` when the transport cannot be used
    at all (nothing sent); ``deliver`` never raises for a per-message problem, it returns an
    :class:`mailer.outcome.Outcome` (``sent`` from a server, ``written`` from the outbox
    folder).

    Attributes:
        label: where mail goes, in words (``outbox folder /path``,
            ``smtp.office365.com:587 (STARTTLS)``).
        journal_name: how the journal names the destination (``outbox``, ``smtp HOST``).
        emails: true when messages leave this computer (a server), false for the outbox
            folder (a look, not a send).
        pacing: the default pacing (:class:`Pacing`).
    """

    label: str
    journal_name: str
    emails: bool
    pacing: Pacing
    #: Called just before the transport waits for the server (set by the engine, which
    #: commits the outcomes it holds for later there); ``None``: nothing to call.
    before_wait: Callable[[], None] | None

    def describe(self) -> str:
        """The :attr:`label`."""
        ...

    async def open(self) -> None:
        """Connect / prepare. Raises :class:`mailer.errors.TransportError`."""
        ...

    async def deliver(
        self, message: Message, on_data: Callable[[], None] | None = None
    ) -> Outcome:
        """Deliver one message to its one recipient. ``on_data`` is called just before
        the message's data is handed over (after the server accepted the envelope), so
        the journal can say "data sent, awaiting reply" first."""
        ...

    async def submit(
        self, message: Message, on_data: Callable[[], None] | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> Submission:
        """Like :meth:`deliver`, but may return once the data is handed over, before
        the reply to it is read (see :class:`Submission`); ``on_outcome`` gets the outcome
        when it is known. The message submitted before this one has its outcome by the
        time this one's data goes out."""
        ...

    async def close(self) -> None:
        """Release connections; safe to call twice."""
        ...

    async def __aenter__(self) -> Transport:
        ...

    async def __aexit__(self, *exc: object) -> None:
        ...


class TransportBase:
    """What every transport shares: ``async with`` opens and closes it, and
    :meth:`describe` gives its label."""

    label = ""
    before_wait: Callable[[], None] | None = None

    def describe(self) -> str:
        """The transport's label."""
        return self.label

    async def open(self) -> None:  # pragma: no cover - every transport defines it
        raise NotImplementedError

    async def deliver(self, message: Message,  # pragma: no cover - every transport has it
                      on_data: Callable[[], None] | None = None) -> Outcome:
        raise NotImplementedError

    async def submit(self, message: Message, on_data: Callable[[], None] | None = None,
                     on_outcome: Callable[[Outcome], None] | None = None) -> Submission:
        """:meth:`deliver`, its outcome known at once (a transport that reads replies
        later defines its own)."""
        outcome = await self.deliver(message, on_data)
        return Submission(on_outcome=on_outcome).resolve(outcome)

    async def close(self) -> None:  # pragma: no cover - every transport defines it
        raise NotImplementedError

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
