"""Mailing lists to recipients: one recipient per unique address (case-insensitive).

A school records export has one row per pupil-carer pair; a carer of several pupils gets
one message naming each child, and carers sharing an address get one message greeting both.
Every data row gets a fate (see :class:`Fate`) so the counts always add up.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from mailer.errors import ListError

# Built-in column aliases, compared case-insensitively with spaces, '_' and '-' removed.
COLUMN_ALIASES: dict[str, list[str]] = {
    "email": ["email", "e-mail", "email address", "e-mail address", "primaryemail",
              "primary email", "contact email", "parent email", "carer email",
              "contact e-mail", "main email", "email1"],
    "title": ["title", "contact title", "carer title", "parent title", "salutation title"],
    "forename": ["contact forename", "carer forename", "parent forename", "contact first name",
                 "parent first name", "carer first name", "forename", "first name"],
    "surname": ["contact surname", "carer surname", "parent surname", "contact last name",
                "parent last name", "carer last name", "surname", "last name"],
    "pupil_forename": ["pupil forename", "student forename", "child forename",
                       "pupil first name", "child first name", "student first name",
                       "legal forename", "preferred forename"],
    "pupil_surname": ["pupil surname", "student surname", "child surname", "pupil last name",
                      "child last name", "legal surname", "preferred surname"],
    "year": ["year", "year group", "ncyear", "nc year", "year taught in", "yeargroup"],
    "group": ["reg group", "registration group", "form", "class", "tutor group", "reg"],
    "relationship": ["relationship", "relation", "relationship to pupil"],
    "priority": ["priority", "contact priority", "order"],
    "no_contact": ["no contact", "do not contact", "no correspondence", "court order",
                   "parental responsibility restricted", "contact restriction"],
}


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch not in " _-")


class Fate(str, Enum):
    """What happened to one data row of a list."""

    RECIPIENT = "recipient"      # became a recipient
    MERGED = "merged"            # same address as an earlier row: merged into that recipient
    DUPLICATE = "duplicate"      # same address and same carer and child as an earlier row
    INVALID = "invalid"          # the address is not valid (reason given)
    SUPPRESSED = "suppressed"    # the address is on the suppression list
    EXCLUDED = "excluded"        # a contact flag says no contact / court order
    FILTERED = "filtered"        # did not match --where


@dataclass(frozen=True, slots=True)
class Child:
    """A pupil named in a recipient's message."""

    forename: str
    surname: str = ""
    year: str = ""
    group: str = ""


@dataclass(frozen=True, slots=True)
class Carer:
    """A parent or carer; any part may be empty when the list does not say."""

    title: str = ""
    forename: str = ""
    surname: str = ""

    @property
    def formal(self) -> str:
        """``Mrs Khan`` when title and surname are known, else the full name, else ``""``."""
        if self.title and self.surname:
            return f"{self.title} {self.surname}"
        return " ".join(p for p in (self.forename, self.surname) if p)


@dataclass(slots=True)
class Recipient:
    """One message's addressee.

    Attributes:
        email: the normalised address used for sending and deduplication.
        display_email: the address as written in the list.
        carers: everyone on the list who shares this address.
        children: pupils this recipient is listed for, in list order, without repeats.
        lines: list line numbers that fed this recipient (1-based, header is line 1).
    """

    email: str
    display_email: str
    carers: list[Carer] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Display name for the ``To`` header: the carers' names joined, or ``""``."""
        return _join([" ".join(p for p in (c.forename, c.surname) if p) for c in self.carers])

    @property
    def children_names(self) -> str:
        """``Amy and Ben``."""
        return _join([c.forename for c in self.children if c.forename])

    @property
    def greeting(self) -> str:
        """``Dear Mrs Khan``, ``Dear Mr and Mrs Wilson``, ``Dear Parent/Carer of Amy and Ben``
        or ``Dear Parent/Carer``."""
        formal = [c.formal for c in self.carers if c.formal]
        if formal and len(formal) == len(self.carers):
            surnames = {c.surname for c in self.carers}
            titles = [c.title for c in self.carers]
            if len(self.carers) == 2 and len(surnames) == 1 and all(titles):
                return f"Dear {titles[0]} and {titles[1]} {self.carers[0].surname}"
            return "Dear " + _join(formal)
        if self.children_names:
            return f"Dear Parent/Carer of {self.children_names}"
        return "Dear Parent/Carer"

    def fields(self) -> dict[str, str]:
        """The personal template fields (see :data:`mailer.render.PERSONAL_FIELDS`);
        a value of ``""`` means the list does not say."""
        first = self.carers[0] if self.carers else Carer()
        return {
            "greeting": self.greeting,
            "email": self.display_email,
            "name": self.name,
            "title": first.title,
            "forename": first.forename,
            "surname": first.surname,
            "children": self.children_names,
            "children_details": _join(
                [
                    c.forename + (f" ({', '.join(p for p in (c.year, c.group) if p)})"
                                  if (c.year or c.group) else "")
                    for c in self.children if c.forename
                ]
            ),
        }


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(slots=True)
class RowOutcome:
    """The fate of one data row. ``line`` is its 1-based line in the file."""

    line: int
    fate: Fate
    address: str = ""
    reason: str = ""


