"""Paper copies: ``mailer letters SNIPPET --list LIST --out letters.docx``.

One addressed letter per household that will not get the email, in one Word document
with a page break between letters. A contact needs a letter when the list gives them no
usable email address (none, or an invalid one) or says they prefer post (a "Prefers Post"
column, or a "Preferred Contact Method" saying Post/Letter). Contacts are grouped into
households by their postal address (the ``Address Line 1``..., ``Town``, ``Postcode``
columns, or one ``Postal Address`` cell; names as in :mod:`mailer.lists.columns`): one
letter names every carer of the household who needs it, and their children.

Never a letter for a contact with a no-contact, no-correspondence or court-order flag
(or "Receives Correspondence: No"), nor for an address on the suppression list; such a
contact is never named on another contact's letter either. A household where another
carer at the same postal address gets the email gets no letter, unless someone there
prefers post. Rows are read with the same column mapping, ``--where`` filters and
address checks as ``mailer send``, so "gets the email" here means what it means there.

Every data row is accounted for (:class:`LetterPlan.counts`); rows that reach nobody
(neither an email address nor a postal address) are listed with their lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from mailer.config import Config
from mailer.docx_letter import Addressee, add_letter, new_document, save
from mailer.errors import ListError, MailerError
from mailer.languages import parse_language
from mailer.lists.addresses import Address, check_address, split_cell
from mailer.lists.columns import (
    FLAG_FIELDS,
    INVERSE_FLAG,
    POSTAL_FIELDS,
    ColumnMap,
    Slot,
    map_columns,
)
from mailer.lists.filters import bind_where, parse_where
from mailer.lists.people import (
    Carer,
    Child,
    Recipient,
    clean_text,
    join_names,
    split_carer_name,
    split_pupil_name,
)
from mailer.lists.problems import ProblemRow
from mailer.lists.reader import FLAG_OFF, flag_is_set
from mailer.lists.suppression import Suppression
from mailer.lists.table import RawRow, open_table
from mailer.logos import Logo
from mailer.render import message_language
from mailer.snippets import Snippet

#: A stand-in address column for a list that has postal addresses and no email column.
NO_EMAIL_COLUMN = "(no email column)"
_POSTCODE = re.compile(r"^([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*([0-9][A-Za-z]{2})$")
_POST_WORDS = re.compile(r"\b(post|postal|letters?|paper|printed|print)\b")
_ELECTRONIC = re.compile(r"\b(e-?mail|sms|text|texts|phone|app|online)\b")


class LetterFate(str, Enum):
    """What happens to one data row (per contact; a row counts by its best contact)."""

    LETTER = "letter"                # a letter is written to this contact's household
    EMAIL = "email"                  # gets the email
    HOUSEHOLD_EMAILED = "household"  # no email, but another carer at the address gets it
    NOWHERE = "nowhere"              # neither a usable email nor a postal address
    SUPPRESSED = "suppressed"        # on the suppression list: no email, no letter
    EXCLUDED = "excluded"            # a no-contact / court-order flag: never a letter
    FILTERED = "filtered"            # does not match --where
    UNREADABLE = "unreadable"        # the row's fields do not match the header


FATE_WORDS = {
    LetterFate.LETTER: "to get a letter (no usable email address, or prefers post)",
    LetterFate.EMAIL: "to get the email",
    LetterFate.HOUSEHOLD_EMAILED: "no email of their own; another carer at the same postal "
                                  "address gets the email",
    LetterFate.NOWHERE: "neither an email address nor a postal address",
    LetterFate.SUPPRESSED: "on the suppression list (no email, no letter)",
    LetterFate.EXCLUDED: "excluded by a contact flag (never a letter)",
    LetterFate.FILTERED: "filtered out by --where",
    LetterFate.UNREADABLE: "row cannot be read (see below)",
}
_RANK = (LetterFate.LETTER, LetterFate.EMAIL, LetterFate.HOUSEHOLD_EMAILED,
         LetterFate.NOWHERE, LetterFate.SUPPRESSED, LetterFate.EXCLUDED, LetterFate.FILTERED,
         LetterFate.UNREADABLE)


def prefers_post(value: str) -> bool:
    """True when a prefers-post cell asks for letters: a yes (``Y``, ``Yes``, ``True``,
    ``x``) or a method naming post (``Post``, ``Letter``, ``Paper copy``); False for
    empty/no values and for methods that are electronic only (``Email``, ``Text``)."""
    text = " ".join(value.casefold().split())
    if text in FLAG_OFF:
        return False
    if _POST_WORDS.search(text):
        return True
    if _ELECTRONIC.search(text):
        return False
    return flag_is_set(text)


def normalise_postcode(value: str) -> str:
    """``ex1 2ab`` -> ``EX1 2AB`` (a UK postcode); anything else as written."""
    m = _POSTCODE.match(value.strip())
    return f"{m.group(1).upper()} {m.group(2).upper()}" if m else value.strip()


def postal_lines(cells: list[str], slot: Slot) -> tuple[str, ...]:
    """The contact's postal address as lines: the ``Postal Address`` cell split at line
    breaks (or commas, when it is one line), or the line, town, county and postcode
    columns; empty parts dropped, the postcode normalised. A wide export's numbered
    contact with no address of their own in this row gets the pupil's home address."""
    lines = _postal_lines(cells, slot.fields)
    if not lines and slot.home:  # a numbered contact with no address of its own here
        lines = _postal_lines(cells, slot.home)
    return lines


