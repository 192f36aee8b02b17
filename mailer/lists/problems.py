"""The "problems" CSV: every parent that will not get (or did not get) the email, as a
file the office opens in Excel to correct the school's records (SIMS, Arbor, Bromcom).

Shared by ``mailer lists check LIST --problems FILE.csv`` (rows of the list that will not
get the email) and ``mailer status CAMPAIGN --problems FILE.csv`` (recipients that failed,
were deferred or are uncertain).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import MailerError
from mailer.lists.report import LEFT_OUT, ListReport

#: The CSV's header, in column order.
PROBLEM_COLUMNS: tuple[str, ...] = (
    "Line", "Pupil", "Parent/carer", "Address as typed", "Problem", "What to do",
)

#: Characters that make Excel read a cell as a formula (OWASP "CSV injection"): such a
#: cell is written with a leading apostrophe, which Excel shows as plain text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ProblemRow:
    """One row of the problems CSV.

    Attributes:
        line: 1-based line of the row in the list file, or several lines as words
            (``"2, 3"``: one address listed for two pupils); ``None`` when not known.
        pupil: the pupil's name(s) as the list gives them, or ``""``.
        carer: the parent/carer's name as the list gives it, or ``""``.
        address: the address exactly as typed in the list (may be empty).
        problem: why this parent will not get the email (one sentence).
        todo: what the office should do about it (one sentence).
    """

    line: int | str | None
    pupil: str
    carer: str
    address: str
    problem: str
    todo: str

    def cells(self) -> list[str]:
        """The row's cells in :data:`PROBLEM_COLUMNS` order, safe to open in Excel."""
        values = ["" if self.line is None else str(self.line), self.pupil, self.carer,
                  self.address, self.problem, self.todo]
        return [_excel_safe(v) for v in values]


def _excel_safe(value: str) -> str:
    """``value`` with line breaks as spaces, and a leading apostrophe when Excel would
    otherwise read it as a formula."""
    value = " ".join(value.replace("\r", " ").replace("\n", " ").split()) \
        if ("\n" in value or "\r" in value) else value
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _is_problems_list(path: Path) -> bool:
    """True when ``path`` starts with :data:`PROBLEM_COLUMNS` as this module writes them:
    only such a file may be replaced, so a parent list or any other spreadsheet given as
    ``--problems`` by mistake is never overwritten."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return first is not None and tuple(first) == PROBLEM_COLUMNS


def write_problems_csv(path: Path, rows: Iterable[ProblemRow]) -> int:
    """Write ``rows`` to ``path`` as CSV that Excel opens correctly: UTF-8 with a byte
    order mark (Excel reads BOM-less CSV in the computer's legacy code page, turning
    "Zoë" into "ZoÃ«"), comma-separated, CRLF line ends (RFC 4180 §2), every row under the
    header :data:`PROBLEM_COLUMNS`. The file is written whole or not at all (temporary
    file, then rename), readable only by this account (it holds parents' addresses and
    children's names).

    Returns:
        the number of data rows written.

    Raises:
        MailerError: when the name does not end ``.csv``, when a file is already there that
            is not a problems list mailer wrote (a parent list given by mistake), when the
            folder does not exist or the file cannot be written (naming the file and the
            reason); nothing is written then.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise MailerError("this is a folder: give a file name for the problems list, such "
                          "as problems.csv.", path=path)
    if path.suffix.lower() != ".csv":
        raise MailerError("the problems list is a .csv file: give a name such as "
                          "problems.csv. Nothing was written.", path=path)
    if path.exists() and not _is_problems_list(path):
        raise MailerError("this file is already there and is not a problems list mailer "
                          "wrote (it may be your parent list), so it was not overwritten. "
                          "Give a new file name, such as problems.csv.", path=path)
    if not folder.is_dir():
        raise MailerError(f"the folder {folder} does not exist: create it or give another "
                          "place for the problems list.", path=path)
    count = 0
    try:
        fd, tmp = tempfile.mkstemp(prefix=".problems-", suffix=".csv", dir=folder)
    except OSError as exc:
        raise MailerError(f"the problems list cannot be written here ({exc.strerror}).",
                          path=path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(PROBLEM_COLUMNS)
            for row in rows:
                writer.writerow(row.cells())
                count += 1
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MailerError(f"the problems list cannot be written ({exc.strerror}); if it is "
                          "open in Excel, close it and try again.", path=path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _todo(fate: str, reason: str, address: str) -> str:
    """What the office should do about a row that will not get the email."""
    if fate == "suppressed":
        return ("Nothing, unless the parent wants advisories again: then take the address "
                "off the suppression list.")
    if fate == "excluded":
        return ("Nothing: the contact flag in the school's records says not to write. "
                "Check the flag with the designated safeguarding lead if it looks wrong.")
    if reason.startswith("this row has"):
        return ("Open the list in Excel and check this row: a value with a comma must be in "
                "quotes. Or export the list again from the MIS.")
    if not address:
        return ("Add the parent's email address in the school's records (SIMS, Arbor...), "
                "or give them a paper copy.")
    return ("Correct the email address in the school's records (SIMS, Arbor...), then "
            "export the list again.")


def list_problem_rows(report: ListReport) -> Iterator[ProblemRow]:
    """Every address of ``report`` that will not get the email (invalid, suppressed,
    excluded by a contact flag), in file order, with what to do about it."""
    for row in report.rows_leaving_out():
        outcomes = []
        if row.fate in LEFT_OUT:
            outcomes.append((row.fate.value, row.address, row.reason))
        outcomes += [(o.fate.value, o.address, o.reason) for o in row.others]
        for fate, address, reason in outcomes:
            words = reason or fate
            if words.startswith("it "):
                words = "the address " + words[3:]
            words = words[:1].upper() + words[1:]
            if not words.endswith("."):
                words += "."
            yield ProblemRow(row.line, row.pupil, row.carer, address, words,
                             _todo(fate, reason, address))
