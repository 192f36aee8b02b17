"""``mailer status``: what the journal holds, as data (for ``--json``; the words are
:mod:`mailer.sendwords`')."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailer import sendwords
from mailer.errors import MailerError
from mailer.journal import CampaignInfo, Journal
from mailer.languages import english_name
from mailer.lists.problems import ProblemRow, write_problems_csv
from mailer.outcome import NOT_DONE


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


def _counts(journal: Journal, info: CampaignInfo) -> dict[str, int]:
    """Recipients per outcome, named as ``mailer send --json`` names them: ``sent`` only for
    messages a server accepted, ``written`` for messages written to the outbox folder."""
    return journal.counts(info.name)


def _language_counts(journal: Journal, info: CampaignInfo) -> dict[str, dict[str, Any]]:
    """Message language (``""``: not recorded) -> its English name, its recipients and
    their count per state, named as :func:`_counts` names them."""
    return {tag: {"name": english_name(tag) if tag else sendwords.LANGUAGE_NOT_RECORDED,
                  "recipients": sum(counts.values()), **counts}
            for tag, counts in journal.language_counts(info.name).items()}


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
        raise MailerError(sendwords.no_such_campaign_words(
            name, [c.name for c in journal.campaigns()]))
    out = _campaign_dict(journal, info)
    out["not_sent"] = [r.as_dict() for r in journal.recipients(name, NOT_DONE)]
    return out


def all_status(journal: Journal | None) -> dict[str, Any]:
    """Every campaign with its counts (``journal`` may be ``None``: nothing sent yet)."""
    if journal is None:
        return {"campaigns": []}
    return {"campaigns": [_campaign_dict(journal, c) for c in journal.campaigns()]}


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
    campaign_status(journal, name)  # raises for an unknown name
    rows = []
    for row in journal.recipients(name, NOT_DONE):
        pupil, line = on_list.get(row.email, ("", ""))
        rows.append(ProblemRow(line=line or None, pupil=pupil, carer="", address=row.email,
                               problem=sendwords.problem_words(row),
                               todo=sendwords.TODO_WORDS[row.state.value]))
    return write_problems_csv(path, rows)
