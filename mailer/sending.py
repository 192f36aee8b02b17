"""``mailer send`` from start to end, without the printing: prepare (render, read the list,
check the journal, pre-flight every message), then run (journal + engine), or send one
``--test-to`` proof.

:func:`send` is the whole of ``mailer send``: the CLI calls it with a
:class:`SendScreen` (how to show words, ask, and draw progress), prints its
:class:`SendOutcome` and maps its :class:`Ending` to the exit status. The words are
:mod:`mailer.sendwords`'.
"""

from __future__ import annotations

import asyncio
import operator
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from enum import Enum
from pathlib import Path
from typing import Protocol

from email_validator import EmailNotValidError, validate_email

from mailer import sendwords
from mailer.advice import send_warnings
from mailer.ahead import Ahead
from mailer.campaign import (
    Plan,
    SendSummary,
    check_campaign_name,
    check_fields,
    content_hash,
    default_campaign_name,
    file_hash,
    plan_campaign,
    preflight,
    summarise,
)
from mailer.compose import Composed, Composer
from mailer.config import Config, SmtpConfig, missing_postal_address
from mailer.credentials import credentials_for, silent_sign_in, smtp_password_for
from mailer.engine import Engine, EngineSettings, ProgressSink, StoppedAtOnce, needs_login
from mailer.errors import ConfigError, MailerError, ServerBusyError, TransportError
from mailer.jobs import builtin_notice, read_workspace_list, render_snippet
from mailer.journal import Journal, JournalError, PendingRows, SendLock, journal_path
from mailer.language_plan import ENGLISH, LanguageComposer, LanguagePlan, plan_languages
from mailer.lists import ListReport, Recipient, require_recipients, summary_text
from mailer.outcome import Outcome, State
from mailer.ratelimit import DAY_S, Clock, DailyCap, SystemClock
from mailer.render import Rendered
from mailer.transports import TransportChoice, choose_transport
from mailer.transports.base import OUTBOX
from mailer.workspace import Workspace

#: The folder (inside the outbox folder) that ``--test-to`` proofs go to without a server.
PROOFS = "proofs"


@dataclass(frozen=True)
class SendRequest:
    """What the person asked for on the command line."""

    snippet: str
    list_name: str
    campaign: str | None = None
    retry_failed: bool = False
    resend_uncertain: bool = False
    list_changed: bool = False
    dry_run: bool = False
    where: tuple[str, ...] = ()


