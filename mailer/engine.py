"""The sending engine: a pool of connections delivering one message per recipient, paced,
retried and journalled so that nobody is sent twice and nobody is lost.

- ``connections`` transports work side by side, each reused for many messages and
  reconnected after an error; the first is opened before anything is sent, so a wrong
  password or an untrusted certificate stops the send with nothing sent.
- :class:`mailer.ratelimit.TokenBucket` holds ``rate_per_minute`` across the whole pool;
  :class:`mailer.ratelimit.DailyCap` holds ``daily_cap`` over a rolling 24 hours, counting
  earlier runs from the journal.
- Replies are read once, by :func:`mailer.replies.classify` (RFC 5321 §4.2, RFC 3463):
  about this recipient or this message, 2xx sent, 4xx deferred and tried again later in
  the same run with a growing wait (up to ``max_attempts``, never holding up the
  recipients after it), 5xx failed, and the send goes on; about the connection or
  account (rate, quota, sign-in, sender refused) the whole send stops cleanly and says when
  to go on; a command out of sequence (503) reconnects and sends again.
- A lost connection or timeout before the data went out reconnects and sends the message
  again; after the data went out the recipient stays ``uncertain`` and is not sent again
  (``--resend-uncertain`` does that on a later run).
- A message is marked ``uncertain`` in the journal (committed) before its data is handed
  over, and never sent again by itself once marked. With PIPELINING and no rate limit
  the next message's envelope follows a message's data at once (RFC 2920 §3.1); its
  reply is read before the next data goes out, and its outcome is committed together
  with the next message's mark (one write to disk a message). Anything known is
  committed before any wait, so a kill at any moment leaves a journal that tells the
  truth, at worst calling a message that arrived ``uncertain``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import signal
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace

from mailer.compose import Composer
from mailer.errors import ServerBusyError, TransportError
from mailer.journal import Journal
from mailer.lists import Recipient
from mailer.outcome import (  # RunResult and ProgressSink: imported from here too
    Outcome,
    ProgressSink,
    RecipientOutcome,
    RunResult,
    State,
    StopReason,
)
from mailer.ratelimit import DAY_S, Clock, DailyCap, SystemClock, TokenBucket
from mailer.replies import Action, classify, pause_seconds
from mailer.sendwords import daily_cap_words, keeps_breaking_words
from mailer.transports.base import Submission, Transport


def needs_login(code: int, text: str) -> bool:
    """True when a reply says the server wants AUTH before it takes mail (RFC 4954 §6:
    ``530 5.7.0 Authentication required``); see :func:`mailer.replies.classify`."""
    return code >= 500 and classify(code, text, "MAIL").action is Action.LOGIN


#: Wait after a busy server (421 on connect) before trying again, in seconds.
BUSY_WAIT_S = 15 * 60.0


class StoppedAtOnce(KeyboardInterrupt):
    """A second Ctrl-C stopped the run at once.

    Attributes:
        uncertain: addresses whose data had gone out with no reply yet (now ``uncertain``
            in the journal); empty when no message was on its way.
    """

    def __init__(self, uncertain: list[str]) -> None:
        super().__init__()
        self.uncertain = uncertain


class _NotStarted(Exception):
    """Raised by a message's ``on_data`` when the run began stopping while its envelope was
    on its way (a reply to the data before it said stop: a quota, a rate limit, a refused
    sender): its data is not sent, and it stays as it was for the next run."""


@dataclass(frozen=True)
class EngineSettings:
    """How the engine paces and retries.

    Attributes:
        connections: transports used side by side (``smtp.connections``).
        rate_per_minute: most messages started in any 60 s window (0 = no limit).
        daily_cap: most SMTP submissions in any rolling 24 h (0 = no limit).
        counts_submissions: record submissions for the daily cap (SMTP, not the outbox).
        max_attempts: tries per recipient in one run for temporary (4xx) failures.
        backoff_s: waits before the 2nd, 3rd... try, in seconds.
        max_reconnects: connection losses in a row before the run stops.
    """

    connections: int = 1
    rate_per_minute: int = 0
    daily_cap: int = 0
    counts_submissions: bool = False
    max_attempts: int = 3
    backoff_s: tuple[float, ...] = (60.0, 300.0)
    max_reconnects: int = 3


@dataclass(order=True)
class _Job:
    not_before: float
    seq: int
    recipient: Recipient = field(compare=False)
    attempts: int = field(default=0, compare=False)
    losses: int = field(default=0, compare=False)
    reply: str = field(default="", compare=False)
    message_id: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.recipient.email.lower()


class Engine:
    """Sends one campaign's due recipients.

    Args:
        composer: builds each message (called once per attempt; nothing is kept).
        journal: the open journal; the campaign and its recipient rows must exist, or be
            made to exist by ``journal_ready``.
        campaign: the campaign name.
        transport_factory: makes one unopened transport (called ``connections`` times).
        settings: pacing and retry settings.
        clock: time source (a controlled clock in tests).
        progress: told after every outcome.
        journal_ready: called once, before anything is written to the journal, once the
            first connection is open (or the run ends without one but for a problem the
            person must fix): a new campaign's rows are committed then, so they are
            written while the connection is made (TLS, sign-in). Not called when that
            connection fails with :class:`TransportError`: nothing was sent.
    """

    def __init__(
        self,
        *,
        composer: Composer,
        journal: Journal,
        campaign: str,
        transport_factory: Callable[[], Transport],
        settings: EngineSettings,
        clock: Clock | None = None,
        progress: ProgressSink | None = None,
        journal_ready: Callable[[], object] | None = None,
    ) -> None:
        self.composer = composer
        self._journal_ready = journal_ready
        self.journal = journal
        self.campaign = campaign
        self.factory = transport_factory
        self.settings = settings
        self.clock = clock or SystemClock()
        self.progress = progress
        self.result = RunResult()
        self._retries: list[_Job] = []
        self._seq = itertools.count()
        self._source: Iterator[Recipient] = iter(())
        #: Message-IDs of earlier tries (address -> ID), taken as each is sent again.
        self._message_ids: dict[str, str] = {}
        self._stopping = False
        self._active = 0
        self._announced: tuple[float, int] | None = None
        #: Addresses whose data went out and whose reply has not come yet.
        self.in_flight: set[str] = set()
        last = journal.last_submission() if settings.counts_submissions else None
        last_mono = None
        if last is not None:
            last_mono = self.clock.monotonic() - max(0.0, self.clock.time() - last)
        self.bucket = TokenBucket(settings.rate_per_minute, self.clock, last_grant=last_mono)
        earlier = (
            journal.submissions_since(self.clock.time() - DAY_S)
            if settings.counts_submissions and settings.daily_cap
            else []
        )
        self.daily = DailyCap(settings.daily_cap, earlier, self.clock)

    # -- stopping ---------------------------------------------------------------------

    def stop(self, reason: StopReason = StopReason.INTERRUPTED, text: str = "",
             retry_after: float | None = None) -> None:
        """Stop after the messages in flight (the first reason given is kept)."""
        if not self._stopping:
            self._stopping = True
            self.result.stopped = reason
            self.result.stop_text = text
            self.result.retry_after = retry_after

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stopping

    # -- the run ----------------------------------------------------------------------

    async def run(self, due: Iterable[Recipient], total: int, *,
                  handle_signals: bool = False) -> RunResult:
        """Send to every recipient in ``due`` (``total`` of them).

        Raises:
            TransportError: the first connection cannot be made for a reason the user must
                fix (AUTH refused, TLS failure, STARTTLS not offered, cannot connect);
                nothing was sent.
        """
        self.result.due = total
        self._source = iter(due)
        if total == 0:
            self._ready()
            return self.result
        self._message_ids = self.journal.message_ids(self.campaign)
        if self.daily.remaining() == 0:
            self._ready()
            self.stop(StopReason.DAILY_CAP,
                      daily_cap_words(self.settings.daily_cap),
                      self.daily.next_free(min(total, self.settings.daily_cap)))
            return self.result
        await self._run_pool(handle_signals)
        return self.result

    def _ready(self) -> None:
        """Call ``journal_ready`` (once)."""
        ready, self._journal_ready = self._journal_ready, None
        if ready is not None:
            ready()

    async def _run_pool(self, handle_signals: bool) -> None:
        """Open the first connection, then send on every connection of the pool."""
        async with AsyncExitStack() as stack:
            # The first connection is opened before anything is sent: a problem the person
            # must fix (sign-in, certificate) ends the run here with nothing sent.
            try:
                first = await stack.enter_async_context(self.factory())
            except ServerBusyError as exc:
                self._ready()
                self.stop(StopReason.THROTTLED, exc.message, self.clock.time() + BUSY_WAIT_S)
                return
            self._ready()
            stack.enter_context(self.journal.fewer_checkpoints())
            self.result.emails = first.emails
            remove = self._install_signals() if handle_signals else None
            try:
                self._active = self.settings.connections
                await asyncio.gather(
                    self._worker(first),
                    *(self._pooled(self.factory())
                      for _ in range(self.settings.connections - 1)))
            finally:
                if remove is not None:
                    remove()

    async def _pooled(self, transport: Transport) -> None:
        """One more connection of the pool, opened and closed with ``async with``. One that
        cannot be opened (a server allowing fewer connections than configured) leaves the
        work to the others; when it is the last, the run stops."""
        try:
            async with transport:
                await self._worker(transport)
        except TransportError as exc:  # raised only by opening: the worker catches its own
            self._active -= 1
            if self._active == 0 and (self.result.not_tried or self._retries):
                self._stop_connection(exc)

    def _install_signals(self) -> Callable[[], None] | None:
        """First Ctrl-C (or SIGTERM, or SIGHUP): stop after the messages in flight. A second Ctrl-C
        stops at once (the journal still tells the truth)."""
        loop = asyncio.get_running_loop()

        def first_signal() -> None:
            self.stop(StopReason.INTERRUPTED)
            loop.remove_signal_handler(signal.SIGINT)

        # SIGTERM, and SIGHUP (the terminal window was closed), stop like a first Ctrl-C.
        others = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
        try:
            loop.add_signal_handler(signal.SIGINT, first_signal)
            for sig in others:
                loop.add_signal_handler(sig, lambda: self.stop(StopReason.INTERRUPTED))
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
            return None

        def remove() -> None:
            for sig in (signal.SIGINT, *others):
                loop.remove_signal_handler(sig)

        return remove

    async def _next_job(self, before_wait: Callable[[], Awaitable[None]]) -> _Job | None:
        """The next recipient to try (a retry that is due first), or ``None`` when none is
        left or the run is stopping. ``before_wait`` is awaited before any wait for a
        retry's back-off (it reads the reply still owed on this connection)."""
        while not self._stopping:
            now = self.clock.monotonic()
            if self._retries and self._retries[0].not_before <= now:
                return heapq.heappop(self._retries)
            rec = next(self._source, None)
            if rec is not None:
                return _Job(0.0, next(self._seq), rec)
            if not self._retries:
                return None
            # Only retries are left, and none is due yet: say what we wait for, then wait
            # in short steps so a Ctrl-C is noticed.
            await before_wait()
            now = self.clock.monotonic()
            if self._retries[0].not_before <= now or self._stopping:
                continue
            self._announce_wait(now)
            await self.clock.sleep(min(self._retries[0].not_before - now, 1.0))
        return None

    def _announce_wait(self, now: float) -> None:
        first = self._retries[0]
        key = (first.not_before, len(self._retries))
        if self._announced == key or self.progress is None:
            return
        self._announced = key
        waiting = getattr(self.progress, "waiting", None)
        if waiting is not None:
            waiting(self.clock.time() + (first.not_before - now), len(self._retries),
                    first.reply)

    def _requeue(self, job: _Job, delay: float = 0.0) -> None:
        job.not_before = self.clock.monotonic() + delay
        job.seq = next(self._seq)
        heapq.heappush(self._retries, job)

    async def _worker(self, transport: Transport) -> None:
        """Send on one connection until nothing is left or the run stops.

        With no rate limit, a message is submitted before the reply to the one before it
        has been read (:meth:`Transport.submit`; RFC 2920 lets the next envelope follow a
        message's data); the transport reads that reply before this message's data goes
        out, and its outcome goes into the journal with that message's ``uncertain`` mark,
        in one commit (see :meth:`_submit`). With a rate limit, and before any wait, the
        reply still owed is read and every outcome known is committed first.
        """
        behind: Submission | None = None  # its reply not read yet
        # Outcomes held for the next commit are committed before any wait on the server.
        transport.before_wait = self.journal.flush

        async def settle() -> None:
            nonlocal behind
            if behind is not None:
                submission, behind = behind, None
                await submission.outcome()  # recorded as it resolves (_submit)
            self.journal.flush()

        try:
            while True:
                job = await self._next_job(settle)
                if job is None:
                    if behind is None:
                        break
                    await settle()  # its outcome may bring a retry back
                    continue
                if self.settings.rate_per_minute:
                    await settle()  # the bucket may wait: record what is known first
                if not self.daily.take():
                    left = self.result.not_tried
                    self.stop(
                        StopReason.DAILY_CAP,
                        daily_cap_words(self.settings.daily_cap),
                        self.daily.next_free(min(left, self.settings.daily_cap)),
                    )
                    break
                if await self.bucket.acquire(lambda: self._stopping) is None:
                    break
                try:
                    submission = await self._submit(transport, job, self.clock.time())
                except TransportError as exc:
                    # A reconnect failed. Another connection may still be working (for
                    # example a server that allows fewer connections than configured).
                    self._requeue(job)
                    await settle()
                    if self._active == 1:
                        self._stop_connection(exc)
                    break
                behind = None if submission is None or submission.done else submission
                # What this message's data went out with is committed; what was learnt
                # since (a refused envelope, a lost connection) is committed now.
                self.journal.flush()
            await settle()
        except BaseException:
            # Keep what is known, if the journal still takes it (it may be what failed).
            with contextlib.suppress(Exception):
                self.journal.flush()
            raise
        finally:
            self._active -= 1

    def _stop_connection(self, exc: TransportError) -> None:
        """Stop the run after the last working connection could not be (re)opened."""
        reason = (StopReason.THROTTLED if isinstance(exc, ServerBusyError)
                  else StopReason.CONNECTION)
        self.stop(reason, exc.message, self.clock.time() + BUSY_WAIT_S)

    async def _submit(self, transport: Transport, job: _Job,
                      started: float) -> Submission | None:
        """Compose the job's message and hand it to ``transport``. The journal marks it
        ``uncertain`` just before its data goes out, and records its outcome as soon as
        the transport knows it. ``None`` when the run began stopping before its data went
        out (nothing was sent; the transport closed its connection)."""
        rec = job.recipient
        key = job.key
        if job.message_id is None:  # a resend reuses the Message-ID of an earlier try
            job.message_id = self._message_ids.pop(key, None)
        message = self.composer.compose(rec.email, rec.name, rec.fields(),
                                        message_id=job.message_id)
        message_id = job.message_id = message.message_id
        marked = False

        def on_data() -> None:
            nonlocal marked
            if self._stopping:
                raise _NotStarted  # the transport closes without sending the data
            self.journal.mark_uncertain(self.campaign, key, message_id,
                                        submission=self.settings.counts_submissions,
                                        started=started)
            marked = True
            self.in_flight.add(rec.email)

        def on_outcome(outcome: Outcome) -> None:
            self.in_flight.discard(rec.email)
            self._handle(job, outcome, marked, message_id)

        try:
            return await transport.submit(message, on_data, on_outcome)
        except _NotStarted:
            return None  # no outcome: the parent stays pending (or deferred)

    def _handle(self, job: _Job, d: Outcome, marked: bool, message_id: str) -> None:
        key = job.key
        count_attempt = not marked  # mark_uncertain already counted this attempt

        def record(state: State) -> None:
            outcome = d if d.state is state else replace(d, state=state)
            # Committed with the next message's "uncertain" mark, or by the worker's
            # flush before anything else (see _worker).
            self.journal.record(self.campaign, key, outcome, message_id=message_id,
                                new_attempt=count_attempt, later=True)
            self.result.set_outcome(key, RecipientOutcome(job.recipient.email, outcome))
            if self.progress is not None:
                self.progress.update(self.result)

        if d.state in (State.SENT, State.WRITTEN, State.UNCERTAIN):
            record(d.state)
            return
        reply = f"{d.code} {d.text}".strip()
        stop = {Action.LOGIN: StopReason.LOGIN_REQUIRED, Action.SENDER: StopReason.SENDER_REFUSED,
                Action.REFUSED: StopReason.REFUSED, Action.PAUSE: StopReason.THROTTLED,
                Action.QUOTA: StopReason.THROTTLED, Action.DISK: StopReason.DISK,
                }.get(d.action)
        if stop is not None:
            # About the connection or the account, not this parent: every message would be
            # answered the same way. The parent is kept for the next run.
            record(State.DEFERRED)
            retry = (self.clock.time() + pause_seconds(d.action)
                     if stop is StopReason.THROTTLED else None)
            self.stop(stop, d.text if stop is StopReason.DISK else reply, retry)
            return
        if d.connection_lost:
            # Nothing was sent: reconnect (on the next deliver) and send it again.
            record(State.DEFERRED)
            job.losses += 1
            if job.losses >= self.settings.max_reconnects:
                self.stop(StopReason.CONNECTION,
                          keeps_breaking_words(d.text),
                          self.clock.time() + BUSY_WAIT_S)
                return
            self._requeue(job)
            return
        if d.state is State.FAILED:
            record(State.FAILED)
            return
        record(State.DEFERRED)
        job.attempts += 1
        job.reply = f"{d.code} {d.text}".strip()
        if job.attempts < self.settings.max_attempts:
            waits = self.settings.backoff_s or (60.0,)
            self._requeue(job, waits[min(job.attempts - 1, len(waits) - 1)])
