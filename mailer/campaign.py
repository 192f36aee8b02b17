"""A campaign: one snippet sent to one list, resumable through the journal.

This module decides *what* a run sends (pre-flight checks, resume rules, changes since the
campaign began) and shapes the summary; :mod:`mailer.engine` does the sending.

Resume rules: ``sent`` is skipped; ``pending`` and ``deferred`` are sent; ``failed`` only
with ``--retry-failed``; ``uncertain`` only with ``--resend-uncertain`` (listed otherwise).
"""

from __future__ import annotations

import datetime as dt
import email.errors
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mailer.compose import Composed, Composer
from mailer.config import Sender
from mailer.engine import RunResult, StopReason
from mailer.errors import CampaignChangedError, ListError, MailerError
from mailer.journal import CampaignInfo, Journal, RecipientRecord, State
from mailer.lists import Recipient
from mailer.render import ALWAYS_PRESENT, Rendered


@dataclass
class Failure:
    """A recipient that was not sent, with the server's reply (the names of ``mailer status
    --json``: ``state``, ``code``, ``reply``)."""

    email: str
    state: str
    code: int
    reply: str
    earlier: bool = False  # left by an earlier run (not tried in this one)


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
    stopped: str | None = None
    stop_text: str = ""
    retry_after: float | None = None
    resume_command: str = ""
    sender: str = ""
    complete: bool = False
    failures: list[Failure] = field(default_factory=list)
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
            "stopped": self.stopped,
            "stop_reason": self.stop_text or None,
            "retry_after": retry,
            "resume_command": self.resume_command or None,
            # The same names as ``mailer status CAMPAIGN --json``'s "not_sent".
            "not_sent": [f.__dict__ for f in self.failures],
            **self.languages,
        }


#: What an uncertain recipient's reply means, in words.
UNCERTAIN_WORDS = ("the message may have arrived (the connection dropped before the server "
                   "confirmed)")


def reply_words(state: str, code: int | None, text: str) -> str:
    """``uncertain: the message may have arrived (...)`` for an uncertain recipient (whose
    journal reply is only "data sent, awaiting reply"), else ``state (code text)`` without
    a code of 0 or ``None``."""
    if state == State.UNCERTAIN.value:
        return f"uncertain: {UNCERTAIN_WORDS}"
    reply = f"{code} {text}" if code else text
    return f"{state} ({reply.strip()})" if reply.strip() else state


def check_fields(rendered: Rendered, recipients: list[Recipient], list_name: str) -> None:
    """Pre-flight: every personal field the templates use must have a value for every
    recipient, found before any message is sent.

    Raises:
        ListError: naming the field, the list line and the recipient.
    """
    needed = sorted(rendered.fields_used - ALWAYS_PRESENT)
    if not needed:
        # Nothing to check (the templates use only fields every recipient has): building
        # every recipient's fields here cost about 16 us each, 1.6 s of CPU for 100,000,
        # all before the first message.
        return
    for rec in recipients:
        values = rec.fields()
        for name in needed:
            if not values.get(name):
                line = rec.lines[0] if rec.lines else None
                raise ListError(
                    f"the template uses recipient.{name}, but the list gives no {name} for "
                    f"{rec.display_email}. Fill it in, or remove recipient.{name} from the "
                    "template. Nothing was sent.",
                    path=list_name,
                    line=line,
                )


# -- identity of a campaign -------------------------------------------------------------


def content_hash(rendered: Rendered, sender: Sender) -> str:
    """SHA-256 hex of what every recipient gets: the rendered content
    (:attr:`Rendered.digest`, which changes with the snippet, the templates and the
    organisation settings) and the sender headers."""
    parts = (rendered.digest, str(sender.address), str(sender.reply_to or ""),
             sender.unsubscribe)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 hex of a file's bytes, read in blocks.

    Raises:
        ListError: when the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 16), b""):
                digest.update(block)
    except OSError as exc:
        raise ListError(f"the list file cannot be read ({exc.strerror}).", path=path) from None
    return digest.hexdigest()


def default_campaign_name(snippet_id: str, list_path: Path) -> str:
    """``SNIPPET--LISTNAME`` (the list's file name without its extension)."""
    return f"{snippet_id}--{list_path.stem}"


def check_campaign_name(name: str) -> str:
    """Return ``name`` stripped, or raise.

    Raises:
        MailerError: empty, longer than 100 characters, or with control characters.
    """
    name = name.strip()
    if not name or len(name) > 100 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise MailerError(
            "--campaign must be a name of 1 to 100 characters on one line, "
            "for example 'webcams-autumn-term'."
        )
    return name


#: How the journal names a campaign written to the outbox folder.
OUTBOX = "outbox"