def _postal_lines(cells: list[str], f: dict[str, int]) -> tuple[str, ...]:
    whole = cells[f["postal_address"]].strip() if "postal_address" in f else ""
    if whole and not any(k in f and cells[f[k]].strip() for k in POSTAL_FIELDS[1:]):
        parts = re.split(r"\r\n|\r|\n", whole)
        if len(parts) == 1:
            parts = whole.split(",")
    else:
        parts = [cells[f[k]] for k in POSTAL_FIELDS[1:] if k in f]
        if whole:
            parts.insert(0, whole)
    lines = [line for line in (clean_text(p).strip(" ,") for p in parts) if line]
    if lines:
        lines[-1] = normalise_postcode(lines[-1])
    return tuple(lines)


def household_key(lines: Sequence[str]) -> str:
    """Two contacts share a household when their addresses match ignoring case, spaces
    and punctuation."""
    return "".join(ch for ch in " ".join(lines).casefold() if ch.isalnum())


@dataclass
class ContactOutcome:
    """One contact of one row: its fate, the reason, and who/where for a letter."""

    line: int
    fate: LetterFate
    reason: str = ""
    carer: Carer | None = None
    child: Child | None = None
    address: tuple[str, ...] = ()
    prefers_post: bool = False
    language: str = ""
    email: str = ""


@dataclass
class Household:
    """One letter: the carers at one postal address who need it, and their children."""

    address: tuple[str, ...]
    recipient: Recipient
    lines: list[int] = field(default_factory=list)
    prefers_post: bool = False

    @property
    def addressee(self) -> Addressee:
        """Name, address lines and greeting for the letter."""
        names = [
            c.salutation or " ".join(p for p in (c.title, c.forename, c.surname) if p)
            for c in self.recipient.carers
        ]
        name = join_names([n for n in names if n])
        if not name or self.recipient.unnamed_carer:
            children = join_names([" ".join(p for p in (c.forename, c.surname) if p)
                                   for c in self.recipient.children if c.forename])
            unnamed = f"The Parent/Carer of {children}" if children else "The Parent/Carer"
            name = join_names([name, unnamed]) if name else unnamed
        return Addressee(name=name, address=self.address, greeting=self.recipient.greeting,
                         formal=self.recipient.addressee)

    @property
    def language(self) -> str:
        """The household's language (BCP 47) from the list's language column: the first
        of its letter contacts that gives one; ``""`` when none does."""
        return self.recipient.language


