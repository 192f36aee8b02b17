"""Is the advice still true? Review dates, and services that have closed or changed.

* A snippet carries ``reviewed: YYYY-MM-DD`` (and ``reviewed_by:``); ``mailer.yaml``'s
  ``review.every_months`` (default 12) says how often advice must be reviewed.
  :func:`review_state` says whether a review is missing, due soon or overdue.
* ``mailer/data/services.yaml`` lists online services that advisories name and what became
  of them (closed, renamed, retired, moved), each with a date and a public source.
  :func:`services_named` finds them in a snippet's text, in any language.
* :func:`snippet_family` is a snippet and its translations (``snippets/ID.LANG.yaml``),
  which both checks cover.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from mailer.config import DEFAULT_REVIEW_MONTHS
from mailer.errors import MailerError
from mailer.snippets import LANGUAGE_TAG, Snippet
from mailer.workspace import Workspace

SERVICES_FILE = Path(__file__).resolve().parent / "data" / "services.yaml"

#: A review falling due within this many days shows as "due soon" in ``mailer snippets``.
DUE_SOON_DAYS = 31

#: Top-level snippet keys whose text is not advice to parents (a source is cited as it was
#: written, a date is a date), so a service named there is not reported.
NOT_ADVICE_KEYS = ("sources", "date", "reviewed", "reviewed_by", "language")


# --- review dates -------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReviewState:
    """Where a snippet stands with its review.

    Attributes:
        status: ``"missing"`` (no ``reviewed:`` date), ``"future"`` (a date after today:
            a typing mistake), ``"overdue"``, ``"due_soon"``
            (within :data:`DUE_SOON_DAYS`) or ``"ok"``.
        reviewed: the review date, or ``None``.
        due: when the next review is due (``reviewed`` + the interval), or ``None``.
        months: the interval in months.
    """

    status: str
    reviewed: dt.date | None
    due: dt.date | None
    months: int

    @property
    def needs_warning(self) -> bool:
        """True when ``check`` and ``send`` should warn (missing or overdue)."""
        return self.status in ("missing", "overdue", "future")

    def short(self) -> str:
        """For a table: ``reviewed 2026-11-29``, ``OVERDUE since 2026-05-12``,
        ``due 2027-01-03``, ``NOT REVIEWED``."""
        if self.status == "missing":
            return "NOT REVIEWED"
        assert self.reviewed is not None and self.due is not None
        if self.status == "future":
            return f"FUTURE DATE {self.reviewed.isoformat()}"
        if self.status == "overdue":
            return f"OVERDUE since {self.due.isoformat()}"
        if self.status == "due_soon":
            return f"review due {self.due.isoformat()}"
        return f"reviewed {self.reviewed.isoformat()}"

    def sentence(self, name: str) -> str:
        """The warning in plain words, naming the file ``name``."""
        every = "every 12 months" if self.months == 12 else (
            "every month" if self.months == 1 else f"every {self.months} months")
        if self.status == "missing":
            return (f"{name} has no review date. Advice to parents must be checked against "
                    f"current guidance {every}: when the designated safeguarding lead has "
                    "checked it, add 'reviewed: YYYY-MM-DD' (and 'reviewed_by: NAME').")
        assert self.reviewed is not None and self.due is not None
        if self.status == "future":
            return (f"{name} says it was reviewed on {self.reviewed.isoformat()}, which is in "
                    "the future: correct 'reviewed:' to the date the designated safeguarding "
                    "lead checked it (a mistyped year hides the next review).")
        if self.status == "overdue":
            return (f"{name} was last reviewed on {self.reviewed.isoformat()}; its review was "
                    f"due on {self.due.isoformat()} (advice is reviewed {every}). Check it "
                    "against current guidance, then update 'reviewed:'.")
        return f"{name}: {self.short()}."


def review_months(ws: Workspace) -> int:
    """The workspace's ``review.every_months``; the default (12) when ``mailer.yaml`` is
    missing or invalid (listing snippets must not need it)."""
    try:
        return ws.config.review_months
    except MailerError:
        return DEFAULT_REVIEW_MONTHS


def review_state(reviewed: dt.date | None, months: int,
                 today: dt.date | None = None) -> ReviewState:
    """The review state of advice last reviewed on ``reviewed`` (``None``: never), when it
    must be reviewed every ``months`` months, as of ``today`` (default: the local date).
    The review is overdue from the day after it falls due; a date after ``today`` is
    ``"future"`` (a mistake, warned about like a missing one)."""
    today = today or dt.date.today()
    if reviewed is None:
        return ReviewState("missing", None, None, months)
    due = add_months(reviewed, months)
    if reviewed > today:
        status = "future"
    elif today > due:
        status = "overdue"
    elif (due - today).days <= DUE_SOON_DAYS:
        status = "due_soon"
    else:
        status = "ok"
    return ReviewState(status, reviewed, due, months)


# --- a snippet and its translations --------------------------------------------------------

def base_id(path: Path) -> str:
    """The snippet id a file belongs to: ``online-safety.pl.yaml`` -> ``online-safety``."""
    stem = path.stem
    if "." in stem:
        head, tail = stem.split(".", 1)
        if LANGUAGE_TAG.fullmatch(tail):
            return head
    return stem


def snippet_family(path: Path) -> list[Path]:
    """The snippet file at ``path`` and every translation next to it
    (``ID.yaml``/``ID.yml`` and ``ID.LANG.yaml``/``ID.LANG.yml``), base first, then by
    language tag. ``path`` itself is always included, even when it is not in
    ``snippets/``."""
    root = base_id(path)
    family = [path]
    folder = path.parent
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if p == path or p.suffix not in (".yaml", ".yml") or not p.is_file():
                continue
            if p.stem == root:
                family.insert(0, p)
            elif "." in p.stem and base_id(p) == root:
                family.append(p)
    return family


# --- closed and changed services -----------------------------------------------------------

@dataclass(frozen=True)
class Service:
    """One entry of ``mailer/data/services.yaml``.

    Attributes:
        name: the name as the service wrote it (``ooVoo``).
        names: every spelling matched in text (case-insensitive, whole words).
        domains: web addresses of the service; a URL on one of them counts as naming it.
        status: ``closed``, ``renamed``, ``retired`` or ``moved``.
        date: when it happened (``2017``, ``2017-11`` or ``2017-11-25``).
        what: one sentence saying what happened.
        advice: what to do in a snippet that names it.
        source: a public page saying so; ``source_date`` when it was published.
    """

    name: str
    names: tuple[str, ...]
    domains: tuple[str, ...]
    status: str
    date: str
    what: str
    advice: str
    source: str
    source_date: str = ""
    now: str = ""

    def message(self) -> str:
        """``ooVoo closed in 2017: consider removing it (...). Source: URL``"""
        return f"{self.what}: {self.advice} Source: {self.source}"

    @property
    def year(self) -> str:
        """The year it happened."""
        return self.date[:4]


STATUSES = ("closed", "renamed", "retired", "moved")


def load_services(path: Path = SERVICES_FILE) -> tuple[Service, ...]:
    """Read the services data file.

    Raises:
        ValueError: when an entry lacks a field or has an unknown status (a packaging
            mistake, caught by the tests).
    """
    return _load_services(path)


@lru_cache(maxsize=4)
def _load_services(path: Path) -> tuple[Service, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for entry in data["services"]:
        missing = [k for k in ("name", "status", "date", "what", "advice", "source")
                   if not entry.get(k)]
        if missing or entry["status"] not in STATUSES:
            raise ValueError(f"{path}: service {entry.get('name')!r}: missing {missing} or "
                             f"unknown status {entry.get('status')!r}")
        source = entry["source"]
        out.append(Service(
            name=str(entry["name"]),
            names=tuple(str(n) for n in [entry["name"], *entry.get("also", [])]),
            domains=tuple(str(d).lower() for d in entry.get("domains", [])),
            status=entry["status"],
            date=str(entry["date"]),
            what=" ".join(str(entry["what"]).split()),
            advice=" ".join(str(entry["advice"]).split()),
            source=str(source["url"]) if isinstance(source, dict) else str(source),
            source_date=str(source.get("date", "")) if isinstance(source, dict) else "",
            now=str(entry.get("now", "")),
        ))
    return tuple(out)


def _name_pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s-]+", name.strip()) if w]
    return re.compile(r"(?<![\w.-])" + r"[\s-]+".join(words) + r"(?![\w-])", re.IGNORECASE)


_URL = re.compile(r"https?://[^\s)\]>\"']+", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """A service named in a snippet file, and where."""

    service: Service
    path: Path
    line: int
    text: str


def advice_text(source: str) -> str:
    """The snippet's YAML text with the lines that are not advice blanked out (comments,
    and the top-level ``sources:``, ``date:``, ``reviewed:``... entries), so line numbers
    stay right."""
    out = []
    skipping = False
    for line in source.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            key = line.split(":", 1)[0].strip()
            skipping = key in NOT_ADVICE_KEYS
        if skipping or line.lstrip().startswith("#"):
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def services_named(source: str, path: Path,
                   services: tuple[Service, ...] | None = None) -> list[Mention]:
    """Every closed or changed service that the snippet text ``source`` (read from
    ``path``) names, by name or by a link to its web address; one mention per service
    (the first)."""
    services = load_services() if services is None else services
    text = advice_text(source)
    hosts: list[tuple[int, str, str]] = []
    for m in _URL.finditer(text):
        host = (urlsplit(m.group(0)).hostname or "").lower()
        hosts.append((text.count("\n", 0, m.start()) + 1, host, m.group(0)))
    found = []
    for service in services:
        best: tuple[int, str] | None = None
        for name in service.names:
            m = _name_pattern(name).search(text)
            if m:
                line = text.count("\n", 0, m.start()) + 1
                if best is None or line < best[0]:
                    best = (line, m.group(0))
        for line, host, url in hosts:
            if any(host == d or host.endswith("." + d) for d in service.domains) and (
                    best is None or line < best[0]):
                best = (line, url)
        if best is not None:
            found.append(Mention(service, path, best[0], " ".join(best[1].split())))
    return found


def send_warnings(snippet: Snippet, months: int, today: dt.date | None = None) -> list[str]:
    """Lines for the summary ``mailer send`` shows before asking: a missing or overdue
    review, and the closed or changed services the snippet names. Empty when all is
    well. Sending is not refused: the designated safeguarding lead decides."""
    lines = []
    state = review_state(snippet.reviewed, months, today)
    if state.needs_warning:
        lines.append(f"Review:     WARNING: {state.sentence(snippet.path.name)}")
    named = [m.service.name for m in services_named(snippet.source_text, snippet.path)]
    if named:
        lines.append(f"Advice:     WARNING: it names {', '.join(named)}, which "
                     f"{'has' if len(named) == 1 else 'have'} closed or changed since. "
                     f"Run 'mailer check {base_id(snippet.path)}' for details.")
    return lines
