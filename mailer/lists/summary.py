"""What ``mailer lists check`` and ``mailer send`` say about a list: the fate of every
row, as text for people and as a JSON object for programs."""

from __future__ import annotations

from typing import Any

from mailer.errors import ListError
from mailer.languages import english_name
from mailer.lists.report import FATE_WORDS, LEFT_OUT, Fate, ListReport, RowOutcome

#: At most this many left-out rows are listed in the text summary (all are in --json).
MAX_LISTED = 50

_ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16",
              "cp1252": "Windows-1252 (Excel)"}
_DELIMITERS = {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated"}


def _left_out_lines(row: RowOutcome) -> list[str]:
    out = []
    if row.fate in LEFT_OUT:
        addr = f" {row.address}" if row.address else ""
        out.append(f"line {row.line}: {row.fate.value}{addr}: {row.reason}")
    for other in row.others:
        addr = f" {other.address}" if other.address else ""
        out.append(f"line {row.line}: {other.fate.value}{addr}: {other.reason}")
    return out


def empty_warning(report: ListReport) -> str:
    """The warning for a list that gives nobody to send to, else ``""``."""
    if not report.rows:
        return ("the list has a header line but no data rows, so nobody would receive the "
                "advisory.")
    if not report.recipients:
        return (f"none of the {len(report.rows)} data rows gave a recipient (see above), so "
                "nobody would receive the advisory.")
    return ""


def empty_error(report: ListReport) -> str:
    """For ``mailer lists check``: why a list that gives nobody to send to is refused
    (exit status 2, a mistake in the input), else ``""``."""
    if not report.rows:
        return ("the list has a header line but no data rows, so a send would reach "
                "nobody. Export the list again with the parents' rows.")
    if not report.recipients:
        fix = ("the addresses, or the --where filter," if report.where else "the addresses")
        return (f"none of the {len(report.rows)} data rows gave a recipient (see the rows "
                f"left out above), so a send would reach nobody. Correct {fix} and check "
                "the list again.")
    return ""


def summary_text(report: ListReport, *, empty: bool = True) -> str:
    """The row summary: counts per fate (adding up to the data rows), how the file was
    read, every row left out with its line and reason, notes and warnings (with
    ``empty=False``, not :func:`empty_warning`: the caller reports it as an error)."""
    rows = len(report.rows)
    recipients = len(report.recipients)
    lines = [f"{report.path.name}: {rows} data row{'s' * (rows != 1)} -> {recipients} "
             f"recipient{'s' * (recipients != 1)} (one message per unique address)"]
    counts = report.counts()
    width = len(str(rows))
    for fate in Fate:
        if counts[fate.value]:
            lines.append(f"  {counts[fate.value]:>{width}} {FATE_WORDS[fate]}")
    lines.append(f"  {sum(counts.values()):>{width}} rows in all")
    if report.blank_lines:
        lines.append(f"  ({report.blank_lines} blank line{'s' * (report.blank_lines != 1)} "
                     "skipped)")
    if report.format == "yaml":
        how = "YAML"
    else:
        how = (f"CSV, {_DELIMITERS.get(report.delimiter, repr(report.delimiter))}, "
               f"{_ENCODINGS.get(report.encoding, report.encoding)}")
    lines.append(f"Read as {how}.")
    if report.column_map is not None:
        lines.append(f"Columns used: {report.column_map.describe()}.")
    languages = report.languages()
    if languages:
        lines.append("Languages: " + ", ".join(
            f"{english_name(tag) if tag else 'not given'} {count}"
            for tag, count in languages.items()) + ".")
    if report.where:
        lines.append("Filter: " + " and ".join(f"--where {w}" for w in report.where) + ".")
    if report.suppression:
        lines.append(f"Suppression list: {report.suppression} "
                     f"({report.suppressed_addresses} addresses).")
    left = [text for row in report.rows_leaving_out() for text in _left_out_lines(row)]
    if left:
        lines.append("Left out:")
        lines.extend(f"  {text}" for text in left[:MAX_LISTED])
        if len(left) > MAX_LISTED:
            lines.append(f"  ... and {len(left) - MAX_LISTED} more (mailer lists check --json "
                         "lists them all).")
    lines.extend(f"Note: {note}" for note in report.notes)
    lines.extend(f"Warning: {warning}" for warning in report.warnings)
    nobody = empty_warning(report) if empty else ""
    if nobody:
        lines.append(f"Warning: {report.path}: {nobody}")
    return "\n".join(lines)


def summary_json(report: ListReport) -> dict[str, Any]:
    """The ``--json`` object: counts (adding up to ``rows``), how the file was read, and
    every row not accepted as a new recipient, with line, fate, address and reason."""
    cmap = report.column_map
    return {
        "list": str(report.path),
        "format": report.format,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "rows": len(report.rows),
        "blank_lines": report.blank_lines,
        "recipients": len(report.recipients),
        "counts": report.counts(),
        "columns": cmap.field_columns() if cmap is not None else {},
        "where": report.where,
        "suppression": report.suppression,
        "suppressed_addresses": report.suppressed_addresses,
        "notes": report.notes,
        "warnings": report.warnings + ([empty_warning(report)] if empty_warning(report) else []),
        "languages": report.languages(),
        "unknown_languages": [{"line": line, "value": value}
                              for line, value in report.unknown_languages],
        "rows_not_accepted": [r.as_dict() for r in report.rows if r.fate is not Fate.RECIPIENT],
        "rows_with_addresses_left_out": [
            r.as_dict() for r in report.rows_leaving_out()
            if r.fate is Fate.RECIPIENT and r.others
        ],
    }


def require_recipients(report: ListReport) -> None:
    """For sending: a list must give at least one recipient.

    Raises:
        ListError: for a header-only list or one where no row gave a recipient.
    """
    if not report.rows:
        raise ListError("the list has a header line but no data rows, so nothing was sent.",
                        path=report.path)
    if not report.recipients:
        raise ListError(
            f"none of the {len(report.rows)} data rows gave a recipient (see the summary "
            "above), so nothing was sent.",
            path=report.path,
        )