@dataclass
class LetterPlan:
    """Which households get a letter, and every row's fate.

    Attributes:
        households: one per letter, in list order of their first row.
        rows: ``line -> fate`` (a row with several contacts counts by its best one).
        outcomes: every contact's outcome, in list order.
        column_map: the columns used.
    """

    path: Path
    households: list[Household]
    rows: dict[int, LetterFate]
    outcomes: list[ContactOutcome]
    column_map: ColumnMap
    blank_lines: int = 0
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[LetterFate, int]:
        """Rows per fate; the values add up to the data rows."""
        out = {f: 0 for f in LetterFate}
        for fate in self.rows.values():
            out[fate] += 1
        return out

    def problems(self) -> list[ContactOutcome]:
        """Contacts the office should fix in its records: those reached neither by email
        nor by post, rows that cannot be read, and invalid email addresses (a letter is
        written instead)."""
        return [o for o in self.outcomes if o.fate in (LetterFate.NOWHERE,
                                                       LetterFate.UNREADABLE)
                or (o.fate is LetterFate.LETTER and o.reason.startswith("invalid"))]


def plan_letters(path: Path, column_overrides: dict[str, list[str]] | None = None,
                 suppression: Suppression | None = None, where: Sequence[str] = ()
                 ) -> LetterPlan:
    """Read the list at ``path`` and decide the letters (see the module's docstring).

    Raises:
        ListError: when the list cannot be read, has no postal address columns, or a
            ``--where`` column does not exist.
        MailerError: for a malformed ``--where``.
    """
    wheres = parse_where(list(where))
    table = open_table(path)
    header = list(table.header)
    overrides = dict(column_overrides or {})
    sample = [r.cells for r in table.head(50)]
    padded = False
    try:
        cmap = map_columns(header, overrides, path, table.header_line or None, sample)
    except ListError:
        # A list of postal addresses only: read it with an empty address column.
        probe = map_columns(header + [NO_EMAIL_COLUMN], {"email": [NO_EMAIL_COLUMN]}, path)
        if not any(f in s.fields for s in probe.slots for f in POSTAL_FIELDS):
            raise
        cmap = map_columns(header + [NO_EMAIL_COLUMN],
                           {**overrides, "email": [NO_EMAIL_COLUMN]}, path,
                           table.header_line or None, sample)
        padded = True
    if not any(f in s.fields for s in cmap.slots for f in POSTAL_FIELDS):
        seen = ", ".join(f"'{h}'" for h in header if h) or "none"
        raise ListError(
            "no postal address columns were found (for example 'Address Line 1', 'Town' "
            f"and 'Postcode', or 'Postal Address'). Columns in the file: {seen}. If yours "
            "have other names, add to mailer.yaml:\n  lists:\n    columns:\n      "
            "address_line_1: [\"Your Column\"]\n      postcode: [\"Your Postcode Column\"]",
            path=path, line=table.header_line or None)
    bound = bind_where(wheres, cmap, path)
    suppression = suppression or Suppression()
    helper = _Rows(cmap, len(cmap.header), table.delimiter_name)
    outcomes: list[ContactOutcome] = []
    rows: dict[int, LetterFate] = {}
    several = len(cmap.slots) > 1
    for raw in table.rows():
        if padded:
            raw.cells.append("")
            raw.given += 1
        problem = helper.malformed(raw)
        if problem:
            outcomes.append(ContactOutcome(raw.line, LetterFate.UNREADABLE, problem))
            rows[raw.line] = LetterFate.UNREADABLE
            continue
        child = helper.child(raw.cells)
        mine: list[ContactOutcome] = []
        for slot in cmap.slots:
            cells = raw.cells
            if several and not any(cells[i].strip() for i in slot.fields.values()):
                continue  # this row has no contact N
            mine.append(_contact(helper, raw.line, cells, slot, child, bound,
                                 suppression.keys))
        if not mine:
            mine = [ContactOutcome(raw.line, LetterFate.NOWHERE, "no contact in this row")]
        outcomes.extend(mine)
        rows[raw.line] = min((o.fate for o in mine), key=_RANK.index)
    households = _households(outcomes)
    # Letter contacts folded into an emailed household change their row's fate.
    by_line: dict[int, list[LetterFate]] = {}
    for o in outcomes:
        by_line.setdefault(o.line, []).append(o.fate)
    rows = {line: min(fates, key=_RANK.index) for line, fates in by_line.items()}
    warnings = list(table.warnings)
    return LetterPlan(path=path, households=households, rows=rows, outcomes=outcomes,
                      column_map=cmap, blank_lines=table.blank_lines, warnings=warnings)