@dataclass
class ListReport:
    """The recipients read from a list, and every data row's fate."""

    path: Path
    columns: list[str]
    recipients: list[Recipient]
    rows: list[RowOutcome]

    def counts(self) -> dict[str, int]:
        """Rows per fate; the values add up to ``len(self.rows)``."""
        out = {f.value: 0 for f in Fate}
        for row in self.rows:
            out[row.fate.value] += 1
        return out


def decode_bytes(raw: bytes, path: Path) -> str:
    """Decode a list file: UTF-8 (with or without BOM), else Windows-1252 (Excel).

    Raises:
        ListError: naming the line of the first byte that neither encoding can read.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ListError(
            "the file is neither UTF-8 nor Windows-1252 text (byte "
            f"0x{raw[exc.start]:02x} cannot be read). Save it from Excel as "
            "'CSV UTF-8 (Comma delimited)'.",
            path=path,
            line=line,
        ) from None


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings (CRLF, LF or a lone CR, as ``csv`` wants
    them), one at a time: ``io.StringIO`` would hold a second, 4-bytes-a-character copy of
    a large list."""
    for match in _LINE.finditer(text):
        yield match.group()


def read_list(
    path: Path,
    column_overrides: dict[str, list[str]] | None = None,
    suppressed: set[str] | None = None,
) -> ListReport:
    """Read a CSV list and return its recipients and every row's fate.

    Raises:
        ListError: for a missing or unreadable file or no address column.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ListError("the list file does not exist.", path=path) from None
    except OSError as exc:
        raise ListError(f"the list file cannot be read ({exc.strerror}).", path=path) from None
    text = decode_bytes(raw, path)
    del raw
    if not text.strip():
        raise ListError("the list file is empty.", path=path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(_lines(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    index = _map_columns(header, column_overrides or {}, path)
    suppressed = {s.lower() for s in (suppressed or set())}

    by_address: dict[str, Recipient] = {}
    shared: dict[str, str] = {}
    recipients: list[Recipient] = []
    rows: list[RowOutcome] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue

        def get(name: str, row: list[str] = row) -> str:
            i = index.get(name)
            if i is None or i >= len(row):
                return ""
            value = row[i].strip()
            # Titles, years, classes and common names repeat on thousands of rows: keep
            # one copy of each (a 100,000-row list holds about 20 MB less).
            return shared.setdefault(value, value)

        raw_address = get("email")
        if get("no_contact").lower() in ("y", "yes", "true", "1", "x"):
            rows.append(RowOutcome(line, Fate.EXCLUDED, raw_address, "contact flag set"))
            continue
        try:
            valid = validate_email(raw_address, check_deliverability=False)
        except EmailNotValidError as exc:
            rows.append(RowOutcome(line, Fate.INVALID, raw_address, str(exc)))
            continue
        key = valid.normalized.lower()
        if key in suppressed:
            rows.append(RowOutcome(line, Fate.SUPPRESSED, raw_address, "on the suppression list"))
            continue
        carer = Carer(get("title"), get("forename"), get("surname"))
        child = Child(get("pupil_forename"), get("pupil_surname"), get("year"), get("group"))
        existing = by_address.get(key)
        if existing is None:
            rec = Recipient(email=valid.normalized, display_email=raw_address)
            by_address[key] = rec
            recipients.append(rec)
            fate = Fate.RECIPIENT
        else:
            rec = existing
            known = carer in rec.carers and (not child.forename or child in rec.children)
            fate = Fate.DUPLICATE if known else Fate.MERGED
        if carer not in rec.carers and (carer.forename or carer.surname or carer.title):
            rec.carers.append(carer)
        if child.forename and child not in rec.children:
            rec.children.append(child)
        rec.lines.append(line)
        rows.append(RowOutcome(line, fate, raw_address))
    return ListReport(path=path, columns=header, recipients=recipients, rows=rows)


def _map_columns(header: list[str], overrides: dict[str, list[str]], path: Path) -> dict[str, int]:
    keys = [_key(h) for h in header]
    index: dict[str, int] = {}
    used: set[int] = set()
    for name, aliases in COLUMN_ALIASES.items():
        for alias in overrides.get(name, []) + aliases:
            k = _key(alias)
            if k in keys and keys.index(k) not in used:
                index[name] = keys.index(k)
                used.add(index[name])
                break
    if "email" not in index:
        seen = ", ".join(f"'{h}'" for h in header) or "none"
        raise ListError(
            f"no email address column was found. Columns in the file: {seen}. If one of them "
            "holds the address, add to mailer.yaml:\n  lists:\n    columns:\n      email: "
            "[\"Your Column Name\"]",
            path=path,
            line=1,
        )
    return index
