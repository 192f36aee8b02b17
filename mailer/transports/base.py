"""The transport interface: open once, deliver many messages, close once."""

from __future__ import annotations

from collections.abc import Callable
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

    def describe(self) -> str:
        """The transport's label."""
        return self.label

    async def open(self) -> None:  # pragma: no cover - every transport defines it
        raise NotImplementedError

    async def close(self) -> None:  # pragma: no cover - every transport defines it
        raise NotImplementedError

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
