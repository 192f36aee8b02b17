"""A campaign: one snippet sent to one list, resumable through the journal.

This module decides *what* a run sends (pre-flight checks, resume rules, changes since the
campaign began) and shapes the summary; :mod:`mailer.engine` does the sending.

Resume rules: ``sent`` (and ``written``, in a campaign that went to the outbox folder) is
skipped; ``pending`` and ``deferred`` are sent; ``failed`` only
with ``--retry-failed``; ``uncertain`` only with ``--resend-uncertain`` (listed otherwise).
"""

from __future__ import annotations

import email.errors
import hashlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from mailer import sendwords
from mailer.compose import Composed, Composer, to_line_cannot_fail
from mailer.config import Sender
from mailer.errors import CampaignChangedError, ListError, MailerError
from mailer.journal import Journal
from mailer.lists import Recipient
from mailer.outcome import (  # Plan and SendSummary: imported from here too
    NOT_DONE,
    OUTBOX,
    CampaignInfo,
    Plan,
    RunResult,
    SendSummary,
    State,
)
from mailer.render import ALWAYS_PRESENT, Rendered


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
                    sendwords.missing_field_words(name, rec.display_email),
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
        raise ListError(sendwords.list_unreadable_words(exc.strerror), path=path) from None
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
        raise MailerError(sendwords.CAMPAIGN_NAME_WORDS)
    return name


# -- what this run sends --------------------------------------------------------------


def _refuse_changes(
    info: CampaignInfo, sent: int, *, content: str, transport: str, list_path: Path,
    list_hash: str, accept_list_change: bool,
) -> None:
    if info.content_hash != content:
        raise CampaignChangedError(sendwords.content_changed_words(info, sent))
    if info.transport != transport:
        raise CampaignChangedError(sendwords.destination_changed_words(info, transport))
    if info.list_hash != list_hash and not accept_list_change:
        raise CampaignChangedError(sendwords.list_changed_words(info, sent), path=list_path)


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
        if state.done:
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
                continue
            # No field values: Recipient.fields() always has every personal field
            # (check_fields has checked the values), so only the To line can fail, and
            # building each recipient's fields here cost 1 s of CPU for 100,000.
            address, name = rec.email, rec.name
            if not to_line_cannot_fail(address, name):  # else check() would do nothing
                composer.check(address, name)
        except (ValueError, TypeError, KeyError, UnicodeError, email.errors.MessageError) as exc:
            raise ListError(
                sendwords.unbuildable_message_words(rec.display_email, exc),
                path=list_name,
                line=rec.lines[0] if rec.lines else None,
            ) from None
    return first


# -- words for the person at the keyboard -----------------------------------------------


def summarise(plan: Plan, result: RunResult, transport: str, resume_command: str,
              sender: str = "", journal: Journal | None = None) -> SendSummary:
    """The run's :class:`SendSummary`: this run's outcomes plus what earlier runs left
    (failed or uncertain recipients not tried again are listed among the failures). With
    ``journal``, this run's recipients not sent are listed as the journal has them (their
    attempts over every run and the time of the last), as ``mailer status`` lists them."""
    summary = SendSummary(
        campaign=plan.campaign,
        transport=transport,
        recipients=len(plan.recipients),
        sent=result.count(State.SENT),
        written=result.count(State.WRITTEN),
        failed=result.count(State.FAILED),
        deferred=result.count(State.DEFERRED),
        uncertain=result.count(State.UNCERTAIN),
        skipped=plan.skipped,
        pending=result.not_tried,
        already_sent=plan.already_sent,
        stopped=result.stopped,
        stop_text=result.stop_text,
        retry_after=result.retry_after,
        resume_command=resume_command,
        sender=sender,
    )
    rows = ({r.email: r for r in journal.recipients(plan.campaign, NOT_DONE)}
            if journal is not None and result.not_sent else {})
    summary.failures.extend(replace(rows[key], email=o.email) if key in rows else o
                            for key, o in result.not_sent.items())
    summary.failures.extend(replace(row, earlier=True)
                            for row in plan.failed_before + plan.uncertain_before)
    done = summary.sent + summary.written
    summary.complete = plan.already_sent + done == len(plan.recipients)
    return summary


