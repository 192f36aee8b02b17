"""``mailer send`` from start to end, without the printing: prepare (render, read the list,
check the journal, pre-flight every message), then run (journal + engine), or send one
``--test-to`` proof.

The CLI prints :meth:`PreparedSend.summary_text`, asks for confirmation when
:attr:`PreparedSend.needs_confirmation`, gets the password, then calls :func:`run_send`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from email_validator import EmailNotValidError, validate_email

from mailer.campaign import (
    OUTBOX,
    Plan,
    SendSummary,
    check_campaign_name,
    check_fields,
    content_hash,
    default_campaign_name,
    duration_words,
    estimate_seconds,
    file_hash,
    journal_broke_error,
    plan_campaign,
    preflight,
    summarise,
    time_words,
)
from mailer.checks import compose_sample, run_checks
from mailer.compose import Composed, Composer
from mailer.config import Config, SmtpConfig, missing_postal_address
from mailer.credentials import credentials_for
from mailer.engine import Engine, EngineSettings, ProgressSink, StoppedAtOnce
from mailer.errors import ConfigError, MailerError, ServerBusyError, TransportError
from mailer.jobs import read_workspace_list, render_snippet
from mailer.journal import Journal, JournalError, SendLock, State, journal_path
from mailer.language_plan import LanguageComposer, LanguagePlan, plan_languages
from mailer.lists import require_recipients
from mailer.ratelimit import DAY_S, Clock, DailyCap, SystemClock
from mailer.recipients import ListReport
from mailer.render import Rendered
from mailer.transports import Delivery, TransportChoice, choose_transport
from mailer.workspace import Workspace

#: The folder (inside the outbox folder) that ``--test-to`` proofs go to without a server.
PROOFS = "proofs"

#: At most this many earlier failed/uncertain recipients are named in the summary.
LIST_AT_MOST = 20


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
        """Close the journal and release the lock."""
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

    def question(self) -> str:
        """``Send 1,482 emails as office@school via smtp.office365.com?``"""
        n = len(self.plan.due)
        what = (f" of the BUILT-IN advisory '{self.rendered.snippet.id}'"
                if self.builtin_notice else "")
        return (f"Send {n:,} email{'s' if n != 1 else ''}{what} as "
                f"{self.config.sender.address.addr_spec} via {self.config.smtp.host}?")

    @property
    def builtin_notice(self) -> str | None:
        """The notice when the advisory is the built-in one, not the workspace's own copy
        (see :meth:`Workspace.builtin_snippet_notice`)."""
        return self.ws.builtin_snippet_notice(self.rendered.snippet.path)

    def summary_text(self) -> str:
        """The summary shown before sending (several lines); its first line says so when
        the advisory is the built-in one rather than the workspace's own copy."""
        plan = self.plan
        smtp = self.config.smtp
        due = len(plan.due)
        status = "new" if plan.existing is None else (
            "starting afresh: the earlier run only wrote to the outbox folder"
            if plan.restart else f"resumed, begun {time_words(plan.existing.created)}")
        notice = self.builtin_notice
        lines = [f"NOTE:       {notice}"] if notice else []
        lines += [
            f"Campaign:   {plan.campaign} ({status})",
            f"Recipients: {len(plan.recipients):,} on the list; {due:,} to send now",
        ]
        if plan.already_sent:
            lines.append(f"            {plan.already_sent:,} already sent before: skipped")
        if plan.failed_before:
            lines.append(f"            {len(plan.failed_before):,} failed before, not tried "
                         "again (add --retry-failed to try them):")
            lines += _name_rows(plan.failed_before)
        if plan.uncertain_before:
            lines.append(f"            {len(plan.uncertain_before):,} uncertain (the message "
                         "may have arrived; add --resend-uncertain to send again):")
            lines += _name_rows(plan.uncertain_before)
        if plan.list_changed:
            lines.append("            the list changed since the campaign began"
                         + (f"; {plan.not_on_list:,} earlier addresses are no longer on it "
                            "and are not sent" if plan.not_on_list else ""))
        lines.append(f"From:       {self.config.sender.address}")
        if self.is_smtp:
            conns = smtp.connections
            lines.append(f"Server:     {self.server}, {conns} connection{'s' if conns > 1 else ''}")
            rate = (f"{smtp.rate_per_minute:,} messages a minute" if smtp.rate_per_minute
                    else "no limit set (rate_per_minute)")
            left = self.daily_left()
            if left is not None:
                rate += f"; at most {smtp.daily_cap:,} a day ({left:,} left now)"
            lines.append(f"Rate:       {rate}")
            seconds = estimate_seconds(min(due, left) if left is not None else due,
                                       smtp.rate_per_minute)
            took = duration_words(seconds) if seconds is not None else (
                "depends on the server (no rate_per_minute set)")
            if left is not None and due > left:
                took += (f"; the daily limit lets {left:,} go now, mailer then stops and "
                         "tells you when to run the same command again for the rest")
            lines.append(f"Time:       {took}")
        else:
            lines.append(f"Delivery:   {self.server} (nothing leaves this computer)")
        if self.languages is not None:
            lines += self.languages.summary_lines(self.plan.recipients)
        return "\n".join(lines)

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
            "transport": "smtp" if self.is_smtp else "outbox",
            "server": self.server,
            "built_in_advisory": self.builtin_notice is not None,
            **(self.languages.counts(self.plan.recipients) if self.languages else {}),
            "first_message": first,
        }

    def dry_run_text(self) -> str:
        """The first message's headers and plain text, for ``--dry-run``."""
        if self.first is None:
            return "No message would be sent."
        msg = BytesParser(policy=policy.default).parsebytes(self.first.data)
        lines = ["First message:"]
        for name, value in msg.items():
            if name.lower() in ("content-type", "content-transfer-encoding", "mime-version"):
                continue
            lines.append(f"  {name}: {value}")
        body = msg.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        lines.append("")
        lines += [f"  {line}" if line else "" for line in text.rstrip().splitlines()]
        return "\n".join(lines)