@dataclass
class PreparedSend:
    """Everything checked and ready; nothing sent yet. Close it (or use ``with``) to
    release the journal and the send lock.

    Attributes:
        first: the first due message as it will be sent (for ``--dry-run``), or ``None``.
        journal: the open journal (``None`` in a dry run with no journal yet).
        pending: a new campaign's pending rows being written meanwhile (committed with
            the campaign's row when it is sent, undone when it is not).
    """

    ws: Workspace
    request: SendRequest
    config: Config
    rendered: Rendered
    report: ListReport
    composer: Composer
    plan: Plan
    destination: TransportChoice
    content: str
    list_hash: str
    first: Composed | None
    journal: Journal | None
    lock: SendLock | None
    languages: LanguagePlan | None = None
    pending: PendingRows | None = None

    @property
    def is_smtp(self) -> bool:
        """True when messages leave this computer (a server, not the outbox folder)."""
        return self.destination.emails

    @property
    def transport(self) -> str:
        """How the journal names the destination (``outbox``, ``smtp HOST``)."""
        return self.destination.journal_name

    @property
    def server(self) -> str:
        """Where mail goes, in words (the transport's label)."""
        return self.destination.label

    @property
    def needs_confirmation(self) -> bool:
        """SMTP sends ask first; the outbox is local and harmless."""
        return self.is_smtp and bool(self.plan.due)

    def close(self) -> None:
        """Close the journal and release the lock (a new campaign not sent is not
        recorded)."""
        if self.pending is not None:
            self.pending.abandon()
            self.pending = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> PreparedSend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- words ------------------------------------------------------------------------

    def daily_left(self, clock: Clock | None = None) -> int | None:
        """Messages the daily cap still allows now, or ``None`` without a cap."""
        smtp = self.config.smtp
        if not self.is_smtp or smtp.daily_cap <= 0:
            return None
        clock = clock or SystemClock()
        earlier = (self.journal.submissions_since(clock.time() - DAY_S)
                   if self.journal is not None else [])
        return DailyCap(smtp.daily_cap, earlier, clock).remaining()

    @property
    def builtin_notice(self) -> str | None:
        """The notice when the advisory is the built-in one, not the workspace's own copy
        (see :meth:`Workspace.builtin_snippet_notice`)."""
        return self.ws.builtin_snippet_notice(self.rendered.snippet.path)

    def words(self) -> str:
        """The summary shown before sending (:func:`mailer.sendwords.prepared_words`)."""
        lines = (self.languages.summary_lines(self.plan.recipients)
                 if self.languages is not None else [])
        return sendwords.prepared_words(
            self.plan, self.config, server=self.server, emails=self.is_smtp,
            daily_left=self.daily_left(), notice=self.builtin_notice, language_lines=lines)

    def question(self) -> str:
        """The question before sending (:func:`mailer.sendwords.question_words`)."""
        return sendwords.question_words(
            len(self.plan.due), self.config.sender.address.addr_spec, self.config.smtp.host,
            self.rendered.snippet.id if self.builtin_notice else None)

    def dry_run_words(self) -> str:
        """``--dry-run``: the first message (:func:`mailer.sendwords.dry_run_words`)."""
        return sendwords.dry_run_words(self.first.data if self.first is not None else None)

    def dry_run_dict(self) -> dict[str, object]:
        """``--dry-run --json``: the counts and the first message's headers and text."""
        first: dict[str, object] | None = None
        if self.first is not None:
            msg = BytesParser(policy=policy.default).parsebytes(self.first.data)
            body = msg.get_body(("plain",))
            first = {"headers": {k: str(v) for k, v in msg.items()},
                     "text": body.get_content() if body is not None else ""}
        return {
            "campaign": self.plan.campaign,
            "dry_run": True,
            "recipients": len(self.plan.recipients),
            "to_send": len(self.plan.due),
            "skipped": self.plan.skipped,
            "already_sent": self.plan.already_sent,
            "transport": "smtp" if self.is_smtp else OUTBOX,
            "server": self.server,
            "built_in_advisory": self.builtin_notice is not None,
            **(self.languages.counts(self.plan.recipients) if self.languages else {}),
            "first_message": first,
        }


def with_port_hint(exc: TransportError, smtp: SmtpConfig) -> TransportError:
    """``exc`` with a hint added when ``smtp.security`` does not suit the well-known port:
    port 587 is submission with STARTTLS (RFC 6409, RFC 3207), port 465 is implicit TLS
    (RFC 8314 §3.3). A busy server (:class:`ServerBusyError`) is returned unchanged."""
    mismatch = (smtp.security == "tls" and smtp.port == 587) or (
        smtp.security == "starttls" and smtp.port == 465)
    if not mismatch or isinstance(exc, ServerBusyError):
        return exc
    return TransportError(sendwords.port_hint_words(exc.message, smtp.security, smtp.port),
                          path=exc.path, line=exc.line)


def broken_email_errors(rendered: Rendered, config: Config) -> list[str]:
    """The checklist ids of ``mailer check``'s errors (not warnings) for ``rendered``,
    one per finding, in the order found; ``[]`` when there is none."""
    # The checklist (and lxml and cssselect with it) is loaded only where it runs: in the
    # child of mailer.ahead, so a long send keeps none of it in memory.
    from mailer.checks import compose_sample, run_checks

    return [f.id for f in run_checks(rendered, compose_sample(rendered, config), config)
            if f.severity == "error"]


