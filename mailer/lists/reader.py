"""A list file to recipients, with every data row's fate.

Per row and per contact, in this order: ``--where`` filters, contact flags, address
validity, the suppression list, then de-duplication by address (case-insensitive): the
first row with an address makes the recipient, later rows merge into it.
"""

from __future__ import annotations

import csv
import gc
import itertools
import operator
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mailer.errors import MailerError
from mailer.languages import parse_language
from mailer.lists.addresses import (
    PLAIN_CELL,
    SIMPLE_DOMAIN,
    SIMPLE_LOCAL_PART,
    Address,
    as_typed,
    check_address,
    domain_problem,
    read_cell,
)
from mailer.lists.columns import (
    FIELDS,
    FLAG_FIELDS,
    INVERSE_FLAG,
    ColumnMap,
    Slot,
    map_columns,
)
from mailer.lists.filters import BoundWhere, Where, bind_where, parse_where
from mailer.lists.people import (
    Carer,
    Child,
    Recipient,
    clean_text,
    split_carer_name,
    split_pupil_name,
)
from mailer.lists.report import (
    FATE_RANK,
    LEFT_OUT,
    AddressOutcome,
    Fate,
    ListReport,
    RowOutcome,
    RowOutcomes,
    same_address_reason,
)
from mailer.lists.suppression import Suppression, suppression_key
from mailer.lists.table import RawRow, TableStream, open_table

#: Flag values that mean "not set" (compared case-insensitively).
FLAG_OFF = frozenset({"", "n", "no", "false", "f", "0", "-", "none", "nil", "n/a", "na", "off"})
_LOST_LETTER = re.compile(r"\w\?|\?\w")