def _name_rows(rows: list) -> list[str]:  # type: ignore[type-arg]
    out = [f"              {r.email}: " + (
        "the connection dropped before the server confirmed" if r.state is State.UNCERTAIN
        else f"{r.code or ''} {r.reply}".strip()) for r in rows[:LIST_AT_MOST]]
    if len(rows) > LIST_AT_MOST:
        out.append(f"              and {len(rows) - LIST_AT_MOST:,} more "
                   "(see: mailer status)")
    return out


def with_port_hint(exc: TransportError, smtp: SmtpConfig) -> TransportError:
    """``exc`` with a hint added when ``smtp.security`` does not suit the well-known port:
    port 587 is submission with STARTTLS (RFC 6409, RFC 3207), port 465 is implicit TLS
    (RFC 8314 §3.3). A busy server (:class:`ServerBusyError`) is returned unchanged."""
    mismatch = (smtp.security == "tls" and smtp.port == 587) or (
        smtp.security == "starttls" and smtp.port == 465)
    if not mismatch or isinstance(exc, ServerBusyError):
        return exc
    return TransportError(
        f"{exc.message} Port 587 uses starttls, 465 uses tls: check smtp.security "
        f"({smtp.security}) and smtp.port ({smtp.port}).", path=exc.path, line=exc.line)


