"""Every sentence ``mailer send`` and ``mailer status`` show a person about sending: the
summary before sending and the question, progress, why a run stopped and what to do next,
the summary after, and the status of a campaign; the errors of the send path (the list's
pre-flight, the password, the journal and its lock, the outbox folder, connecting to the
server) and the replies mailer writes itself for a message (a lost connection). The words
for OAuth2 sign-in are :mod:`mailer.oauth.words`'s, those for YAML :mod:`mailer.yamlwords`'s.

The outcome names are :mod:`mailer.outcome`'s; a message written to the outbox folder is
never called "sent". This module imports only :mod:`mailer.errors`, :mod:`mailer.outcome`,
:mod:`mailer.oauth.words` and (for types) :mod:`mailer.config`, so every module of the send
path can use it
(``tests/test_send_words_in_one_module.py`` holds both rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailer.errors import JournalGone, MailerError
from mailer.outcome import (
    OUTBOX,
    CampaignInfo,
    Outcome,
    Plan,
    RecipientOutcome,
    RunResult,
    SendSummary,
    State,
    StopReason,
)

if TYPE_CHECKING:
    from mailer.config import Config

#: What a message written to the outbox folder is, in words, everywhere.
WRITTEN_WORDS = "written to the outbox folder, not emailed"


#: What an uncertain recipient's reply means, in words.
UNCERTAIN_WORDS = ("the message may have arrived (mailer was stopped, or the connection "
                   "dropped, before the server confirmed it)")


def reply_words(row: RecipientOutcome) -> str:
    """``uncertain: the message may have arrived (...)`` for an uncertain recipient (whose
    journal reply is only "data sent, awaiting reply"), else ``state (code text)`` without
    a code of 0."""
    if row.state is State.UNCERTAIN:
        return f"uncertain: {UNCERTAIN_WORDS}"
    reply = row.outcome.reply
    return f"{row.state.value} ({reply})" if reply else row.state.value


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%d %b %Y %H:%M")


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
    reason = summary.stopped
    left = summary.pending + summary.deferred
    # The stop text may be a sentence of its own ("... (421 4.3.2 busy)."): its full stop
    # goes, as it stands in brackets or before one of ours.
    text = summary.stop_text.rstrip()
    text = text[:-1] if text.endswith(".") and not text.endswith("..") else text
    after = (f" after {time_words(summary.retry_after)}"
             if summary.retry_after is not None and reason is not StopReason.INTERRUPTED
             else "")
    lead = {
        StopReason.THROTTLED: f"The server asked mailer to slow down or stop for now "
                              f"({text}).",
        StopReason.DAILY_CAP: f"Stopped: {text}.",
        StopReason.CONNECTION: f"Stopped: the server cannot be reached ({text}).",
        StopReason.INTERRUPTED: "Stopped after the messages in flight.",
        StopReason.LOGIN_REQUIRED: f"Stopped: {login_words(text)}",
        StopReason.SENDER_REFUSED: f"Stopped: the server will not send as "
                                   f"{summary.sender} ({text}). Check "
                                   "sender.from in mailer.yaml and that the account you log "
                                   "in with may send as that address.",
        StopReason.DISK: f"Stopped: {text}. Make room on the disk (or fix the "
                         "folder's permissions).",
        StopReason.REFUSED: f"Stopped: the server refuses mail from this account or this "
                            f"computer ({text}). Check smtp.host and "
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
                        emailed: bool, recorded: int | None = None) -> MailerError:
    """The journal could not be written after ``done`` messages went (a full disk, or its
    file deleted: :class:`mailer.journal.JournalGone`), ``recorded`` of them recorded as
    sent in the journal (``None``: all of them; the rest are ``uncertain`` there): exit
    status 1, not 2, since something was sent; says how to carry on."""
    gone = isinstance(exc, JournalGone)
    what = "sent" if emailed else "written to the outbox folder"
    recorded = done if recorded is None else max(0, min(recorded, done))
    late = done - recorded
    err = MailerError(
        f"{exc.message} {recorded:,} message{'s were' if recorded != 1 else ' was'} {what} "
        "before this and are recorded."
        + (f" {late:,} uncertain: {'they' if late != 1 else 'it'} went as the journal "
           "broke and arrived, but the journal could not say so ('mailer status' lists "
           "who)." if late else "")
        + " " + ("Run" if gone else "Make room on the disk, then run") + " the "
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
    done = ("were written to the outbox folder before (not emailed)"
            if plan.existing is not None and plan.existing.transport == OUTBOX
            else "were sent before")
    parts = [f"Nothing to send: {plan.already_sent:,} of {len(plan.recipients):,} recipients "
             f"of campaign {plan.campaign} {done}"]
    if plan.failed_before:
        parts.append(f"{len(plan.failed_before):,} failed (add --retry-failed to try again)")
    if plan.uncertain_before:
        parts.append(f"{len(plan.uncertain_before):,} uncertain (add --resend-uncertain)")
    text = "; ".join(parts) + "."
    return text + " To send the advisory again to everyone, use --campaign NEW-NAME."


def content_changed_words(info: CampaignInfo, sent: int) -> str:
    """The advisory, templates or settings changed after ``sent`` messages went."""
    return (
        f"the advisory, its templates or mailer.yaml changed since campaign '{info.name}' "
        f"began on {_when(info.created)} ({sent} already sent with the earlier version), "
        "so nothing was sent. Put the earlier version back to finish this campaign, or "
        "start a new one with --campaign NEW-NAME (everyone on the list then gets the "
        "new version, including those already sent).")


def destination_changed_words(info: CampaignInfo, transport: str) -> str:
    """The campaign went elsewhere before (``transport``: the journal's name for where
    it goes now)."""
    where = "the outbox folder" if info.transport == OUTBOX else info.transport
    return (
        f"campaign '{info.name}' went to {where} before, not to {transport}, so nothing "
        f"was sent. To send it this way, start a new campaign with --campaign "
        f"{info.name}--2, or forget the earlier run with: mailer status {info.name} --purge")


def list_changed_words(info: CampaignInfo, sent: int) -> str:
    """The list file changed after ``sent`` messages went, without --list-changed."""
    return (
        f"the list changed since campaign '{info.name}' began on {_when(info.created)} "
        f"({sent} already sent), so nothing was sent. Add --list-changed to go on with "
        "the new list (those already sent are skipped, new people are sent, people "
        "taken off the list are not sent), or start a new campaign with "
        "--campaign NEW-NAME.")


def port_hint_words(message: str, security: str, port: int) -> str:
    """``message`` and a hint that ``smtp.security`` does not suit the well-known port
    (587 STARTTLS, RFC 6409 / RFC 3207; 465 implicit TLS, RFC 8314 §3.3)."""
    return (f"{message} Port 587 uses starttls, 465 uses tls: check smtp.security "
            f"({security}) and smtp.port ({port}).")


def broken_email_words(count: int, ids: list[str], snippet_id: str) -> str:
    """``mailer check`` found ``count`` errors (checklist ``ids``): nothing was sent."""
    return (f"the email has {count} problem(s) that would make it break or be hard to "
            f"read for some parents (checklist {', '.join(ids)}). Run 'mailer check "
            f"{snippet_id}' to see each one and what to do. Nothing was sent.")


def proof_address_words(address: str, why: object) -> str:
    """``--test-to ADDRESS`` is not an email address."""
    return f"--test-to '{address}' is not an email address ({why})."


#: ``--dry-run`` with ``--test-to``.
DRY_RUN_OR_PROOF = ("--dry-run sends nothing and --test-to sends one proof: choose one. "
                    "Nothing was sent.")

#: After the person answered no, or pressed Ctrl-C at the question.
NOTHING_SENT = "Nothing was sent."

#: ``mailer send`` to a server without ``--yes`` and no terminal to ask on.
NO_TERMINAL_WORDS = ("sending needs a yes, and there is no terminal to ask on. Check the "
                     "summary above, then run the same command with --yes. Nothing was sent.")


def proof_words(address: str, where: str, outcome: Outcome) -> str:
    """``Test message to ADDRESS via WHERE: sent (250 OK)`` after ``--test-to``; a proof
    written to the outbox folder says so and where to find it, with no server reply (there
    was no server): ``Test message to ADDRESS written to the outbox folder, not emailed:
    open it from FOLDER/new``."""
    if outcome.state is State.WRITTEN:
        folder = where.removeprefix("outbox folder ")
        return f"Test message to {address} {WRITTEN_WORDS}: open it from {folder}/new"
    return f"Test message to {address} via {where}: {outcome.state.value} ({outcome.reply})"


def summary_lines(summary: SendSummary) -> list[str]:
    """The words after a run (standard output): the counts (with those not tried yet when
    it stopped early, so they add up to the campaign), the language of the messages,
    then each parent not sent with the server's reply, this run's first, then those left by
    earlier runs."""
    done = (f"{summary.written} written to the outbox folder (not emailed)"
            if summary.transport == OUTBOX else f"{summary.sent} sent")
    lines = [f"{'So far' if summary.stopped else 'Done'}: {done}, {summary.failed} failed, "
             f"{summary.deferred} deferred, {summary.uncertain} uncertain, "
             + (f"{summary.pending:,} not tried yet, " if summary.pending else "")
             + f"{summary.skipped} skipped (campaign {summary.campaign})."]
    lines += summary.language_lines
    lines += [f"  {f.email}: {reply_words(f)}" for f in summary.failures if not f.earlier]
    earlier = [f for f in summary.failures if f.earlier]
    if earlier:
        lines.append("From earlier runs:")
    lines += [f"  {f.email}: {reply_words(f)}" for f in earlier]
    return lines


#: A dry run was asked to send (a programming mistake, never a person's).
DRY_RUN_CANNOT_SEND = "a dry run cannot send."


def daily_cap_words(cap: int) -> str:
    """Why a run stopped at ``smtp.daily_cap``."""
    return f"the daily limit of {cap:,} messages in 24 hours is reached"


def keeps_breaking_words(reply: str) -> str:
    """Why a run stopped after the connection broke again and again."""
    return f"the connection keeps breaking ({reply})"


def waiting_words(until: float, count: int, reply: str) -> str:
    """``Waiting until 10:42 to try 1 parent again (the server said: 450 ...). Press
    Ctrl-C to stop safely: nobody is sent twice, and the same command carries on later.``"""
    said = reply or "try later"
    return (f"Waiting until {time_words(until)} to try {count:,} "
            f"parent{'s' if count != 1 else ''} again (the server said: {said}). Press "
            "Ctrl-C to stop safely: nobody is sent twice, and the same command carries on "
            "later.")


def rate_words(done: int, first: float | None, now: float) -> str:
    """``12/min``: the rate messages are going at, from the first outcome to now (``done``
    outcomes, the first at monotonic time ``first``). Counting from the first outcome, not
    from the start, gives the pacing in use (a limit of 12 a minute shows 12/min, not the
    60/min that one message in the first second would suggest); "" until two are done."""
    if first is None or done < 2 or now <= first:
        return ""
    return f"{(done - 1) * 60.0 / (now - first):.0f}/min"


def progress_words(result: RunResult, total: int) -> str:
    """``100 of 1,482 done: 98 sent, 1 failed, 1 deferred, 0 uncertain``; for the outbox
    folder ``15 of 15 done: 15 written to the outbox folder, not emailed, ...``."""
    counts = {s.value: result.count(s) for s in State}
    states = (State.SENT, State.WRITTEN, State.FAILED, State.DEFERRED, State.UNCERTAIN)
    return (f"{result.tried:,} of {total:,} done: "
            + counts_words(counts, not result.emails, states))


def bar_words(result: RunResult) -> str:
    """The counts beside the progress bar: ``98 sent, 1 failed, 1 deferred`` (and the
    uncertain ones, when there are any); written, not sent, for the outbox folder."""
    counts = {s.value: result.count(s) for s in State}
    states = [State.SENT, State.WRITTEN, State.FAILED, State.DEFERRED]
    if counts[State.UNCERTAIN.value]:
        states.append(State.UNCERTAIN)
    return counts_words(counts, not result.emails, states)


#: At most this many earlier failed/uncertain recipients are named in the summary.
LIST_AT_MOST = 20


def _name_rows(rows: list) -> list[str]:  # type: ignore[type-arg]
    out = [f"              {r.email}: " + (
        "mailer was stopped, or the connection dropped, before the server confirmed it"
        if r.state is State.UNCERTAIN
        else f"{r.code or ''} {r.reply}".strip()) for r in rows[:LIST_AT_MOST]]
    if len(rows) > LIST_AT_MOST:
        out.append(f"              and {len(rows) - LIST_AT_MOST:,} more "
                   "(see: mailer status)")
    return out


def question_words(count: int, sender: str, host: str, builtin: str | None = None) -> str:
    """``Send 1,482 emails as office@school via smtp.office365.com?``; ``builtin``: the
    id of the advisory when it is the built-in one, not the workspace's own copy."""
    what = f" of the BUILT-IN advisory '{builtin}'" if builtin else ""
    return (f"Send {count:,} email{'s' if count != 1 else ''}{what} as {sender} via "
            f"{host}?")


