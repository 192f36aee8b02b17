"""What happened to a message: one vocabulary from the transport to the journal, the
summary and ``--json``.

A transport returns an :class:`Outcome` for each message; the engine records it in the
journal, which keeps the latest one per recipient (:class:`RecipientOutcome`); the summary
of ``mailer send`` and ``mailer status`` (words and ``--json``) read those same objects, so
the same thing has the same name everywhere:

- ``sent``: a server accepted the message (a 2yz reply, RFC 5321 §4.2.1): emailed;
- ``written``: the message was written to the outbox folder: a look, **not** emailed;
- ``deferred``: a temporary failure (4yz): tried again later;
- ``failed``: a permanent failure (5yz): tried again only with ``--retry-failed``;
- ``uncertain``: the data went out and no reply came back: it may have arrived;
- ``pending``: not tried yet (a journal state only; no transport returns it).

A run that ends before every due recipient was tried says why with a :class:`StopReason`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from mailer.replies import Action, Reply, Scope, enhanced_code


class State(str, Enum):
    """A recipient's state, and the result of one delivery (see the module docstring)."""

    PENDING = "pending"
    SENT = "sent"
    WRITTEN = "written"
    DEFERRED = "deferred"
    FAILED = "failed"
    UNCERTAIN = "uncertain"

    @property
    def done(self) -> bool:
        """True for a message that went where it was meant to (``sent`` or ``written``):
        it is not sent again on a later run of the same campaign."""
        return self in (State.SENT, State.WRITTEN)


#: The states of recipients tried and not (or not yet) sent, listed one by one.
NOT_DONE = (State.FAILED, State.DEFERRED, State.UNCERTAIN)


@dataclass(frozen=True)
class Outcome:
    """What happened to one message.

    Attributes:
        state: the result (never ``PENDING``).
        code: the SMTP reply code (RFC 5321 §4.2), 250 for the outbox, 0 if none came.
        text: the server's reply text (the enhanced status code included, as the server
            sent it), or a plain description.
        action: what the run does about the reply (:class:`mailer.replies.Action`): go on,
            pause (rate), stop for a day (quota), stop for the settings (sign-in, sender,
            refused, disk), or reconnect and send again (a command out of sequence).
        scope: what the reply is about (:class:`mailer.replies.Scope`).
        connection_lost: True when the connection broke (or timed out) during this
            message: the transport must reconnect. With ``DEFERRED`` the data had not been
            sent (safe to send again); with ``UNCERTAIN`` it had.
    """

    state: State
    code: int = 0
    text: str = ""
    action: Action = Action.NONE
    scope: Scope = Scope.NONE
    connection_lost: bool = False

    @property
    def enhanced(self) -> str:
        """The RFC 3463 enhanced status code that starts :attr:`text` (``5.1.1``), or ""."""
        return enhanced_code(self.text)

    @property
    def reply(self) -> str:
        """``550 5.1.1 No such user``: the code (when there is one) and the text."""
        return (f"{self.code} {self.text}" if self.code else self.text).strip()

    @classmethod
    def from_reply(cls, reply: Reply) -> Outcome:
        """The outcome of an SMTP reply as :func:`mailer.replies.classify` reads it: 2yz
        sent, 4yz deferred, 5yz failed (RFC 5321 §4.2.1)."""
        state = (State.SENT if reply.accepted else State.DEFERRED if reply.temporary
                 else State.FAILED)
        return cls(state, reply.code, reply.text, reply.action, reply.scope)


@dataclass(frozen=True)
class RecipientOutcome:
    """A recipient's latest :class:`Outcome` in a campaign: a journal row, or this run's.

    Attributes:
        email: the address (the journal keeps it in lower case).
        outcome: the latest outcome (state ``PENDING`` with no reply when never tried).
        attempts: tries so far, over every run.
        message_id: the Message-ID used (a resend reuses it), or ``None``.
        first_attempt, last_attempt: seconds since the epoch, or ``None``.
        earlier: left by an earlier run, not tried in this one (``mailer send`` only).
    """

    email: str
    outcome: Outcome
    attempts: int = 0
    message_id: str | None = None
    first_attempt: float | None = None
    last_attempt: float | None = None
    earlier: bool = False

    @property
    def state(self) -> State:
        """The latest state."""
        return self.outcome.state

    @property
    def code(self) -> int:
        """The latest reply code (0: none)."""
        return self.outcome.code

    @property
    def reply(self) -> str:
        """The latest reply text."""
        return self.outcome.text

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape, the same in ``mailer send`` and ``mailer status``:
        ``email``, ``state``, ``code``, ``enhanced``, ``reply``, ``attempts``,
        ``last_attempt`` (ISO 8601, UTC, or ``None``) and ``earlier``."""
        last = (dt.datetime.fromtimestamp(self.last_attempt, dt.timezone.utc)
                .isoformat(timespec="seconds") if self.last_attempt is not None else None)
        return {"email": self.email, "state": self.state.value, "code": self.code,
                "enhanced": self.outcome.enhanced, "reply": self.reply,
                "attempts": self.attempts, "last_attempt": last, "earlier": self.earlier}


class StopReason(str, Enum):
    """Why a run ended before every due recipient was tried."""

    THROTTLED = "throttled"        # the server said: too fast / over quota
    DAILY_CAP = "daily_cap"        # our own rolling 24 h cap is reached
    CONNECTION = "connection"      # the server cannot be reached any more
    SENDER_REFUSED = "sender_refused"  # the server will not send as this sender (5xx)
    LOGIN_REQUIRED = "login_required"  # the server wants AUTH and none was set (530)
    REFUSED = "refused"            # the server refuses this computer or account (relay...)
    DISK = "disk"                  # the outbox folder cannot be written (disk full...)
    INTERRUPTED = "interrupted"    # Ctrl-C