def refuse_broken_email(rendered: Rendered, config: Config) -> None:
    """Run ``mailer check``'s rules; an error (not a warning) stops the send, since it
    means the email breaks for some parents (unreadable colours, clipped by Gmail...).

    Raises:
        MailerError: listing the checklist ids found; nothing was sent.
    """
    errors = [f for f in run_checks(rendered, compose_sample(rendered, config), config)
              if f.severity == "error"]
    if errors:
        ids = ", ".join(dict.fromkeys(f.id for f in errors))
        raise MailerError(
            f"the email has {len(errors)} problem(s) that would make it break or be hard to "
            f"read for some parents (checklist {ids}). Run 'mailer check "
            f"{rendered.snippet.id}' to see each one and what to do. Nothing was sent."
        )


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
    rendered = render_snippet(ws, request.snippet)
    report = read_workspace_list(ws, request.list_name, request.where)
    if on_report is not None:
        on_report(report)
    require_recipients(report)
    config = ws.config
    no_address = missing_postal_address(config)
    if no_address is not None:
        raise ConfigError(f"{no_address[0]} Nothing was sent.", path=config.path,
                          line=no_address[1])
    # Each parent's language: rendered once per message kind, never per recipient.
    languages = plan_languages(ws, rendered.snippet, report.recipients, rendered)
    for each in languages.rendered.values():
        check_fields(each, report.recipients, str(report.path))
        refuse_broken_email(each, config)
    name = check_campaign_name(
        request.campaign or default_campaign_name(rendered.snippet.id, report.path))
    destination = choose_transport(config, ws.outbox_dir)
    transport = destination.journal_name
    content = languages_content_hash(languages, config)
    list_hash = file_hash(report.path)
    path = journal_path(ws.state_dir)
    lock: SendLock | None = None
    journal: Journal | None = None
    try:
        if not request.dry_run:
            lock = SendLock(ws.state_dir)
            lock.acquire()
            journal = Journal(path)
        elif path.exists():
            journal = Journal(path, create=False)
        plan = plan_campaign(
            journal, campaign=name, recipients=report.recipients, list_path=report.path,
            list_hash=list_hash, content=content, transport=transport,
            retry_failed=request.retry_failed, resend_uncertain=request.resend_uncertain,
            accept_list_change=request.list_changed,
        )
        composer = LanguageComposer(languages, config.sender)
        first = preflight(composer, plan.due, str(report.path))  # type: ignore[arg-type]
    except BaseException:
        if journal is not None:
            journal.close()
        if lock is not None:
            lock.release()
        raise
    return PreparedSend(
        ws=ws, request=request, config=config, rendered=rendered, report=report,
        composer=composer, plan=plan, destination=destination,
        content=content, list_hash=list_hash, first=first, journal=journal, lock=lock,
        languages=languages,
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
        raise MailerError("a dry run cannot send.")
    if clock is not None:
        journal.now = clock.time  # journal times on the same clock as the pacing
    plan = prepared.plan
    report = prepared.report
    if plan.existing is None:
        journal.start_campaign(
            plan.campaign, snippet=prepared.rendered.snippet.id, list_path=str(report.path),
            list_hash=prepared.list_hash, content_hash=prepared.content,
            transport=prepared.transport,
        )
    elif plan.refresh:
        if plan.restart:
            journal.restart(plan.campaign)
        journal.update_campaign(
            plan.campaign, list_path=str(report.path), list_hash=prepared.list_hash,
            content_hash=prepared.content, transport=prepared.transport,
        )
    journal.add_recipients(plan.campaign, (r.email for r in plan.recipients))
    if prepared.languages is not None:
        journal.set_languages(plan.campaign, prepared.languages.message_languages(plan.due))
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
            settings=settings, clock=clock, progress=sink,
        )
        try:
            result = asyncio.run(engine.run(plan.due, len(plan.due),
                                            handle_signals=handle_signals))
        except KeyboardInterrupt:  # a second Ctrl-C: the run stopped at once
            raise StoppedAtOnce(sorted(engine.in_flight)) from None
        except JournalError as exc:
            # The disk filled (or the folder's permission went) in the middle of the run.
            done = engine.result.count(State.SENT)
            if done:
                raise journal_broke_error(exc, done, resume_command,
                                          prepared.is_smtp) from None
            raise
        except TransportError as exc:
            # The first connection failed (nothing was attempted): a new campaign must
            # not stay behind in 'mailer status' as "N pending".
            if plan.existing is None:
                journal.purge(plan.campaign)
            raise with_port_hint(exc, smtp) from None
    name = "smtp" if prepared.is_smtp else OUTBOX
    summary = summarise(plan, result, name, resume_command,
                        prepared.config.sender.address.addr_spec)
    if prepared.languages is not None:
        summary.languages = prepared.languages.counts(plan.recipients)
        summary.language_lines = prepared.languages.summary_lines(plan.recipients)
    return summary


def send_test(
    ws: Workspace, snippet: str, list_name: str, address: str,
    password: Callable[[Config], str | None], where: tuple[str, ...] = (),
) -> tuple[str, Delivery]:
    """Send one proof of the first recipient's message to ``address`` with "[TEST]" before
    the subject. Nothing is journalled. Returns ``(where, delivery)``.

    Raises:
        MailerError: bad snippet, list or address, or the server cannot be used.
    """
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise MailerError(f"--test-to '{address}' is not an email address ({exc}).") from None
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

    async def go() -> Delivery:
        try:
            await transport.open()
        except TransportError as exc:
            raise with_port_hint(exc, config.smtp) from None
        try:
            return await transport.deliver(message)
        finally:
            await transport.close()

    return destination.label, asyncio.run(go())