def prepared_words(plan: Plan, config: Config, *, server: str, emails: bool,
                   daily_left: int | None, notice: str | None = None,
                   language_lines: Iterable[str] = ()) -> str:
    """The summary shown before sending (several lines): the campaign, who is sent now
    and who is not, the sender, and the server with its pacing and the time it takes
    (``emails``: a server; else the outbox folder, ``server`` its label either way).
    ``daily_left``: messages ``smtp.daily_cap`` still allows now (``None``: no cap);
    ``notice``: the first line, when the advisory is the built-in one rather than the
    workspace's own copy; ``language_lines``: the parents per language."""
    smtp = config.smtp
    due = len(plan.due)
    status = "new" if plan.existing is None else (
        "starting afresh: the earlier run only wrote to the outbox folder"
        if plan.restart else f"resumed, begun {time_words(plan.existing.created)}")
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
    lines.append(f"From:       {config.sender.address}")
    if emails:
        conns = smtp.connections
        lines.append(f"Server:     {server}, {conns} connection{'s' if conns > 1 else ''}")
        rate = (f"{smtp.rate_per_minute:,} messages a minute" if smtp.rate_per_minute
                else "no limit set (rate_per_minute)")
        left = daily_left
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
        lines.append(f"Delivery:   {server} (nothing leaves this computer)")
    lines += language_lines
    return "\n".join(lines)


