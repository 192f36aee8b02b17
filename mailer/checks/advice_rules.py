"""Is the advice still true? Checks of the snippet itself and of its translations.

R1: the snippet has a review date (``reviewed:``) and its review is not overdue
(``review.every_months`` in ``mailer.yaml``, default 12). A translation with no review
date of its own counts as reviewed with the snippet it translates.
R2: the snippet names no service that has closed, been renamed, retired or moved
(``mailer/data/services.yaml``), in any language.

Both are warnings: the email still works, but the advice may no longer be true.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mailer.advice import review_state, services_named, snippet_family
from mailer.checks.model import Finding, Inputs, warning
from mailer.config import DEFAULT_REVIEW_MONTHS
from mailer.errors import MailerError
from mailer.snippets import Snippet, load_snippet


def _family(snippet: Snippet) -> list[tuple[Path, str, dt.date | None]]:
    """(file, text, reviewed date) for the snippet and each translation next to it."""
    out: list[tuple[Path, str, dt.date | None]] = []
    for path in snippet_family(snippet.path):
        if path == snippet.path:
            out.append((path, snippet.source_text or _read(path), snippet.reviewed))
            continue
        try:
            other = load_snippet(path)
            out.append((path, other.source_text, other.reviewed))
        except MailerError:  # a broken translation is reported when it is checked itself
            out.append((path, _read(path), None))
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""


def r1_review_date(inp: Inputs, today: dt.date | None = None) -> list[Finding]:
    """R1: every file of the snippet (and its translations) reviewed within the interval."""
    if inp.snippet is None or not inp.snippet.path.name:
        return []
    months = inp.config.review_months if inp.config is not None else DEFAULT_REVIEW_MONTHS
    family = _family(inp.snippet)
    base = next((reviewed for path, _, reviewed in family if "." not in path.stem), None)
    found = []
    for path, _text, reviewed in family:
        is_translation = "." in path.stem
        state = review_state(reviewed or (base if is_translation else None), months, today)
        if state.needs_warning:
            field = f"reviewed: {reviewed.isoformat()}" if reviewed else "reviewed: (none)"
            found.append(warning("R1", f"{field} ({path.name})", state.sentence(path.name)))
    return found


def r2_closed_services(inp: Inputs) -> list[Finding]:
    """R2: no closed, renamed, retired or moved service named in the snippet or any of
    its translations."""
    if inp.snippet is None or not inp.snippet.path.name:
        return []
    found = []
    for path, text, _ in _family(inp.snippet):
        for mention in services_named(text, path):
            found.append(warning(
                "R2", f"{mention.text} ({path.name}, line {mention.line})",
                mention.service.message()))
    return found


RULES = [r1_review_date, r2_closed_services]
