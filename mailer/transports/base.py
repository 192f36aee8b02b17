"""The transport interface: open once, deliver many messages, close once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from mailer.message import Message
from mailer.replies import Action, Reply, Scope


class TransportStatus(str, Enum):
    """Outcome of delivering one message."""

    SENT = "sent"            # accepted (2xx reply, or written to the outbox)
    DEFERRED = "deferred"    # temporary failure (4xx): try again later
    FAILED = "failed"        # permanent failure (5xx): do not retry automatically
    UNCERTAIN = "uncertain"  # the data went out but no reply came back


@dataclass(frozen=True)
class Delivery:
    """What happened to one message.

    Attributes:
        status: the outcome.
        code: the SMTP reply code (RFC 5321 §4.2), 250 for the outbox, 0 if none came.
        text: the server's reply text, or a plain description.
        action: what the run does about the reply (:class:`mailer.replies.Action`): go on,
            pause (rate), stop for a day (quota), stop for the settings (sign-in, sender,
            refused), or reconnect and send again (a command out of sequence).
        scope: what the reply is about (:class:`mailer.replies.Scope`).
        connection_lost: True when the connection broke (or timed out) during this
            message: the transport must reconnect. With ``DEFERRED`` the data had not been
            sent (safe to send again); with ``UNCERTAIN`` it had.
    """

    status: TransportStatus
    code: int = 0
    text: str = ""
    action: Action = Action.NONE
    scope: Scope = Scope.NONE
    connection_lost: bool = False

    @classmethod
    def from_reply(cls, reply: Reply) -> Delivery:
        """A :class:`Delivery` for an SMTP reply as :func:`mailer.replies.classify` reads
        it: 2yz sent, 4yz deferred, 5yz failed (RFC 5321 §4.2.1)."""
        status = (TransportStatus.SENT if reply.accepted else TransportStatus.DEFERRED
                  if reply.temporary else TransportStatus.FAILED)
        return cls(status, reply.code, reply.text, reply.action, reply.scope)


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
    at all (nothing sent); ``deliver`` never raises for a per-message problem, it returns a
    :class:`Delivery`.

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
    ) -> Delivery:
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