def dry_run_words(first: bytes | None) -> str:
    """The first message's headers and plain text (``first``: its bytes, ``None`` when
    nobody is due), for ``--dry-run``."""
    if first is None:
        return "No message would be sent."
    msg = BytesParser(policy=policy.default).parsebytes(first)
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


#: Words for each state's count.
STATE_WORDS = {State.PENDING: "pending", State.SENT: "sent", State.WRITTEN: WRITTEN_WORDS,
               State.DEFERRED: "deferred", State.FAILED: "failed",
               State.UNCERTAIN: "uncertain"}


def counts_words(counts: Mapping[str, int], outbox: bool,
                 states: Iterable[State] = tuple(State)) -> str:
    """``3 pending, 12 sent, 0 deferred, 1 failed, 0 uncertain``: the count of each of
    ``states``; messages are ``written to the outbox folder, not emailed`` for a campaign
    that went to the outbox folder (``outbox``) and ``sent`` otherwise (a count of the other
    one is shown only when it is not 0)."""
    hidden = State.SENT if outbox else State.WRITTEN
    return ", ".join(f"{counts.get(s.value, 0):,} {STATE_WORDS[s]}" for s in states
                     if s is not hidden or counts.get(s.value, 0))


def campaign_status_words(data: dict[str, Any]) -> str:
    """Words for :func:`mailer.status.campaign_status`."""
    created = dt.datetime.fromisoformat(data["created"]).timestamp()
    lines = [
        f"{data['campaign']}: {data['snippet']} to {data['list']} via "
        + ("the outbox folder (a look: nothing was emailed)" if data["transport"] == OUTBOX
           else data["transport"].removeprefix("smtp ")),
        f"  begun {_when(created)}; {data['recipients']:,} recipients: "
        f"{counts_words(data['counts'], data['transport'] == OUTBOX)}",
    ]
    lines += language_table(data.get("languages", {}), data["transport"] == OUTBOX)
    for row in data["not_sent"]:
        reply = (UNCERTAIN_WORDS if row["state"] == State.UNCERTAIN.value
                 else f"{row['code'] or ''} {row['reply']}".strip())
        lines.append(f"  {row['state']:9} {row['email']}: {reply} "
                     f"({row['attempts']} attempt{'s' if row['attempts'] != 1 else ''})")
    return "\n".join(lines)