class _Rows:
    """Reads carers, pupils, flags and broken rows as :mod:`mailer.lists.reader` does."""

    def __init__(self, cmap: ColumnMap, width: int, delimiter_name: str) -> None:
        self.cmap = cmap
        self.width = width
        self.delimiter_name = delimiter_name
        self.critical = {i for s in cmap.slots for f, i in s.fields.items()
                         if f in ("email", *FLAG_FIELDS, INVERSE_FLAG)}

    @staticmethod
    def get(cells: list[str], index: int | None) -> str:
        return clean_text(cells[index]) if index is not None else ""

    def malformed(self, raw: RawRow) -> str:
        if raw.extra:
            return (f"this row has {raw.given} fields but the header has {self.width}; a "
                    f"value containing a {self.delimiter_name} must be in quotes")
        missing = [i for i in range(raw.given, self.width) if i in self.critical]
        if missing:
            return (f"this row has {raw.given} fields but the header has {self.width}, so "
                    f"{self.cmap.column_name(missing[0])} is missing")
        return ""

    def child(self, cells: list[str]) -> Child | None:
        p = self.cmap.pupil
        forename = self.get(cells, p.get("pupil_forename"))
        surname = self.get(cells, p.get("pupil_surname"))
        if not forename and p.get("pupil_name") is not None:
            forename, full_surname = split_pupil_name(self.get(cells, p["pupil_name"]))
            surname = surname or full_surname
        if not forename:
            return None
        return Child(forename, surname, self.get(cells, p.get("year")),
                     self.get(cells, p.get("group")))

    def carer(self, cells: list[str], slot: Slot) -> Carer:
        f = slot.fields
        title, forename, surname = (self.get(cells, f.get(k))
                                    for k in ("title", "forename", "surname"))
        if not (forename or surname) and f.get("name") is not None:
            t, forename, surname = split_carer_name(self.get(cells, f["name"]))
            title = title or t
        salutation = self.get(cells, f.get("salutation"))
        if salutation.casefold().startswith("dear "):
            salutation = salutation[5:].strip()
        return Carer(title, forename, surname, salutation)

    def language(self, cells: list[str], slot: Slot) -> str:
        """The contact's language (BCP 47) from the language column, ``""`` when none."""
        index = slot.fields.get("language")
        return parse_language(clean_text(cells[index])).tag if index is not None else ""

    def flag(self, cells: list[str], slot: Slot) -> str:
        for fname in FLAG_FIELDS:
            index = slot.fields.get(fname)
            if index is not None and flag_is_set(cells[index]):
                return (f"{self.cmap.column_name(index)} says '{clean_text(cells[index])}'")
        index = slot.fields.get(INVERSE_FLAG)
        if index is not None and cells[index].strip() and not flag_is_set(cells[index]):
            return f"{self.cmap.column_name(index)} says '{clean_text(cells[index])}'"
        return ""


def _contact(helper: _Rows, line: int, cells: list[str], slot: Slot, child: Child | None,
             bound: list, suppressed: set[str]) -> ContactOutcome:
    for b in bound:
        if not b.matches(cells, slot):
            return ContactOutcome(line, LetterFate.FILTERED,
                                  f"does not match --where {b.where.text}")
    flag = helper.flag(cells, slot)
    if flag:
        return ContactOutcome(line, LetterFate.EXCLUDED, flag)
    carer = helper.carer(cells, slot)
    address = postal_lines(cells, slot)
    wants_post = "prefers_post" in slot.fields and prefers_post(
        cells[slot.fields["prefers_post"]])
    pieces = split_cell(cells[slot.fields["email"]])
    valid = [a for a in (check_address(p) for p in pieces) if isinstance(a, Address)]
    invalid = [p for p in pieces if not isinstance(check_address(p), Address)]
    sendable = [a for a in valid if a.key not in suppressed]
    common = {"carer": carer, "child": child, "address": address, "prefers_post": wants_post,
              "language": helper.language(cells, slot),
              "email": clean_text(cells[slot.fields["email"]])}
    if valid and not sendable:
        return ContactOutcome(line, LetterFate.SUPPRESSED,
                              f"{valid[0].display} is on the suppression list", **common)
    if sendable and not wants_post:
        return ContactOutcome(line, LetterFate.EMAIL, "", **common)
    if sendable:  # prefers post
        if address:
            return ContactOutcome(line, LetterFate.LETTER, "prefers post", **common)
        return ContactOutcome(line, LetterFate.EMAIL, "prefers post, but has no postal "
                              "address, so gets the email", **common)
    reason = (f"invalid email address '{invalid[0]}'" if invalid
              else "no email address")
    if wants_post:
        reason = "prefers post"
    if not address:
        return ContactOutcome(line, LetterFate.NOWHERE,
                              f"{reason} and no postal address", **common)
    return ContactOutcome(line, LetterFate.LETTER, reason, **common)