def transport_label(transport_name: str, host: str) -> str:
    """How the journal names where a campaign went: ``outbox`` or ``smtp HOST``."""
    return "outbox" if transport_name == "outbox" else f"smtp {host.lower()}"


# -- what this run sends --------------------------------------------------------------


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
    failed_before: list[RecipientRecord] = field(default_factory=list)
    uncertain_before: list[RecipientRecord] = field(default_factory=list)
    not_on_list: int = 0
    list_changed: bool = False
    refresh: bool = False
    restart: bool = False

    @property
    def skipped(self) -> int:
        """List recipients this run does not set out to send."""
        return len(self.recipients) - len(self.due)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%d %b %Y %H:%M")


def _refuse_changes(
    info: CampaignInfo, sent: int, *, content: str, transport: str, list_path: Path,
    list_hash: str, accept_list_change: bool,
) -> None:
    campaign = info.name
    if info.content_hash != content:
        raise CampaignChangedError(
            f"the advisory, its templates or mailer.yaml changed since campaign '{campaign}' "
            f"began on {_when(info.created)} ({sent} already sent with the earlier version), "
            "so nothing was sent. Put the earlier version back to finish this campaign, or "
            "start a new one with --campaign NEW-NAME (everyone on the list then gets the "
            "new version, including those already sent)."
        )
    if info.transport != transport:
        where = "the outbox folder" if info.transport == "outbox" else info.transport
        raise CampaignChangedError(
            f"campaign '{campaign}' went to {where} before, not to {transport}, so nothing "
            f"was sent. To send it this way, start a new campaign with --campaign "
            f"{campaign}--2, or forget the earlier run with: mailer status {campaign} --purge"
        )
    if info.list_hash != list_hash and not accept_list_change:
        raise CampaignChangedError(
            f"the list changed since campaign '{campaign}' began on {_when(info.created)} "
            f"({sent} already sent), so nothing was sent. Add --list-changed to go on with "
            "the new list (those already sent are skipped, new people are sent, people "
            "taken off the list are not sent), or start a new campaign with "
            "--campaign NEW-NAME.",
            path=list_path,
        )


def plan_campaign(
    journal: Journal | None,
    *,
    campaign: str,
    recipients: list[Recipient],
    list_path: Path,
    list_hash: str,
    content: str,
    transport: str,
    retry_failed: bool = False,
    resend_uncertain: bool = False,
    accept_list_change: bool = False,
) -> Plan:
    """Decide which recipients this run sends, from the journal's record of ``campaign``.

    Raises:
        CampaignChangedError: the content (snippet, templates, configuration) changed since
            the campaign began, it went somewhere else (outbox vs SMTP server), or the
            list file changed and ``accept_list_change`` is false.
    """
    info = journal.campaign(campaign) if journal is not None else None
    if info is None:
        return Plan(campaign, None, recipients, list(recipients))
    assert journal is not None
    counts = journal.counts(campaign)
    refresh = (info.content_hash, info.transport, info.list_hash) != (content, transport,
                                                                      list_hash)
    if info.transport == OUTBOX and refresh:
        # The outbox is for looking, not sending: after a look, a changed advisory or list,
        # or the real send through the server, starts the campaign afresh.
        return Plan(campaign, info, recipients, list(recipients), refresh=True,
                    restart=True, list_changed=info.list_hash != list_hash)
    # While nobody has (or may have) received anything, a change cannot split the campaign.
    if counts[State.SENT.value] + counts[State.UNCERTAIN.value]:
        _refuse_changes(info, counts[State.SENT.value], content=content, transport=transport,
                        list_path=list_path, list_hash=list_hash,
                        accept_list_change=accept_list_change)
    states = journal.states(campaign)
    due: list[Recipient] = []
    plan = Plan(campaign, info, recipients, due, list_changed=info.list_hash != list_hash,
                refresh=refresh)
    on_list: set[str] = set()
    failed_keys: set[str] = set()
    uncertain_keys: set[str] = set()
    for rec in recipients:
        key = rec.email.lower()
        on_list.add(key)
        state = states.get(key, State.PENDING)
        if state is State.SENT:
            plan.already_sent += 1
        elif state is State.FAILED and not retry_failed:
            failed_keys.add(key)
        elif state is State.UNCERTAIN and not resend_uncertain:
            uncertain_keys.add(key)
        else:
            due.append(rec)
    plan.not_on_list = sum(1 for key in states if key not in on_list)
    if failed_keys or uncertain_keys:
        for row in journal.recipients(campaign, [State.FAILED, State.UNCERTAIN]):
            if row.email in failed_keys:
                plan.failed_before.append(row)
            elif row.email in uncertain_keys:
                plan.uncertain_before.append(row)
    return plan