def language_table(languages: Mapping[str, Mapping[str, Any]], outbox: bool) -> list[str]:
    """How many parents got each language (``languages`` as
    :func:`mailer.status.campaign_status` gives it), as a small table under the counts;
    nothing for a campaign in one language."""
    if len(languages) < 2:
        return []
    done = State.WRITTEN.value if outbox else State.SENT.value
    width = max(len("Language"), *(len(v["name"]) for v in languages.values()))
    lines = [f"  {'Language':<{width}}  {'Parents':>7}  {done.capitalize():>7}  "
             f"{'Not ' + done:>11}"]
    for v in languages.values():
        lines.append(f"  {v['name']:<{width}}  {v['recipients']:>7,}  {v[done]:>7,}  "
                     f"{v['recipients'] - v[done]:>11,}")
    return lines


def all_status_words(data: dict[str, Any]) -> str:
    """Words for :func:`mailer.status.all_status`."""
    if not data["campaigns"]:
        return "Nothing has been sent from this workspace yet."
    lines = []
    for c in data["campaigns"]:
        lines.append(f"{c['campaign']}: {c['recipients']:,} recipients: "
                     f"{counts_words(c['counts'], c['transport'] == OUTBOX)}")
        if len(c.get("languages", {})) > 1:
            lines.append("  in " + ", ".join(f"{v['name']} {v['recipients']:,}"
                                             for v in c["languages"].values()))
    lines.append("Details of one campaign: mailer status CAMPAIGN")
    return "\n".join(lines)