def refuse_broken_email(rendered: Rendered, config: Config,
                        errors: list[str] | None = None) -> None:
    """Run ``mailer check``'s rules; an error (not a warning) stops the send, since it
    means the email breaks for some parents (unreadable colours, clipped by Gmail...).
    ``errors``: what :func:`broken_email_errors` gave, when it was run already.

    Raises:
        MailerError: listing the checklist ids found; nothing was sent.
    """
    if errors is None:
        errors = broken_email_errors(rendered, config)
    if errors:
        ids = list(dict.fromkeys(errors))
        raise MailerError(sendwords.broken_email_words(len(errors), ids, rendered.snippet.id))


def _render_and_check(ws: Workspace, snippet: str) -> tuple[Rendered, list[str]]:
    """The snippet rendered, and its checklist errors (see :func:`broken_email_errors`):
    what :func:`prepare_send` has done in a child process while it reads the list."""
    rendered = render_snippet(ws, snippet)
    return rendered, broken_email_errors(rendered, ws.config)


@dataclass
class _EarlyJournal:
    """A real send's lock and journal, taken before its list is read, and its new
    campaign's rows being written as the list is read (:meth:`Journal.pending_stream`)."""

    name: str
    lock: SendLock
    journal: Journal
    pending: PendingRows

    def add(self, recipients: list[Recipient]) -> None:
        """The next recipients read (``read_list``'s ``on_recipients``)."""
        self.pending.add(map(_email_of, recipients))  # their addresses taken in the thread

    def close(self) -> None:
        """Nothing recorded: the rows undone, the journal closed, the lock let go."""
        self.pending.abandon()
        self.journal.close()
        self.lock.release()


_email_of = operator.attrgetter("email")


def _open_journal_early(ws: Workspace, request: SendRequest) -> _EarlyJournal | None:
    """For a real send of a campaign the journal does not have yet, known before the list
    is read: the send lock taken, the journal opened and the campaign's rows streamed
    into it as the list is read, so that the first message need not wait for them after
    it (0.3-0.4 s for 100,000 recipients). ``None`` when that cannot be known or done
    before the list is read (a dry run; a list, snippet or name that is not right; a
    journal in use, unreadable, or with the campaign already): then :func:`prepare_send`
    does it after the list is read, as before, and a problem is told in its usual order
    (a list's mistakes before the journal's)."""
    if request.dry_run:
        return None
    try:
        list_path = ws.list_path(request.list_name)
        # The snippet's id as given (or its file's name): not looked up, which would load
        # the language tables here. A wrong guess (a translation's file) is found when
        # the real name is known, after the list is read; these rows are then undone.
        given = Path(request.snippet)
        snippet_id = given.stem if given.suffix in (".yaml", ".yml") else request.snippet
        name = check_campaign_name(
            request.campaign or default_campaign_name(snippet_id, list_path))
    except MailerError:
        return None
    lock = SendLock(ws.state_dir)
    try:
        lock.acquire()
    except MailerError:
        return None
    journal: Journal | None = None
    early: _EarlyJournal | None = None
    try:
        journal = Journal(journal_path(ws.state_dir))
        if journal.campaign(name) is None:
            early = _EarlyJournal(name, lock, journal, journal.pending_stream(name))
    except Exception:  # noqa: BLE001 - told after the list is read, as before
        pass
    finally:
        if early is None:
            if journal is not None:
                journal.close()
            lock.release()
    return early


def _journal_languages(languages: LanguagePlan, due: list[Recipient]
                       ) -> Iterable[tuple[str, str]]:
    """(address, message language) of each due recipient whose message is not in English,
    for :meth:`PendingRows.end`; none at all, without a pass over them, when every message
    is in English (most lists)."""
    if all(key.startswith(ENGLISH) for key in languages.rendered):
        return ()
    return ((email, tag) for email, tag in languages.message_languages(due) if tag != ENGLISH)


