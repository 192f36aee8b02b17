"""``mailer status``: what the journal holds, as data (for ``--json``) and as words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailer.campaign import OUTBOX, UNCERTAIN_WORDS
from mailer.errors import MailerError
from mailer.journal import CampaignInfo, Journal, State
from mailer.languages import english_name
from mailer.lists.problems import ProblemRow, write_problems_csv

#: States whose recipients are listed one by one.
LISTED = (State.FAILED, State.DEFERRED, State.UNCERTAIN)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


def _local(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%d %b %Y %H:%M")


def _counts(journal: Journal, info: CampaignInfo) -> dict[str, int]:
    """Recipients per outcome, named as ``mailer send --json`` names them: ``sent`` only for
    messages a server accepted, ``written`` for messages written to the outbox folder."""
    counts = journal.counts(info.name)
    out = {"pending": counts["pending"], "sent": counts["sent"], "written": 0}
    if info.transport == OUTBOX:
        out["sent"], out["written"] = 0, counts["sent"]
    out.update({k: counts[k] for k in ("deferred", "failed", "uncertain")})
    return out


def _language_counts(journal: Journal, info: CampaignInfo) -> dict[str, dict[str, Any]]:
    """Message language (``""``: not recorded) -> its English name and recipients per
    outcome, named as :func:`_counts` names them."""
    out = {}
    for tag, counts in journal.language_counts(info.name).items():
        named = {"pending": counts["pending"], "sent": counts["sent"], "written": 0}
        if info.transport == OUTBOX:
            named["sent"], named["written"] = 0, counts["sent"]
        named.update({k: counts[k] for k in ("deferred", "failed", "uncertain")})
        out[tag] = {"name": english_name(tag) if tag else "not recorded",
                    "recipients": sum(counts.values()), **named}
    return out


def _campaign_dict(journal: Journal, info: CampaignInfo) -> dict[str, Any]:
    counts = _counts(journal, info)
    return {
        "campaign": info.name,
        "snippet": info.snippet,
        "list": info.list_path,
        "transport": info.transport,
        "created": _iso(info.created),
        "updated": _iso(info.updated),
        "recipients": sum(counts.values()),
        "counts": counts,
        "languages": _language_counts(journal, info),
    }


def campaign_status(journal: Journal, name: str) -> dict[str, Any]:
    """Counts and the failed/deferred/uncertain recipients (with their last reply).

    Raises:
        MailerError: no campaign of that name (the message names the ones there are).
    """
    info = journal.campaign(name)
    if info is None:
        names = ", ".join(c.name for c in journal.campaigns()) or "none yet"
        raise MailerError(f"there is no campaign called '{name}'. Campaigns: {names}.")
    out = _campaign_dict(journal, info)
    out["not_sent"] = [
        {"email": r.email, "state": r.state.value, "code": r.code, "reply": r.reply,
         "attempts": r.attempts, "last_attempt": _iso(r.last_attempt)}
        for r in journal.recipients(name, LISTED)
    ]
    return out


def all_status(journal: Journal | None) -> dict[str, Any]:
    """Every campaign with its counts (``journal`` may be ``None``: nothing sent yet)."""
    if journal is None:
        return {"campaigns": []}
    return {"campaigns": [_campaign_dict(journal, c) for c in journal.campaigns()]}


#: Words for each count; ``written`` only appears for campaigns sent to the outbox folder.
_COUNT_WORDS = {"pending": "pending", "sent": "sent",
                "written": "written to the outbox folder, not emailed",
                "deferred": "deferred", "failed": "failed", "uncertain": "uncertain"}


def _counts_words(counts: dict[str, int], outbox: bool) -> str:
    names = [k for k in _COUNT_WORDS if k != ("sent" if outbox else "written")]
    return ", ".join(f"{counts[k]:,} {_COUNT_WORDS[k]}" for k in names)


def format_campaign(data: dict[str, Any]) -> str:
    """Words for :func:`campaign_status`."""
    created = dt.datetime.fromisoformat(data["created"]).timestamp()
    lines = [
        f"{data['campaign']}: {data['snippet']} to {data['list']} via "
        + ("the outbox folder (a look: nothing was emailed)" if data["transport"] == OUTBOX
           else data["transport"].removeprefix("smtp ")),
        f"  begun {_local(created)}; {data['recipients']:,} recipients: "
        f"{_counts_words(data['counts'], data['transport'] == OUTBOX)}",
    ]
    lines += _language_table(data["languages"], data["transport"] == OUTBOX)
    for row in data["not_sent"]:
        reply = (UNCERTAIN_WORDS if row["state"] == State.UNCERTAIN.value
                 else f"{row['code'] or ''} {row['reply']}".strip())
        lines.append(f"  {row['state']:9} {row['email']}: {reply} "
                     f"({row['attempts']} attempt{'s' if row['attempts'] != 1 else ''})")
    return "\n".join(lines)


def _language_table(languages: dict[str, dict[str, Any]], outbox: bool) -> list[str]:
    """How many parents got each language, as a small table (nothing for a campaign in
    one language)."""
    if len(languages) < 2:
        return []
    done = "written" if outbox else "sent"
    width = max(len("Language"), *(len(v["name"]) for v in languages.values()))
    lines = [f"  {'Language':<{width}}  {'Parents':>7}  {done.capitalize():>7}  "
             f"{'Not ' + done:>11}"]
    for v in languages.values():
        lines.append(f"  {v['name']:<{width}}  {v['recipients']:>7,}  {v[done]:>7,}  "
                     f"{v['recipients'] - v[done]:>11,}")
    return lines


def format_all(data: dict[str, Any]) -> str:
    """Words for :func:`all_status`."""
    if not data["campaigns"]:
        return "Nothing has been sent from this workspace yet."
    lines = []
    for c in data["campaigns"]:
        lines.append(f"{c['campaign']}: {c['recipients']:,} recipients: "
                     f"{_counts_words(c['counts'], c['transport'] == OUTBOX)}")
        if len(c["languages"]) > 1:
            lines.append("  in " + ", ".join(f"{v['name']} {v['recipients']:,}"
                                             for v in c["languages"].values()))
    lines.append("Details of one campaign: mailer status CAMPAIGN")
    return "\n".join(lines)


#: What to do about each kind of parent not sent, for the ``--problems`` file.
_TODO = {
    "failed": "Check the address with the family and correct it in the list; then run the "
              "same send again with --retry-failed.",
    "deferred": "Nothing yet: the server said try later. Run the same send command again "
                "later; nobody is sent twice.",
    "uncertain": "Ask the family whether the email arrived. To send it again (they may get "
                 "it twice), run the same send with --resend-uncertain.",
}

def write_problems(journal: Journal, name: str, path: Path,
                   on_list: Mapping[str, tuple[str, str]]) -> int:
    """Write the campaign's failed, deferred and uncertain parents to ``path`` with the
    shared problems-CSV writer (:func:`mailer.lists.problems.write_problems_csv`: UTF-8
    with a byte-order mark, CRLF, cells Excel would read as formulas escaped, file private),
    the same columns as ``mailer lists check --problems``. ``on_list`` maps an address
    (lower case) to its pupil(s) and list line(s) as words (``""`` for an address no longer
    on the list). Returns the number of parents written.

    Raises:
        MailerError: no such campaign, or the file cannot be written.
    """
    data = campaign_status(journal, name)
    rows = []
    for row in data["not_sent"]:
        pupil, line = on_list.get(row["email"], ("", ""))
        reply = (UNCERTAIN_WORDS if row["state"] == State.UNCERTAIN.value
                 else f"{row['code'] or ''} {row['reply']}".strip())
        rows.append(ProblemRow(line=line or None, pupil=pupil, carer="",
                               address=row["email"], problem=f"{row['state']}: {reply}",
                               todo=_TODO[row["state"]]))
    return write_problems_csv(path, rows)