def problem_words(row: RecipientOutcome) -> str:
    """``failed: 550 5.1.1 No such user`` for the ``--problems`` file."""
    reply = UNCERTAIN_WORDS if row.state is State.UNCERTAIN else row.outcome.reply
    return f"{row.state.value}: {reply}"


def no_such_campaign_words(name: str, names: list[str]) -> str:
    """``mailer status NAME`` for a campaign the journal does not have."""
    return (f"there is no campaign called '{name}'. Campaigns: "
            f"{', '.join(names) or 'none yet'}.")


#: What to do about each kind of parent not sent, for the ``--problems`` file.
TODO_WORDS = {
    "failed": "Check the address with the family and correct it in the list; then run the "
              "same send again with --retry-failed.",
    "deferred": "Nothing yet: the server said try later. Run the same send command again "
                "later; nobody is sent twice.",
    "uncertain": "Ask the family whether the email arrived. To send it again (they may get "
                 "it twice), run the same send with --resend-uncertain.",
}


# -- mailer status --purge / --problems --------------------------------------------------

NEEDS_CAMPAIGN_TO_PURGE = "--purge needs the campaign's name: mailer status CAMPAIGN --purge"
NEEDS_CAMPAIGN_FOR_PROBLEMS = ("--problems needs the campaign's name: mailer status CAMPAIGN "
                               "--problems FILE.csv")