def prepare_send(
    ws: Workspace,
    request: SendRequest,
    on_report: Callable[[ListReport], None] | None = None,
) -> PreparedSend:
    """Render, read the list, check the journal and compose every due message once.

    ``on_report`` is called with the list's report as soon as it is read (before any check
    that could stop the send), so the person sees what happened to every row.

    Takes the workspace's send lock (not for a dry run) and opens the journal; the caller
    must :meth:`PreparedSend.close` it.

    Raises:
        MailerError: any problem with the snippet, templates, list, configuration or
            campaign (changed since it began, another send running); nothing was sent.
    """
    config = ws.config  # read once, here, before the child below starts
    early: _EarlyJournal | None = None
    try:
        # The English email is rendered and checked in a child process (mailer.ahead)
        # while the list is read here: on two cores the first message goes out about
        # 0.6 s sooner. A mistake in the snippet or a template is still told before one
        # in the list. A new campaign's rows are written as the list is read (after the
        # child has been made: it must not share the journal's thread or connection).
        with Ahead(lambda: _render_and_check(ws, request.snippet)) as ahead:
            early = _open_journal_early(ws, request)
            try:
                report = read_workspace_list(
                    ws, request.list_name, request.where,
                    None if early is None else early.add)
            except MailerError:
                ahead.result()
                raise
            rendered, english_errors = ahead.result()
    except BaseException:
        if early is not None:
            early.close()
        raise
    lock: SendLock | None = early.lock if early is not None else None
    journal: Journal | None = early.journal if early is not None else None
    pending: PendingRows | None = early.pending if early is not None else None
    try:
        if on_report is not None:
            on_report(report)
        require_recipients(report)
        no_address = missing_postal_address(config)
        if no_address is not None:
            raise ConfigError(sendwords.nothing_sent_words(no_address[0]), path=config.path,
                              line=no_address[1])
        # Each parent's language: rendered once per message kind, never per recipient.
        languages = plan_languages(ws, rendered.snippet, report.recipients, rendered)
        for each in languages.rendered.values():
            check_fields(each, report.recipients, str(report.path))
            refuse_broken_email(each, config, english_errors if each is rendered else None)
        name = check_campaign_name(
            request.campaign or default_campaign_name(rendered.snippet.id, report.path))
        destination = choose_transport(config, ws.outbox_dir)
        transport = destination.journal_name
        content = languages_content_hash(languages, config)
        list_hash = file_hash(report.path)
        path = journal_path(ws.state_dir)
        if not request.dry_run and journal is None:
            lock = SendLock(ws.state_dir)
            lock.acquire()
            journal = Journal(path)
        elif request.dry_run and path.exists():
            journal = Journal(path, create=False)
        plan = plan_campaign(
            journal, campaign=name, recipients=report.recipients, list_path=report.path,
            list_hash=list_hash, content=content, transport=transport,
            retry_failed=request.retry_failed, resend_uncertain=request.resend_uncertain,
            accept_list_change=request.list_changed,
        )
        composer = LanguageComposer(languages, config.sender)
        if pending is not None:  # the rows written as the list was read
            if plan.existing is None and name == early.name:  # type: ignore[union-attr]
                pending.end(_journal_languages(languages, plan.due))
            else:  # the campaign's name was not the one guessed before the list was read
                pending.abandon()
                pending = None
        if (pending is None and not request.dry_run and plan.existing is None
                and journal is not None):
            # A new campaign's rows are written (not committed) while the pre-flight
            # runs and the person is asked; see Journal.pending_ahead.
            pending = journal.pending_ahead(plan.campaign,
                                            languages.message_languages(plan.due))
        first = preflight(composer, plan.due, str(report.path))  # type: ignore[arg-type]
    except BaseException:
        if pending is not None:
            pending.abandon()
        if journal is not None:
            journal.close()
        if lock is not None:
            lock.release()
        raise
    return PreparedSend(
        ws=ws, request=request, config=config, rendered=rendered, report=report,
        composer=composer, plan=plan, destination=destination,
        content=content, list_hash=list_hash, first=first, journal=journal, lock=lock,
        languages=languages, pending=pending,
    )


