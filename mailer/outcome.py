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

Around those, the data of a campaign's run, with no logic that reads or writes anything:
what the journal knows of a campaign (:class:`CampaignInfo`), what a run will do
(:class:`Plan`), what it did (:class:`RunResult`, updated after every outcome, and
:class:`ProgressSink`, which receives it) and the summary after it (:class:`SendSummary`).
The words for all of them are :mod:`mailer.sendwords`'s, which needs nothing above this
module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from mailer.replies import Action, Reply, Scope, enhanced_code

if TYPE_CHECKING:
    from mailer.lists import Recipient

#: How the journal names a campaign sent to the outbox folder (``smtp HOST`` otherwise).
OUTBOX = "outbox"


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


@dataclass(frozen=True)
class CampaignInfo:
    """One campaign row. Times are seconds since the epoch (UTC)."""

    name: str
    snippet: str
    list_path: str
    list_hash: str
    content_hash: str
    transport: str
    created: float
    updated: float


@dataclass
class Plan:
    """What a run of a campaign will do.

    Attributes:
        campaign: the campaign name.
        existing: the campaign as the journal has it, or ``None`` for a new campaign.
        recipients: every recipient on the list.
        due: the recipients this run sends, in list order.
        already_sent: recipients on the list the journal says were sent.
        failed_before: failed earlier and not retried (no ``--retry-failed``).
        uncertain_before: uncertain earlier and not sent again (no ``--resend-uncertain``).
        not_on_list: journal rows whose address is no longer on the list (not sent).
        list_changed: the list file differs from the one the campaign began with.
        refresh: the journal's record of the list, content or destination must be updated
            before sending (the change was accepted, or nothing was delivered yet).
        restart: the campaign only went to the outbox folder before and something changed
            (the advisory, the list, or now it goes through the server): every recipient
            starts again as pending (the outbox run was a look, not a delivery).
    """

    campaign: str
    existing: CampaignInfo | None
    recipients: list[Recipient]
    due: list[Recipient]
    already_sent: int = 0
    failed_before: list[RecipientOutcome] = field(default_factory=list)
    uncertain_before: list[RecipientOutcome] = field(default_factory=list)
    not_on_list: int = 0
    list_changed: bool = False
    refresh: bool = False
    restart: bool = False

    @property
    def skipped(self) -> int:
        """List recipients this run does not set out to send."""
        return len(self.recipients) - len(self.due)


@dataclass
class RunResult:
    """What a run did: counts per state, and the recipients not sent with their reply.
    Memory stays flat for sent recipients (only counted), whatever the list size.

    Attributes:
        due: recipients the run set out to send.
        tried: recipients with an outcome in this run.
        not_sent: the latest outcome of each recipient tried but not sent (by address).
        stopped: why the run ended early, or ``None``.
        stop_text: the server's reply or the problem, in words, when stopped.
        retry_after: wall time (epoch seconds) from which running again makes sense.
        emails: the transport emails (a server); false for the outbox folder, whose
            messages are ``written``, never ``sent``.
    """

    due: int = 0
    tried: int = 0
    not_sent: dict[str, RecipientOutcome] = field(default_factory=dict)
    stopped: StopReason | None = None
    stop_text: str = ""
    retry_after: float | None = None
    emails: bool = True
    _counts: dict[State, int] = field(default_factory=lambda: {s: 0 for s in State})

    def set_outcome(self, key: str, outcome: RecipientOutcome) -> None:
        """Record ``outcome`` as the recipient's latest (replacing an earlier one; a sent
        or written recipient gets no later outcome)."""
        old = self.not_sent.pop(key, None)
        if old is None:
            self.tried += 1
        else:
            self._counts[old.state] -= 1
        self._counts[outcome.state] += 1
        if not outcome.state.done:
            self.not_sent[key] = outcome

    def count(self, state: State) -> int:
        """Recipients whose last outcome in this run is ``state``."""
        return self._counts[state]

    @property
    def not_tried(self) -> int:
        """Due recipients this run never got to (they stay pending/deferred)."""
        return self.due - self.tried


class ProgressSink(Protocol):
    """Receives the running counts after every recipient's outcome."""

    def update(self, result: RunResult) -> None:
        """Called after each outcome."""
        ...

    def waiting(self, until: float, count: int, reply: str) -> None:
        """Called once when the run has only temporary failures left and waits for them:
        ``until`` is the wall time (epoch seconds) of the next try, ``count`` the
        recipients waiting, ``reply`` the server's last reply for the first of them."""
        ...


@dataclass
class SendSummary:
    """The outcome of ``mailer send``; ``as_dict`` is the ``--json`` shape.

    ``sent`` counts messages a server accepted (emailed); ``written`` counts messages
    written to the outbox folder (not emailed): the same names as ``mailer status --json``.

    ``sent``/``failed``/``deferred``/``uncertain`` count what happened in this run;
    ``skipped`` counts recipients this run did not set out to send (already sent, or
    failed/uncertain before and not asked to be tried again); ``pending`` counts due
    recipients the run never got to (stopped early).
    """

    campaign: str
    transport: str
    recipients: int = 0
    sent: int = 0
    written: int = 0
    failed: int = 0
    deferred: int = 0
    uncertain: int = 0
    skipped: int = 0
    pending: int = 0
    already_sent: int = 0
    stopped: StopReason | None = None
    stop_text: str = ""
    retry_after: float | None = None
    resume_command: str = ""
    sender: str = ""
    complete: bool = False
    failures: list[RecipientOutcome] = field(default_factory=list)
    #: per message language (see :meth:`mailer.language_plan.LanguagePlan.counts`), over
    #: the campaign's recipients; ``language_lines`` the same in words.
    languages: dict[str, object] = field(default_factory=dict)
    language_lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Counts plus the failures, for ``--json``."""
        retry = (
            dt.datetime.fromtimestamp(self.retry_after, dt.timezone.utc).isoformat()
            if self.retry_after is not None else None
        )
        return {
            "campaign": self.campaign,
            "transport": self.transport,
            "recipients": self.recipients,
            "sent": self.sent,
            "written": self.written,
            "failed": self.failed,
            "deferred": self.deferred,
            "uncertain": self.uncertain,
            "skipped": self.skipped,
            "pending": self.pending,
            "already_sent": self.already_sent,
            "complete": self.complete,
            "stopped": self.stopped.value if self.stopped else None,
            "stop_reason": self.stop_text or None,
            "retry_after": retry,
            "resume_command": self.resume_command or None,
            # The same names as ``mailer status CAMPAIGN --json``'s "not_sent".
            "not_sent": [f.as_dict() for f in self.failures],
            **self.languages,
        }