NOTHING_DELETED = "Nothing was deleted."
NOTHING_SENT_YET = "nothing has been sent from this workspace yet."


def purge_question_words(campaign: str, data: Mapping[str, Any]) -> str:
    """``Delete the records of campaign C (15 parents, 15 sent)? ...`` (``data`` as
    :func:`mailer.status.campaign_status` gives it)."""
    counts = data["counts"]
    done = (f"{counts.get('written', 0):,} {WRITTEN_WORDS}" if counts.get("written")
            else f"{counts.get('sent', 0):,} sent")
    return (f"Delete the records of campaign {campaign} ({data['recipients']:,} parents, "
            f"{done})? Sending it again would send to everyone again.")


def purge_no_terminal_words(campaign: str) -> str:
    """``--purge`` without ``--yes`` and no terminal to ask on."""
    return (f"--purge deletes the records of campaign {campaign}, and there is no terminal "
            "to ask on. Check 'mailer status' first, then run the same command with --yes. "
            "Nothing was deleted.")


def purged_words(campaign: str, count: int) -> str:
    """After ``--purge``: ``count`` recipient records deleted."""
    return (f"Deleted campaign {campaign} and its {count:,} recipient records. Sending it "
            "again would send to everyone again.")


def problems_written_words(count: int, path: object) -> str:
    """After ``--problems FILE``: ``count`` parents written."""
    return f"Wrote {count:,} parent{'s' if count != 1 else ''} not sent to {path}."


# -- before sending: the list, the campaign's name, the password ---------------------------


def missing_field_words(name: str, email: str) -> str:
    """The templates use ``recipient.NAME`` and the list gives none for ``email``."""
    return (f"the template uses recipient.{name}, but the list gives no {name} for "
            f"{email}. Fill it in, or remove recipient.{name} from the "
            "template. Nothing was sent.")


def list_unreadable_words(why: str) -> str:
    """The list file cannot be read (``why``: the system's reason)."""
    return f"the list file cannot be read ({why})."


#: ``--campaign`` is empty, too long, or not on one line.
CAMPAIGN_NAME_WORDS = ("--campaign must be a name of 1 to 100 characters on one line, "
                       "for example 'webcams-autumn-term'.")


def unbuildable_message_words(email: str, why: object) -> str:
    """The message for ``email`` cannot be built (a name or address the ``To`` line
    cannot hold)."""
    return (f"the message for {email} cannot be built ({why}). Correct the "
            "address or name in the list. Nothing was sent.")


def nothing_sent_words(text: str) -> str:
    """``text`` and ``Nothing was sent.``"""
    return f"{text} {NOTHING_SENT}"


def password_prompt_words(username: str, host: str) -> str:
    """The hidden prompt for the SMTP password on a terminal."""
    return f"Password for {username} at {host}: "


def no_password_words(username: str, env: str, service: str) -> str:
    """A username is set and no password was found (environment variable ``env``, the
    keyring's ``service``, or the prompt)."""
    return (f"no password for {username}. Set the environment variable {env} "
            f"before running mailer (for example: export {env}='...'), or store "
            f"it once in the system keyring with: keyring set {service} {username}")


# -- the journal and the send lock --------------------------------------------------------

#: The journal's folder (``.mailer``) is a file.
JOURNAL_FOLDER_IS_FILE = (
    "this is a file, but mailer keeps its records in a folder with this name. Move "
    "or rename the file, then run the same command again. Nothing was sent.")