# -- pre-flight -----------------------------------------------------------------------


def preflight(composer: Composer, due: Iterable[Recipient], list_name: str) -> Composed | None:
    """Check every due recipient before anything is sent, so a problem with any one appears
    first: what can fail per recipient (personal fields, the ``To`` header) is checked with
    :meth:`Composer.check` without building the message, so each message is composed once,
    when it is sent. Only the first message is built (for ``--dry-run``) and returned.

    Raises:
        ListError: naming the list line of a recipient whose message cannot be built.
    """
    first: Composed | None = None
    for rec in due:
        try:
            if first is None:
                first = composer.compose(rec.email, rec.name, rec.fields())
            else:
                # No field values: Recipient.fields() always has every personal field
                # (check_fields has checked the values), so only the To line can fail, and
                # building each recipient's fields here cost 1 s of CPU for 100,000.
                composer.check(rec.email, rec.name)
        except (ValueError, TypeError, KeyError, UnicodeError, email.errors.MessageError) as exc:
            raise ListError(
                f"the message for {rec.display_email} cannot be built ({exc}). Correct the "
                "address or name in the list. Nothing was sent.",
                path=list_name,
                line=rec.lines[0] if rec.lines else None,
            ) from None
    return first


# -- words for the person at the keyboard -----------------------------------------------


def estimate_seconds(messages: int, rate_per_minute: int) -> float | None:
    """Seconds a send of ``messages`` takes at ``rate_per_minute`` (the first message goes
    at once), or ``None`` without a rate."""
    if messages <= 0:
        return 0.0
    if rate_per_minute <= 0:
        return None
    return (messages - 1) * 60.0 / rate_per_minute