class _Empty(list):  # type: ignore[type-arg]
    """An empty list that stays empty: the ``others`` of every row that has none (one
    shared list, not a new one per row of a large list)."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("this list is shared and stays empty")

    append = extend = insert = __setitem__ = __delitem__ = __iadd__ = _refuse  # type: ignore[assignment]


_NO_OTHERS: list[AddressOutcome] = _Empty()


def flag_is_set(value: str) -> bool:
    """True unless the cell is empty or clearly "no" (``N``, ``No``, ``False``, ``0``...):
    any other text in a no-contact or court-order column excludes the contact."""
    return " ".join(value.casefold().split()) not in FLAG_OFF


def _lines_text(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    return shown + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")


class _Builder:
    """Turns table rows into recipients and outcomes (one instance per read)."""

    def __init__(self, table: TableStream, cmap: ColumnMap, where: list[BoundWhere],
                 suppressed: set[str], suppression_name: str) -> None:
        self.table = table
        self.cmap = cmap
        self.where = where
        self.suppressed = suppressed
        self.suppression_name = suppression_name
        self.by_key: dict[str, Recipient] = {}
        self.recipients: list[Recipient] = []
        self.short_lines: list[int] = []
        self.lost_letter_lines: list[int] = []
        #: language cells no language could be read from: value -> lines
        self.unknown_languages: dict[str, list[int]] = {}
        self.several_lines: list[int] = []
        # One copy of each distinct name, year and class text: a large list repeats them
        # on thousands of rows ("Year 7", "Mrs", common names), and each copy costs memory.
        self._texts: dict[str, str] = {}
        self._name_columns: list[int] | None = None
        p = cmap.pupil
        self._pupil_at = tuple(p.get(k) for k in ("pupil_forename", "pupil_surname",
                                                  "pupil_name", "year", "group"))
        self._carer_at: dict[int, tuple[int | None, ...]] = {}
        self.critical = {
            i for s in cmap.slots for f, i in s.fields.items()
            if f in ("email", *FLAG_FIELDS, INVERSE_FLAG)
        }

    def shared(self, text: str) -> str:
        """``text`` itself, or an equal string seen before in this list."""
        return self._texts.setdefault(text, text)

    @staticmethod
    def cleaned(cells: list[str], joined: str | None = None) -> list[str]:
        """Every cell as :func:`clean_text` makes it: ``cells`` itself when no cell would
        change (found with one test of the row instead of one call per cell).

        A cell is its own ``clean_text`` when it is printable (no control character, no
        line separator, no white space but the plain space: str.isprintable) and has no
        space at either end or twice in a row; the cells are joined by ``|``, so a space
        next to a cell boundary shows as ``" |"``/``"| "``. (A ``|`` inside a cell can only
        send the row the slow way, never let a cell through unclean.) ``joined``: the
        cells joined so, when the caller has it."""
        if joined is None:
            joined = "|".join(cells)
        if (joined.isprintable() and "  " not in joined and " |" not in joined
                and "| " not in joined and joined[:1] != " " and joined[-1:] != " "):
            return cells
        return [clean_text(c) for c in cells]

    def child(self, clean: list[str]) -> Child | None:
        """The row's pupil, from its cleaned cells (see :meth:`cleaned`)."""
        fi, si, ni, yi, gi = self._pupil_at
        forename = clean[fi] if fi is not None else ""
        surname = clean[si] if si is not None else ""
        if not forename and ni is not None:
            forename, full_surname = split_pupil_name(clean[ni])
            surname = surname or full_surname
        if not forename:
            return None
        share = self._texts.setdefault
        year = clean[yi] if yi is not None else ""
        group = clean[gi] if gi is not None else ""
        return Child(share(forename, forename), share(surname, surname), share(year, year),
                     share(group, group))

    def carer(self, clean: list[str], slot: Slot) -> Carer:
        """Contact ``slot``'s carer, from the row's cleaned cells (see :meth:`cleaned`)."""
        at = self._carer_at.get(id(slot))
        if at is None:
            f = slot.fields
            at = self._carer_at[id(slot)] = tuple(
                f.get(k) for k in ("title", "forename", "surname", "name", "salutation"))
        ti, fi, si, ni, sa = at
        title = clean[ti] if ti is not None else ""
        forename = clean[fi] if fi is not None else ""
        surname = clean[si] if si is not None else ""
        if not (forename or surname) and ni is not None:
            t, forename, surname = split_carer_name(clean[ni])
            title = title or t
        salutation = clean[sa] if sa is not None else ""
        if salutation and salutation.casefold().startswith("dear "):
            salutation = salutation[5:].strip()
        share = self._texts.setdefault
        return Carer(share(title, title), share(forename, forename), share(surname, surname),
                     share(salutation, salutation))

    def flag(self, cells: list[str], slot: Slot) -> str:
        for fname in FLAG_FIELDS:
            index = slot.fields.get(fname)
            if index is not None and flag_is_set(cells[index]):
                return (f"{FIELDS[fname]} {self.cmap.column_name(index)} says "
                        f"'{clean_text(cells[index])}'")
        index = slot.fields.get(INVERSE_FLAG)
        if index is not None and cells[index].strip() and not flag_is_set(cells[index]):
            return f"{self.cmap.column_name(index)} says '{clean_text(cells[index])}'"
        return ""

    def contact(self, raw: RawRow, slot: Slot, child: Child | None,
                clean: list[str]) -> list[AddressOutcome]:
        cells = raw.cells
        cell = cells[slot.fields["email"]]
        for bound in self.where:
            if not bound.matches(cells, slot):
                return [AddressOutcome(Fate.FILTERED, cell.strip(),
                                       f"does not match --where {bound.where.text}")]
        flag = self.flag(cells, slot)
        if flag:
            return [AddressOutcome(Fate.EXCLUDED, cell.strip(), flag)]
        text = cell.strip()
        if text and PLAIN_CELL.fullmatch(text):  # most cells: one address (as read_cell)
            pieces = [text]
        else:
            reading = read_cell(cell)
            if reading.problem:
                return [AddressOutcome(Fate.INVALID, as_typed(cell), reading.problem)]
            pieces = reading.pieces
        if not pieces:
            column = self.cmap.column_name(slot.fields["email"])
            return [AddressOutcome(Fate.INVALID, "", f"no address in {column}")]
        if len(pieces) > 1:
            self.several_lines.append(raw.line)
        carer = self.carer(clean, slot)
        out = []
        for piece in pieces:
            found = check_address(piece)
            if not isinstance(found, Address):
                out.append(AddressOutcome(Fate.INVALID, as_typed(piece), found))
            elif found.key in self.suppressed:
                out.append(AddressOutcome(Fate.SUPPRESSED, piece,
                                          f"on the suppression list {self.suppression_name}"))
            else:
                out.append(self.accept(found, carer, child, raw.line,
                                       self.language(clean, slot, raw.line)))
        return out

    def language(self, clean: list[str], slot: Slot, line: int) -> str:
        """The BCP 47 tag of the contact's language cell (``clean``: the row's cleaned
        cells), ``""`` when empty, not stated or not a language (remembered with its line
        for the report)."""
        index = slot.fields.get("language")
        if index is None:
            return ""
        value = clean[index]
        found = parse_language(value)
        if not found.known:
            self.unknown_languages.setdefault(value, []).append(line)
        return found.tag

    def accept(self, address: Address, carer: Carer, child: Child | None,
               line: int, language: str = "") -> AddressOutcome:
        rec = self.by_key.get(address.key)
        if rec is None:
            rec = Recipient.first(address.email, address.display, carer, child, line,
                                  language)
            self.by_key[address.key] = rec
            self.recipients.append(rec)
            return AddressOutcome(Fate.RECIPIENT, address.display)
        first = rec.lines[0]
        if language and not rec.language:
            rec.language = language
        new = rec.add(carer, child, line)
        fate = Fate.MERGED if new else Fate.DUPLICATE
        return AddressOutcome(fate, address.display, same_address_reason(first, new), first)

    def malformed(self, raw: RawRow) -> str:
        width = len(self.table.header)
        if raw.extra:
            return (f"this row has {raw.given} fields but the header has {width}; a value "
                    f"containing a {self.table.delimiter_name} must be in quotes")
        missing = [i for i in range(raw.given, width) if i in self.critical]
        if missing:
            return (f"this row has {raw.given} fields but the header has {width}, so "
                    f"{self.cmap.column_name(missing[0])} is missing")
        if raw.given < width:
            self.short_lines.append(raw.line)
        return ""

    def row(self, raw: RawRow) -> RowOutcome:
        problem = self.malformed(raw)
        if problem:
            address = next((c for c in raw.cells if "@" in c), "")
            pupil, carer = self.names(raw.cells) if not raw.extra else ("", "")
            return RowOutcome(raw.line, Fate.INVALID, as_typed(address), problem,
                              pupil=pupil, carer=carer)
        joined = "|".join(raw.cells)
        if "?" in joined:  # no '?' in the row: no lost letter in its names
            self.check_lost_letters(raw)
        clean = self.cleaned(raw.cells, joined)
        child = self.child(clean)
        outcomes: list[AddressOutcome] = []
        several = len(self.cmap.slots) > 1
        for slot in self.cmap.slots:
            if several and not raw.cells[slot.fields["email"]].strip():
                continue  # this row has no contact N
            outcomes.extend(self.contact(raw, slot, child, clean))
        if not outcomes:
            columns = ", ".join(self.cmap.column_name(s.fields["email"]) for s in self.cmap.slots)
            return RowOutcome(raw.line, Fate.INVALID, "", f"no address in {columns}")
        if len(outcomes) == 1:
            best, others = outcomes[0], _NO_OTHERS
        else:
            best = min(outcomes, key=lambda o: FATE_RANK.index(o.fate))
            others = [o for o in outcomes if o is not best and o.fate in LEFT_OUT]
        out = RowOutcome(raw.line, best.fate, best.address, best.reason, best.merged_into,
                         others)
        if best.fate in LEFT_OUT or others:
            out.pupil, out.carer = self.names(raw.cells)
        return out

    def read_rows(self, table: TableStream, out: RowOutcomes,
                  on_recipients: Callable[[list[Recipient]], object] | None = None) -> None:
        """Every data row's outcome appended to ``out``, as :meth:`row` gives it.

        Most rows of a CSV list have one shape: every field given, cells that need no
        cleaning but the stripping of spaces at their ends, no ``?``, one contact without
        flag columns, no ``--where``, and one plain ASCII address
        (:data:`~mailer.lists.addresses.SIMPLE_ADDRESS`, in a domain email-validator
        accepts) that is not suppressed. Such a row is read here straight from the csv
        module's cells (:class:`~mailer.lists.table.CsvRecords`), without the general
        path's steps that cannot apply to it (the row object, its cell reading, flags and
        filters, the outcome objects): a 100,000-row list in about half the time. Any
        other row, and every row of a YAML list, takes :meth:`row`. Both give the same
        recipients and outcomes (the tests compare them on generated lists).

        ``on_recipients`` is given the recipients in batches, as they are made (about
        :data:`RECIPIENT_BATCH` at a time, the last batch once every row is read); a
        recipient's later rows may still add to it.

        Raises:
            ListError: a record the csv module refuses (naming its line), or a file that
                changed while it was read.
        """
        recipients = self.recipients
        given = 0  # recipients given to on_recipients so far
        batch = RECIPIENT_BATCH if on_recipients is not None else sys.maxsize
        next_batch = batch

        def hand_over() -> int:
            nonlocal given
            if on_recipients is not None and len(recipients) > given:
                on_recipients(recipients[given:])
                given = len(recipients)
            return given + batch

        cmap = self.cmap
        slot = cmap.slots[0] if len(cmap.slots) == 1 else None
        rest = None
        if not (slot is None or self.where
                or any(f in slot.fields for f in (*FLAG_FIELDS, INVERSE_FLAG))):
            rest = table.records()
        if rest is None:
            for raw in table.rows():
                if len(recipients) >= next_batch:
                    next_batch = hand_over()
                out.append(self.row(raw))
            hand_over()
            return
        row, to_row = self.row, rest.row

        def other(start: int, cells: list[str]) -> None:
            raw = to_row(start, cells)
            if raw is not None:  # None: a blank row
                out.append(row(raw))

        width = rest.width
        email_at = slot.fields["email"]  # type: ignore[union-attr]
        has_language = "language" in slot.fields  # type: ignore[union-attr]
        simple_local, simple_domain = SIMPLE_LOCAL_PART.fullmatch, SIMPLE_DOMAIN.fullmatch
        suppressed = self.suppressed
        by_key = self.by_key
        child_of, carer_of, language_of = self.child, self.carer, self.language
        first_row = Recipient.first
        from_row = Recipient.from_row
        share = self._texts.setdefault
        strip = str.strip
        names = self._names_getter(slot, width)  # type: ignore[arg-type]
        blank = [""]  # cells + blank: index ``width`` reads a column the list lacks as ""
        domains: dict[str, str] = {}
        # The records head() read ahead come first, with their lines; then the reader's.
        ahead, rest.ahead = rest.ahead, []
        ahead_lines = [start for start, _ in reversed(ahead)]
        reader = rest.reader
        prev = rest.prev
        try:
            for cells in itertools.chain([cells for _, cells in ahead], reader):
                if len(recipients) >= next_batch:
                    next_batch = hand_over()
                if ahead_lines:
                    start = ahead_lines.pop()
                else:
                    start, prev = prev + 1, reader.line_num
                if len(cells) != width:
                    other(start, cells)
                    continue
                joined = "|".join(cells)
                if (joined[:1] == " " or joined[-1:] == " " or " |" in joined
                        or "| " in joined):
                    cells = list(map(strip, cells))
                    joined = "|".join(cells)
                # The test of Builder.cleaned: the cells are their own clean_text.
                if "?" in joined or not joined.isprintable() or "  " in joined:
                    other(start, cells)
                    continue
                text = cells[email_at]
                # SIMPLE_ADDRESS.fullmatch(text), in two halves: each distinct domain is
                # matched and checked once (a list has a few dozen), only the local part
                # on every row.
                local, at, domain = text.rpartition("@")
                if not at or len(local) > 64 or len(text) > 254 or simple_local(local) is None:
                    other(start, cells)
                    continue
                lower = domains.get(domain)
                if lower is None:
                    lower = domains[domain] = (
                        domain.lower() if simple_domain(domain) is not None
                        and not domain_problem(domain.lower()) else "")
                if not lower:
                    other(start, cells)
                    continue
                email = text if lower == domain else f"{local}@{lower}"
                key = email.lower()  # ASCII: its casefold
                if key == email:
                    key = email
                if key in suppressed:
                    other(start, cells)
                    continue
                language = language_of(cells, slot, start) if has_language else ""
                rec = by_key.get(key)
                if names is not None:
                    # The names as child() and carer() read them (no full-name or
                    # salutation column), one C call for the seven cells, each shared
                    # with its equals.
                    title, forename, surname, pupil, pupil_surname, year, group = names(
                        cells + blank)
                    title = share(title, title)
                    forename = share(forename, forename)
                    surname = share(surname, surname)
                    pupil = share(pupil, pupil)
                    pupil_surname = share(pupil_surname, pupil_surname)
                    year = share(year, year)
                    group = share(group, group)
                    if rec is None:
                        rec = from_row(email, text, title, forename, surname, "", pupil,
                                       pupil_surname, year, group, start, language)
                        by_key[key] = rec
                        recipients.append(rec)
                        out.append_recipient(start, text)
                        continue
                    carer = Carer(title, forename, surname, "")
                    child = Child(pupil, pupil_surname, year, group) if pupil else None
                else:
                    child = child_of(cells)
                    carer = carer_of(cells, slot)  # type: ignore[arg-type]
                    if rec is None:
                        rec = first_row(email, text, carer, child, start, language)
                        by_key[key] = rec
                        recipients.append(rec)
                        out.append_recipient(start, text)
                        continue
                first = rec.lines[0]
                if language and not rec.language:
                    rec.language = language
                out.append_same_address(start, rec.add(carer, child, start), first, text)
        except csv.Error as exc:
            raise rest.error(exc, prev + 1) from None
        hand_over()

    def _names_getter(self, slot: Slot, width: int
                      ) -> Callable[[list[str]], tuple[str, ...]] | None:
        """For rows whose names need no splitting: a function of a row's cells plus one
        ``""`` giving (title, forename, surname, pupil forename, pupil surname, year,
        class) as :meth:`carer` and :meth:`child` read them; ``None`` when the list has a
        full-name or salutation column (those take :meth:`carer` and :meth:`child`)."""
        f = slot.fields
        fi, si, ni, yi, gi = self._pupil_at
        if ni is not None or f.get("name") is not None or f.get("salutation") is not None:
            return None
        at = [f.get("title"), f.get("forename"), f.get("surname"), fi, si, yi, gi]
        return operator.itemgetter(*(width if i is None else i for i in at))

    def names(self, cells: list[str]) -> tuple[str, str]:
        """The pupil's and the first contact's names as the row gives them (for the
        problems list of rows that will not get the email)."""
        clean = self.cleaned(cells)
        child = self.child(clean)
        pupil = " ".join(p for p in (child.forename, child.surname) if p) if child else ""
        carer = self.carer(clean, self.cmap.slots[0]) if self.cmap.slots else None
        name = ""
        if carer is not None:
            name = " ".join(p for p in (carer.title, carer.forename, carer.surname) if p)
            name = name or carer.salutation
        return pupil, name

    def check_lost_letters(self, raw: RawRow) -> None:
        names = self._name_columns
        if names is None:
            # The same columns on every row: found once per list, not once per row.
            names = [i for s in self.cmap.slots for f, i in s.fields.items()
                     if f in ("title", "forename", "surname", "name", "salutation")]
            names += [i for f, i in self.cmap.pupil.items() if f != "year"]
            self._name_columns = names
        # One search over the name cells joined by a line break (neither a letter nor a
        # '?', so no match can span two cells) instead of one search per cell.
        if _LOST_LETTER.search("\n".join([raw.cells[i] for i in names])):
            self.lost_letter_lines.append(raw.line)

    def warnings(self) -> list[str]:
        out = []
        if self.short_lines:
            out.append(
                f"line(s) {_lines_text(self.short_lines)} have fewer fields than the header; "
                "their missing last cells were read as empty."
            )
        if self.several_lines:
            out.append(
                f"line(s) {_lines_text(self.several_lines)} have several addresses in one "
                "cell; each address gets its own message."
            )
        if self.lost_letter_lines:
            out.append(
                f"line(s) {_lines_text(self.lost_letter_lines)} have a '?' inside a name, "
                "where Excel puts a letter it could not save (such as 'ł' in 'CSV (Comma "
                "delimited)'); names will show the '?'. Save the list as 'CSV UTF-8' to "
                "keep every letter."
            )
        for value, lines in self.unknown_languages.items():
            out.append(
                f"line(s) {_lines_text(lines)}: the language '{value}' is not one mailer "
                "knows, so those parents get English. Write the language's English name "
                "(Polish) or its code (pl)."
            )
        return out