def _households(outcomes: list[ContactOutcome]) -> list[Household]:
    emailed = {household_key(o.address) for o in outcomes
               if o.fate is LetterFate.EMAIL and o.address and not o.prefers_post}
    by_key: dict[str, Household] = {}
    order: list[Household] = []
    for o in outcomes:
        if o.fate is not LetterFate.LETTER:
            continue
        key = household_key(o.address)
        if key in emailed and not o.prefers_post:
            o.fate = LetterFate.HOUSEHOLD_EMAILED
            o.reason = f"{o.reason}; another carer at the same postal address gets the email"
            continue
        house = by_key.get(key)
        if house is None:
            house = Household(o.address, Recipient(email="", display_email=""))
            by_key[key] = house
            order.append(house)
        house.recipient.add(o.carer or Carer(), o.child, o.line)
        house.recipient.language = house.recipient.language or o.language
        if o.line not in house.lines:
            house.lines.append(o.line)
        house.prefers_post = house.prefers_post or o.prefers_post
    # A household that prefers post may hold contacts folded as emailed above: fine,
    # they are named only when they need the letter themselves.
    return order


def _who(o: ContactOutcome) -> str:
    name = o.carer.full_name if o.carer is not None else ""
    pupil = " ".join(p for p in (o.child.forename, o.child.surname) if p) if o.child else ""
    if name and pupil:
        return f"{name} (parent/carer of {pupil})"
    return name or (f"parent/carer of {pupil}" if pupil else "")


def summary_text(plan: LetterPlan, out: Path | None) -> str:
    """Like ``mailer lists check``: rows per fate (adding up to the data rows), the
    letters written, and every row that reaches nobody, with its line."""
    rows = len(plan.rows)
    letters = len(plan.households)
    lines = [f"{plan.path.name}: {rows} data row{'s' * (rows != 1)} -> {letters} "
             f"letter{'s' * (letters != 1)} (one per household that will not get the email)"]
    counts = plan.counts()
    width = len(str(rows))
    for fate in LetterFate:
        if counts[fate]:
            lines.append(f"  {counts[fate]:>{width}} {FATE_WORDS[fate]}")
    lines.append(f"  {rows:>{width}} rows in all")
    if plan.blank_lines:
        lines.append(f"  ({plan.blank_lines} blank line{'s' * (plan.blank_lines != 1)} "
                     "skipped)")
    lines.append(f"Columns used: {plan.column_map.describe()}.")
    nowhere = [o for o in plan.outcomes if o.fate in (LetterFate.NOWHERE,
                                                        LetterFate.UNREADABLE)]
    if nowhere:
        lines.append("Reached neither by email nor by post (fix these in your records "
                     "system):")
        for o in nowhere:
            who = _who(o)
            lines.append(f"  line {o.line}: {who + ': ' if who else ''}{o.reason}")
    lines.extend(f"Warning: {w}" for w in plan.warnings)
    if out is not None and letters:
        lines.append(f"Wrote {letters} letter{'s' * (letters != 1)} to {out}: print it, "
                     "one letter per household, each starting on a new page.")
    elif not letters:
        lines.append("No letters to write: every household on the list gets the email (or "
                     "is left out for the reasons above).")
    return "\n".join(lines)