def languages_content_hash(languages: LanguagePlan, config: Config) -> str:
    """The campaign's content hash (see :func:`mailer.campaign.content_hash`): that of the
    English message alone when everyone gets it, else one over every message's."""
    if len(languages.rendered) == 1:
        return content_hash(languages.english, config.sender)
    import hashlib

    parts = [f"{key}={content_hash(r, config.sender)}"
             for key, r in sorted(languages.rendered.items())]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def run_send(
    prepared: PreparedSend,
    *,
    password: str | None,
    resume_command: str,
    progress: Callable[[int], AbstractContextManager[ProgressSink]] | None = None,
    clock: Clock | None = None,
    settings: EngineSettings | None = None,
    handle_signals: bool = True,
) -> SendSummary:
    """Record the campaign in the journal and send to every due recipient.

    Args:
        prepared: from :func:`prepare_send` (not a dry run).
        password: the SMTP password, or ``None`` (no AUTH / the outbox).
        resume_command: the command that carries on, for the summary.
        progress: makes the progress display for a number of due recipients.
        clock: time source (tests use a controlled clock).
        settings: engine settings; default from ``mailer.yaml``.
        handle_signals: stop cleanly on Ctrl-C / SIGTERM.

    Raises:
        TransportError: the first connection failed (TLS, AUTH, STARTTLS, cannot connect);
            nothing was sent.
    """
    journal = prepared.journal
    if journal is None:
        raise MailerError(sendwords.DRY_RUN_CANNOT_SEND)
    if clock is not None:
        journal.now = clock.time  # journal times on the same clock as the pacing
    plan = prepared.plan
    report = prepared.report
    campaign_row = {"snippet": prepared.rendered.snippet.id, "list_path": str(report.path),
                    "list_hash": prepared.list_hash, "content_hash": prepared.content,
                    "transport": prepared.transport}
    pending = prepared.pending
    journal_ready: Callable[[], None] | None = None
    if pending is not None:
        # A new campaign: its row, and every recipient's (language and all) written
        # meanwhile, in one commit, once the first connection is open (the engine's
        # journal_ready), so the rows are written while it is made; a connection that
        # cannot be made leaves nothing recorded (prepared.close() undoes them).
        def commit_pending() -> None:
            prepared.pending = None
            pending.commit(**campaign_row)

        journal_ready = commit_pending
    else:
        if plan.existing is None:
            journal.start_campaign(plan.campaign, **campaign_row)
        elif plan.refresh:
            if plan.restart:
                journal.restart(plan.campaign)
            journal.update_campaign(
                plan.campaign, list_path=str(report.path), list_hash=prepared.list_hash,
                content_hash=prepared.content, transport=prepared.transport,
            )
        if plan.existing is None and prepared.languages is not None:
            journal.add_pending(plan.campaign,
                                prepared.languages.message_languages(plan.due))
        else:
            journal.add_recipients(plan.campaign, (r.email for r in plan.recipients))
            if prepared.languages is not None:
                journal.set_languages(plan.campaign,
                                      prepared.languages.message_languages(plan.due))
    smtp = prepared.config.smtp
    pacing = prepared.destination.pacing
    if settings is None:
        settings = EngineSettings(
            connections=pacing.connections, rate_per_minute=pacing.rate_per_minute,
            daily_cap=pacing.daily_cap, counts_submissions=pacing.counts_submissions,
        )
    credentials = credentials_for(prepared.config, password)
    display = progress(len(plan.due)) if progress is not None else nullcontext(None)
    with display as sink:
        engine = Engine(
            composer=prepared.composer, journal=journal, campaign=plan.campaign,
            transport_factory=lambda: prepared.destination(credentials),
            settings=settings, clock=clock, progress=sink, journal_ready=journal_ready,
        )
        try:
            result = asyncio.run(engine.run(plan.due, len(plan.due),
                                            handle_signals=handle_signals))
        except KeyboardInterrupt:  # a second Ctrl-C: the run stopped at once
            raise StoppedAtOnce(sorted(engine.in_flight)) from None
        except JournalError as exc:
            # The disk filled (or the folder's permission went) in the middle of the run.
            done = engine.result.count(State.SENT) + engine.result.count(State.WRITTEN)
            if done:
                raise sendwords.journal_broke_error(
                    exc, done, resume_command, prepared.is_smtp,
                    recorded=_recorded_this_run(journal, plan)) from None
            raise
        except TransportError as exc:
            # The first connection failed (nothing was attempted): a new campaign must
            # not stay behind in 'mailer status' as "N pending".
            if prepared.pending is not None:
                prepared.pending.abandon()
                prepared.pending = None
            elif plan.existing is None:
                journal.purge(plan.campaign)
            raise with_port_hint(exc, smtp) from None
    name = "smtp" if prepared.is_smtp else OUTBOX  # the --json "transport"
    summary = summarise(plan, result, name, resume_command,
                        prepared.config.sender.address.addr_spec, journal)
    if prepared.languages is not None:
        summary.languages = prepared.languages.counts(plan.recipients)
        summary.language_lines = prepared.languages.summary_lines(plan.recipients)
    return summary