#: Recipients given to ``read_list``'s ``on_recipients`` at a time.
RECIPIENT_BATCH = 8192


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a list's recipients are made: they are
    new objects that live on (no cycles to find), and each of the collector's passes
    over the growing heap cost, together, about a fifth of reading a 100,000-row list.

    After, every object is moved to the collector's oldest generation without a pass
    (``gc.freeze`` then ``gc.unfreeze``): otherwise its next pass of the youngest (all
    the list's objects, made while it was off) and the one after of the middle
    generation would each go over the whole list (0.08 s for 100,000 recipients, before
    the first message). They are still collected as usual, in its full passes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def read_list(
    path: Path,
    column_overrides: dict[str, list[str]] | None = None,
    suppressed: Iterable[str] | Suppression | None = None,
    where: Sequence[str | Where] = (),
    on_recipients: Callable[[list[Recipient]], object] | None = None,
) -> ListReport:
    """Read a CSV or YAML list and return its recipients and every data row's fate.

    Args:
        path: the list file (``.yaml``/``.yml`` are YAML, anything else CSV).
        column_overrides: ``lists.columns`` from ``mailer.yaml`` (field -> column names).
        suppressed: addresses not to send to, or a :class:`Suppression` read from a file.
        where: ``--where`` filters (``"year=7"`` strings or parsed :class:`Where`).
        on_recipients: given the recipients in batches as they are read (see
            :meth:`_Builder.read_rows`), in list order; together, the result's.

    Raises:
        ListError: when the file cannot be read as a list at all (missing, empty, bad
            bytes, unclosed quote, no address column, unknown ``--where`` column); rows
            that cannot be used are reported in the result instead.
        MailerError: for a malformed ``--where``.
    """
    wheres = [w if isinstance(w, Where) else parse_where([w])[0] for w in where]
    table = open_table(path)
    try:
        cmap = map_columns(table.header, column_overrides, path, table.header_line or None,
                           [r.cells for r in table.head(50)])
        bound = bind_where(wheres, cmap, path)
    except MailerError:
        # A row the CSV reader cannot read is reported before a column problem, as when
        # the whole file was read first.
        for _ in table.rows():
            pass
        raise
    if isinstance(suppressed, Suppression):
        suppression = suppressed
    else:
        suppression = Suppression(keys={suppression_key(a) for a in (suppressed or ())})
    name = f"({suppression.path.name})" if suppression.path else ""
    builder = _Builder(table, cmap, bound, suppression.keys, name)
    # Row by row: only the outcomes and the recipients are kept, never the rows' cells.
    rows = RowOutcomes()
    with _collector_paused():
        builder.read_rows(table, rows, on_recipients)
    return ListReport(
        path=path,
        columns=table.header,
        recipients=builder.recipients,
        rows=rows,
        column_map=cmap,
        blank_lines=table.blank_lines,
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        where=[w.text for w in wheres],
        notes=cmap.notes,
        warnings=[*table.warnings, *builder.warnings(), *suppression.warnings],
        suppression=str(suppression.path) if suppression.path else "",
        suppressed_addresses=len(suppression.keys),
        unknown_languages=[(line, value) for value, lines in builder.unknown_languages.items()
                           for line in lines],
    )