def write_letters(plan: LetterPlan, snippet: Snippet, config: Config, out: Path, *,
                  date: dt.date | None = None,
                  translate: Callable[[str], Snippet] | None = None,
                  template_dirs: Sequence[Path] = (), logo: Logo | None = None
                  ) -> Path | None:
    """Write every household's letter into ``out`` (one .docx, a page break between
    letters). Each letter is in its household's language (the list's language column)
    when ``translate`` gives a translation into it (``translate(tag)`` returns the snippet
    for a reader of ``tag``, the English one when there is none): the advisory, and the
    words the letter adds, date and direction with it. Returns ``out``, or ``None``
    (nothing written) when there are no letters.

    Raises:
        MailerError: when the file cannot be written, or a translation cannot be read.
    """
    if not plan.households:
        return None
    lang = message_language(snippet, config)
    doc = new_document(lang)
    doc.core_properties.title = f"{snippet.title}: letters"
    doc.core_properties.author = config.organisation.name
    day = date or dt.date.today()
    chosen: dict[str, Snippet] = {}
    for i, house in enumerate(plan.households):
        own = snippet
        if house.language and translate is not None:
            if house.language not in chosen:
                chosen[house.language] = translate(house.language)
            own = chosen[house.language]
        add_letter(doc, own, config, date=day, addressee=house.addressee,
                   language=message_language(own, config), page_break=i > 0,
                   template_dirs=template_dirs, logo=logo)
    return save(doc, out)


def language_counts(plan: LetterPlan, translate: Callable[[str], Snippet] | None,
                    snippet: Snippet) -> dict[str, int]:
    """Letters per language they are written in (``{"en": 3, "ar": 1}``)."""
    out: dict[str, int] = {}
    for house in plan.households:
        tag = snippet.language
        if house.language and translate is not None:
            tag = translate(house.language).language
        out[tag] = out.get(tag, 0) + 1
    return out


def letter_problem_rows(plan: LetterPlan) -> Iterator[ProblemRow]:
    """The contacts to fix (:meth:`LetterPlan.problems`) as rows of the shared problems
    CSV (:func:`mailer.lists.problems.write_problems_csv`: the columns of ``mailer lists
    check --problems``, cells Excel would read as formulas escaped), in list order."""
    for o in plan.problems():
        pupil = " ".join(p for p in (o.child.forename, o.child.surname) if p) if o.child else ""
        carer = o.carer.full_name if o.carer is not None else ""
        if o.fate is LetterFate.UNREADABLE:
            todo = ("Open the list in Excel and check this row: a value with a comma must be "
                    "in quotes. Or export the list again from the MIS.")
        elif o.fate is LetterFate.NOWHERE:
            todo = ("Add the family's email address or postal address in the school's "
                    "records (SIMS, Arbor...), then export the list again.")
        else:
            todo = ("A paper letter is written for now. Correct the email address in the "
                    "school's records (SIMS, Arbor...), then export the list again.")
        problem = o.reason[:1].upper() + o.reason[1:]
        yield ProblemRow(o.line, pupil, carer, o.email, problem.rstrip(".") + ".", todo)


def check_outputs(list_path: Path, out: Path, problems: Path | None) -> None:
    """Refuse outputs of ``mailer letters`` that would overwrite what mailer did not write:
    the parent list itself (as ``--out`` or ``--problems``), an ``--out`` not ending in
    ``.docx``, or a ``--problems`` not ending in ``.csv`` (an existing spreadsheet or
    document of the school's given by mistake).

    Raises:
        MailerError: naming the option and the file; nothing has been written.
    """
    source = list_path.resolve()
    for option, path, suffix in (("--out", out, ".docx"), ("--problems", problems, ".csv")):
        if path is None:
            continue
        if path.resolve() == source:
            raise MailerError(f"{option} names the parent list itself, which would be "
                              "overwritten; nothing was written. Give another file name.",
                              path=path)
        if path.suffix.lower() != suffix:
            raise MailerError(f"{option} must be a {suffix} file (such as "
                              f"{'letters.docx' if suffix == '.docx' else 'fix.csv'}); "
                              "nothing was written.", path=path)