def send_test(
    ws: Workspace, snippet: str, list_name: str, address: str,
    password: Callable[[Config], str | None], where: tuple[str, ...] = (),
) -> tuple[str, Outcome]:
    """Send one proof of the first recipient's message to ``address`` with "[TEST]" before
    the subject. Nothing is journalled. Returns ``(where, outcome)``.

    Raises:
        MailerError: bad snippet, list or address, or the server cannot be used.
    """
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise MailerError(sendwords.proof_address_words(address, exc)) from None
    rendered = render_snippet(ws, snippet)
    report = read_workspace_list(ws, list_name, where)
    require_recipients(report)
    check_fields(rendered, report.recipients, str(report.path))
    first = report.recipients[0]
    config = ws.config
    # The proof is the first recipient's message: in their language where it exists.
    composer = LanguageComposer(plan_languages(ws, rendered.snippet, [first], rendered),
                                config.sender, subject_prefix="[TEST] ")
    # The proof goes to the office, not to this parent: no parent's name in its To.
    message = composer.compose(address, "", first.fields())
    # Proofs go to their own folder, never among the campaign's messages.
    proofs = ws.outbox_dir / PROOFS
    destination = choose_transport(config, proofs)
    transport = destination(credentials_for(config, password(config)))

    async def go() -> Outcome:
        try:
            await transport.open()
        except TransportError as exc:
            raise with_port_hint(exc, config.smtp) from None
        try:
            return await transport.deliver(message)
        finally:
            await transport.close()

    return destination.label, asyncio.run(go())



def _recorded_this_run(journal: Journal, plan: Plan) -> int | None:
    """Recipients the journal has as sent (or written) in this run, read back after it
    broke (a full disk still reads); ``None`` when it cannot be read."""
    try:
        counts = journal.counts(plan.campaign)
    except (JournalError, sqlite3.Error):
        return None
    return counts[State.SENT.value] + counts[State.WRITTEN.value] - plan.already_sent


# -- mailer send, from the command line's request to its outcome -----------------------