def journal_folder_words(why: str) -> str:
    """The journal's folder cannot be made or used (``why``: the system's reason)."""
    return (f"the folder for mailer's records cannot be made or used ({why}). "
            "Check that the workspace is on a disk you can write to. Nothing was sent.")


def damaged_words(path: Path, why: str) -> str:
    """What to say about a journal SQLite cannot read, true for ``send`` and ``status``
    alike: mailer sends nothing while it is damaged (not "nothing was ever sent", which a
    reader of ``status`` could take about the campaign), how to go on (move it aside) and
    what is lost."""
    return (
        f"the send journal is damaged ({why}). mailer stopped here: it sends nothing while its "
        f"journal is damaged. To go on, move it aside, "
        f"for example: mv {path} {path}.damaged  (and the files next to it starting "
        f"{path.name}-, if any). mailer then starts a new journal. What is lost is its "
        "record of who was already sent: sending a campaign again would send it to "
        "everyone again, so check with the people you sent to first."
    )


#: Why a journal is damaged when SQLite's check gives no answer at all.
NO_CHECK_ANSWER = "no answer"


def journal_create_words(why: str) -> str:
    """The journal's file cannot be created."""
    return f"the send journal cannot be created ({why})."


#: ``mailer status`` before any send.
NO_JOURNAL_YET = "there is no send journal yet: nothing has been sent."

#: The journal's schema is newer than this mailer's.
JOURNAL_TOO_NEW = "the send journal was written by a newer mailer; update mailer first."


def journal_write_words(why: object) -> str:
    """The journal cannot be written (a full disk, a lost permission)."""
    return f"the send journal cannot be written ({why}). Nothing more was sent."


def journal_gone_words(name: str) -> str:
    """The journal's file (called ``name``) was deleted or replaced while sending."""
    return ("the send journal was deleted or replaced while sending, so nothing more "
            "was sent. mailer wrote its record of who was sent back (as "
            f"{name}, or {name}.recovered beside a file put in "
            "its place).")


#: The send lock's path is a folder.
LOCK_IS_FOLDER = (
    "this is a folder, but mailer needs a small file here to make sure two sends "
    "never run at once. Move the folder away, then run the same command again. "
    "Nothing was sent.")


def lock_unwritable_words(why: str) -> str:
    """The send lock cannot be made in the workspace's folder."""
    return (f"mailer cannot write in this folder ({why}), so nothing was sent. "
            "Check that the workspace is on a disk you can write to and that the folder "
            "is yours.")


#: Another send holds the workspace's send lock.
ANOTHER_SEND = ("another 'mailer send' is running in this workspace. Wait for it to finish "
                "(or stop it with Ctrl-C) and run the command again.")

#: A message language the journal did not record (a journal from before languages).
LANGUAGE_NOT_RECORDED = "not recorded"


# -- the outbox folder --------------------------------------------------------------------


def outbox_label_words(path: Path) -> str:
    """``outbox folder PATH``: where a send to the outbox folder goes, in words."""
    return f"outbox folder {path}"


#: The outbox folder's path is a file.
OUTBOX_IS_FILE = ("this is a file, but mailer writes messages into a folder with this name. "
                  "Move or rename the file, then run the same command again.")


def outbox_create_words(why: str) -> str:
    """The outbox folder cannot be created."""
    return f"the outbox folder cannot be created ({why})."


def outbox_write_words(path: Path, why: object) -> str:
    """A message cannot be written to the outbox folder (full disk, lost permission)."""
    return f"the outbox folder {path} cannot be written ({why})"


def written_as_words(key: str) -> str:
    """The reply for a message written to the outbox folder as file ``key``."""
    return f"written to the outbox folder as {key}"


# -- connecting to the server, and what went wrong with one message -----------------------

#: ``smtp.security`` in the server's label.
SECURITY_WORDS = {"starttls": "STARTTLS", "tls": "TLS", "none": "no encryption"}


def server_label_words(host: str, port: int, security: str) -> str:
    """``smtp.office365.com:587 (STARTTLS)``."""
    return f"{host}:{port} ({SECURITY_WORDS[security]})"