def duration_words(seconds: float) -> str:
    """``under a minute``, ``about 50 minutes``, ``about 2 hours 10 minutes``."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours, mins = divmod(minutes, 60)
    text = f"about {hours} hour{'s' if hours != 1 else ''}"
    return text + (f" {mins} minute{'s' if mins != 1 else ''}" if mins else "")


def time_words(ts: float) -> str:
    """A local time people can act on: ``14:35`` today, else ``Tue 14 Oct 14:35``."""
    when = dt.datetime.fromtimestamp(ts)
    if when.date() == dt.date.today():
        return when.strftime("%H:%M")
    return when.strftime("%a %d %b %H:%M")


def summarise(plan: Plan, result: RunResult, transport: str, resume_command: str,
              sender: str = "") -> SendSummary:
    """The run's :class:`SendSummary`: this run's outcomes plus what earlier runs left
    (failed or uncertain recipients not tried again are listed among the failures)."""
    summary = SendSummary(
        campaign=plan.campaign,
        transport=transport,
        recipients=len(plan.recipients),
        sent=result.count(State.SENT),
        failed=result.count(State.FAILED),
        deferred=result.count(State.DEFERRED),
        uncertain=result.count(State.UNCERTAIN),
        skipped=plan.skipped,
        pending=result.not_tried,
        already_sent=plan.already_sent,
        stopped=result.stopped.value if result.stopped else None,
        stop_text=result.stop_text,
        retry_after=result.retry_after,
        resume_command=resume_command,
        sender=sender,
    )
    for outcome in result.not_sent.values():
        summary.failures.append(
            Failure(outcome.email, outcome.state.value, outcome.code, outcome.text)
        )
    for row in plan.failed_before + plan.uncertain_before:
        summary.failures.append(Failure(row.email, row.state.value, row.code, row.reply,
                                        earlier=True))
    summary.complete = plan.already_sent + summary.sent == len(plan.recipients)
    if transport == OUTBOX:  # a look, not a delivery: never called "sent"
        summary.written, summary.sent = summary.sent, 0
    return summary


def login_words(reply: str) -> str:
    """After ``530 5.7.0 Authentication required`` (RFC 4954 §6): what to set; after
    Microsoft 365's ``550 5.7.30`` / ``5.7.139`` (passwords turned off), how to switch to
    OAuth2 (:func:`mailer.oauth.words.stopped_sign_in_words`)."""
    from mailer.oauth.words import stopped_sign_in_words

    words = stopped_sign_in_words(reply)
    if words is not None:
        return words
    return ("the server needs you to log in: set smtp.username in mailer.yaml (and the "
            f"password in MAILER_SMTP_PASSWORD) ({reply}).")


def stop_words(summary: SendSummary) -> str:
    """What to tell the person when the run stopped early, with the command to go on; when
    it was not stopped but left deferred or failed recipients, the next step for them
    (:func:`next_step_words`)."""
    if summary.stopped is None:
        return next_step_words(summary)
    reason = StopReason(summary.stopped)
    left = summary.pending + summary.deferred
    after = (f" after {time_words(summary.retry_after)}"
             if summary.retry_after is not None and reason is not StopReason.INTERRUPTED
             else "")
    lead = {
        StopReason.THROTTLED: f"The server asked mailer to slow down or stop for now "
                              f"({summary.stop_text}).",
        StopReason.DAILY_CAP: f"Stopped: {summary.stop_text}.",
        StopReason.CONNECTION: f"Stopped: the server cannot be reached ({summary.stop_text}).",
        StopReason.INTERRUPTED: "Stopped after the messages in flight.",
        StopReason.LOGIN_REQUIRED: f"Stopped: {login_words(summary.stop_text)}",
        StopReason.SENDER_REFUSED: f"Stopped: the server will not send as "
                                   f"{summary.sender} ({summary.stop_text}). Check "
                                   "sender.from in mailer.yaml and that the account you log "
                                   "in with may send as that address.",
        StopReason.DISK: f"Stopped: {summary.stop_text}. Make room on the disk (or fix the "
                         "folder's permissions).",
        StopReason.REFUSED: f"Stopped: the server refuses mail from this account or this "
                            f"computer ({summary.stop_text}). Check smtp.host and "
                            "smtp.username in mailer.yaml, or ask whoever runs the email "
                            "account.",
    }[reason]
    return (
        f"{lead} {left:,} recipient{'s are' if left != 1 else ' is'} still to send; nobody "
        f"is sent twice. Run the same command again{after} to carry on:\n"
        f"  {summary.resume_command}"
    )


def next_step_words(summary: SendSummary) -> str:
    """After a run that went to the end: what to do about this run's deferred recipients
    (run the same command later) and failed ones (``--retry-failed``); "" when none."""
    parts = []
    if summary.deferred:
        n = summary.deferred
        parts.append(
            f"{n:,} parent{'s were' if n != 1 else ' was'} deferred (the server said: try "
            "later). Run the same command again later to try "
            f"{'them' if n != 1 else 'it'}; nobody is sent twice:\n  {summary.resume_command}")
    if summary.failed:
        n = summary.failed
        command = summary.resume_command
        if "--retry-failed" not in command.split():
            command += " --retry-failed"
        parts.append(
            f"{n:,} parent{'s' if n != 1 else ''} failed (the server's reply is shown "
            "above). Once the address is corrected or the problem is fixed, --retry-failed "
            f"tries {'them' if n != 1 else 'it'} again:\n  {command}")
    return "\n".join(parts)


def journal_broke_error(exc: MailerError, done: int, resume_command: str,
                        emailed: bool) -> MailerError:
    """The journal could not be written after ``done`` messages went (a full disk): exit
    status 1, not 2, since something was sent; says how to carry on."""
    what = "sent" if emailed else "written to the outbox folder"
    err = MailerError(
        f"{exc.message} {done:,} message{'s were' if done != 1 else ' was'} {what} before "
        "this and are recorded; nothing more was sent. Make room on the disk, then run the "
        f"same command again to carry on (nobody is sent twice):\n  {resume_command}",
        path=exc.path)
    err.exit_code = 1
    return err


def stopped_at_once_words(campaign: str, resume_command: str,
                          uncertain: list[str] | None = None) -> str:
    """After a second Ctrl-C (no waiting for the messages in flight). ``uncertain``: the
    parents whose message was on its way (``None`` when not known)."""
    if uncertain is None:
        middle = ("A parent whose message was being sent at that moment is marked uncertain "
                  f"(the message may have arrived; see: mailer status {campaign}).")
    elif uncertain:
        who = ", ".join(uncertain)
        middle = (f"The message to {who} was on its way at that moment, so "
                  f"{'they are' if len(uncertain) > 1 else 'it is'} marked uncertain (the "
                  f"message may have arrived; see: mailer status {campaign}).")
    else:
        middle = "No message was on its way at that moment."
    return (f"Stopped. {middle} Nobody is sent twice. Run the same command again to carry "
            f"on:\n  {resume_command}")


def nothing_to_send_words(plan: Plan) -> str:
    """Why a run has nobody to send to, and what would change that."""
    parts = [f"Nothing to send: {plan.already_sent:,} of {len(plan.recipients):,} recipients "
             f"of campaign {plan.campaign} were sent before"]
    if plan.failed_before:
        parts.append(f"{len(plan.failed_before):,} failed (add --retry-failed to try again)")
    if plan.uncertain_before:
        parts.append(f"{len(plan.uncertain_before):,} uncertain (add --resend-uncertain)")
    text = "; ".join(parts) + "."
    return text + " To send the advisory again to everyone, use --campaign NEW-NAME."