class SendScreen(Protocol):
    """What :func:`send` needs from the person's screen (the CLI gives it)."""

    def show(self, text: str) -> None:
        """Show ``text`` to the person (standard error: ``--json`` keeps stdout clean)."""
        ...

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question (default no). Raises
        :class:`mailer.errors.ConfirmationError` when nobody can be asked, and
        ``KeyboardInterrupt`` for Ctrl-C at the question."""
        ...

    def progress(self, total: int) -> AbstractContextManager[ProgressSink]:
        """The progress display for ``total`` due recipients."""
        ...


class Ending(str, Enum):
    """How a ``mailer send`` ended (the CLI maps it to the README's exit status)."""

    DRY_RUN = "dry_run"              # --dry-run: nothing sent
    PROOF = "proof"                  # --test-to: one proof, nothing journalled
    DECLINED = "declined"            # the person answered no: nothing sent
    ABORTED = "aborted"              # Ctrl-C before sending (list, question...): nothing sent
    RAN = "ran"                      # the run went to its end or stopped (see the summary)
    STOPPED_AT_ONCE = "stopped_at_once"  # a second Ctrl-C while sending


@dataclass
class SendOutcome:
    """What :func:`send` did.

    Attributes:
        ending: how it ended.
        summary: the run's summary (``RAN``).
        prepared: the checked send (``DRY_RUN``), for its words and ``--json``.
        proof: the proof's outcome and where it went (``PROOF``).
        campaign, resume_command: for the words after a second Ctrl-C.
        uncertain: addresses whose message was on its way at a second Ctrl-C (``None``
            when not known).
    """

    ending: Ending
    summary: SendSummary | None = None
    prepared: PreparedSend | None = None
    proof: Outcome | None = None
    proof_where: str = ""
    campaign: str = ""
    resume_command: str = ""
    uncertain: list[str] | None = None


def send(ws: Workspace, request: SendRequest, screen: SendScreen, *, resume_command: str,
         yes: bool = False, test_to: str | None = None) -> SendOutcome:
    """``mailer send`` from start to end: one ``--test-to`` proof, or prepare (showing the
    list's report and the summary), ask (SMTP without ``yes``), sign in and run.

    With ``smtp.auth: oauth2`` the sign-in is checked silently *before* the question, so
    nobody confirms and then learns that ``mailer login`` is needed; a password is asked
    for after it (it may be a prompt).

    Raises:
        MailerError: bad input or configuration, the server cannot be used, or nobody to
            ask for a yes (nothing was sent), or the journal broke mid-run (exit status 1).
    """
    if test_to is not None and request.dry_run:
        raise MailerError(sendwords.DRY_RUN_OR_PROOF)
    if test_to is not None:
        notice = builtin_notice(ws, request.snippet)
        if notice:
            screen.show(f"Note: {notice}")
        where, outcome = send_test(ws, request.snippet, request.list_name, test_to,
                                   smtp_password_for, request.where)
        if needs_login(outcome.code, outcome.text):
            raise MailerError(sendwords.nothing_sent_words(sendwords.login_words(outcome.reply)))
        return SendOutcome(Ending.PROOF, proof=outcome, proof_where=where)
    # Ctrl-C before the first message (reading the list, the pre-flight, the question,
    # the password): nothing was sent; say so (exit status 130).
    stack = ExitStack()
    try:
        prepared = stack.enter_context(prepare_send(
            ws, request, on_report=lambda report: screen.show(summary_text(report))))
    except KeyboardInterrupt:
        stack.close()
        return SendOutcome(Ending.ABORTED)
    with stack:
        try:
            screen.show(prepared.words())
            for line in send_warnings(prepared.rendered.snippet, prepared.config.review_months):
                screen.show(line)  # the advice may be out of date: warn, do not refuse
            if request.dry_run:
                return SendOutcome(Ending.DRY_RUN, prepared=prepared)
            if not prepared.plan.due:
                screen.show(sendwords.nothing_to_send_words(prepared.plan))
            due = bool(prepared.plan.due)
            password = silent_sign_in(prepared.config) if due else None
            if (prepared.needs_confirmation and not yes
                    and not screen.confirm(prepared.question())):
                return SendOutcome(Ending.DECLINED)
            if password is None and due:
                password = smtp_password_for(prepared.config)
        except KeyboardInterrupt:
            return SendOutcome(Ending.ABORTED)
        try:
            summary = run_send(prepared, password=password, resume_command=resume_command,
                               progress=screen.progress)
        except KeyboardInterrupt as exc:  # a second Ctrl-C: stopped at once
            return SendOutcome(Ending.STOPPED_AT_ONCE, campaign=prepared.plan.campaign,
                               resume_command=resume_command,
                               uncertain=getattr(exc, "uncertain", None))
    return SendOutcome(Ending.RAN, summary=summary)