def ca_file_words(why: object) -> str:
    """``smtp.ca_file`` cannot be read."""
    return f"the certificate authority file cannot be read ({why})."


def no_starttls_words(where: str) -> str:
    """The server at ``where`` (``host:port``) does not offer STARTTLS (RFC 3207)."""
    return (f"the server {where} does not offer STARTTLS encryption, so mailer "
            "will not send (passwords and parents' addresses would travel "
            "unencrypted). Check the host and port (Microsoft 365 and Google use "
            "port 587 with STARTTLS).")


#: A username is set for a server reached without encryption (not on this computer).
PLAINTEXT_AUTH_REFUSED = "AUTH over an unencrypted connection is refused."


def busy_words(where: str, code: int, reply: str) -> str:
    """A 4xx reply while connecting or signing in: run again later."""
    return f"the server {where} is not taking messages right now ({code} {reply})."


def nothing_answering_words(where: str) -> str:
    """The connection to ``where`` was refused: no server listens there."""
    return (f"cannot connect to {where}: nothing is answering there. Check smtp.host "
            "and smtp.port, and that this computer is online.")


def cannot_connect_words(where: str, why: object) -> str:
    """The connection to ``where`` failed for ``why``."""
    return (f"cannot connect to {where} ({why}). Check smtp.host, smtp.port and "
            "smtp.security, and that this computer can reach the server.")


def untrusted_words(where: str, why: str) -> str:
    """The server's certificate could not be verified."""
    return (f"the certificate of {where} could not be verified ({why}). Check the "
            "host name; if the server uses a private certificate authority, set "
            "smtp.ca_file to its certificate.")


def bad_password_words(where: str, code: int, reply: str, username: str, env: str) -> str:
    """The server refused the username or password (RFC 4954 535)."""
    return (f"the server {where} refused the username or password ({code} "
            f"{reply}). Check smtp.username ({username}) and the password in "
            f"{env} or the keyring; Microsoft 365 also needs 'Authenticated "
            "SMTP' enabled for the mailbox.")


def refused_connection_words(where: str, code: int, reply: str) -> str:
    """Another permanent refusal while connecting or signing in."""
    return (f"the server {where} refused the connection ({code} {reply}). Check "
            "smtp.host, smtp.port and smtp.username.")


def unusable_address_words(why: object) -> str:
    """A recipient's address cannot go in ``RCPT TO`` (the reply of a failed message)."""
    return f"the address cannot be used ({why})"


def lost_after_data_words(why: str) -> str:
    """The connection broke after the message's data went: it may have arrived."""
    return f"connection lost after the message was sent, before the server replied ({why})"


def lost_words(why: str) -> str:
    """The connection broke before the message's data went: it is sent again."""
    return f"connection lost ({why})"


def unsafe_address_words(address: str) -> str:
    """Why an address cannot go in ``MAIL FROM`` / ``RCPT TO`` (RFC 5321 §4.1.2)."""
    return f"'{address}' holds a space, control character or angle bracket"


#: Writing to a connection already closed.
CONNECTION_IS_CLOSED = "the connection is closed"

#: Waiting for a reply on a connection mailer closed.
CONNECTION_WAS_CLOSED = "the connection was closed"

#: The server ended the connection.
SERVER_CLOSED = "the server closed the connection"

#: A reply line longer than any SMTP server sends.
REPLY_TOO_LONG = "the server sent a reply line that is far too long"


def no_reply_words(seconds: float) -> str:
    """No reply within ``smtp.timeout_s``."""
    return f"no reply from the server within {seconds:g} s"


def not_a_reply_words(line: bytes) -> str:
    """A line that does not start with a reply code."""
    return f"the server sent something that is not an SMTP reply: {line!r}"


def connection_lost_words(why: object) -> str:
    """The connection broke for ``why``."""
    return f"the connection was lost ({why})"
