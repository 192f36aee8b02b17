"""Row fates and the list report: every data row of a list is accounted for."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import overload

from mailer.lists.columns import ColumnMap
from mailer.lists.people import Recipient


class Fate(str, Enum):
    """What happened to one data row of a list (the counts add up to the rows)."""

    RECIPIENT = "recipient"      # became a recipient
    MERGED = "merged"            # same address as an earlier row, adding a carer or child
    DUPLICATE = "duplicate"      # same address, carer and child as an earlier row
    INVALID = "invalid"          # no usable address, or the row cannot be read (reason)
    SUPPRESSED = "suppressed"    # the address is on the suppression list
    EXCLUDED = "excluded"        # a contact flag says no contact / correspondence / court order
    FILTERED = "filtered"        # does not match --where


#: Words for each fate in summaries.
FATE_WORDS: dict[Fate, str] = {
    Fate.RECIPIENT: "became a recipient",
    Fate.MERGED: "merged into another row's recipient (same address)",
    Fate.DUPLICATE: "duplicate of an earlier row",
    Fate.INVALID: "invalid address or unreadable row",
    Fate.SUPPRESSED: "on the suppression list",
    Fate.EXCLUDED: "excluded by a contact flag",
    Fate.FILTERED: "filtered out by --where",
}

#: Which outcome describes a row best when its contacts/addresses fare differently.
FATE_RANK: tuple[Fate, ...] = (
    Fate.RECIPIENT, Fate.MERGED, Fate.DUPLICATE, Fate.SUPPRESSED, Fate.EXCLUDED,
    Fate.INVALID, Fate.FILTERED,
)

#: Fates that mean an address of the list will not get the message.
LEFT_OUT: frozenset[Fate] = frozenset({Fate.INVALID, Fate.SUPPRESSED, Fate.EXCLUDED})


@dataclass(slots=True)
class AddressOutcome:
    """What happened to one address (or one contact) of a row."""

    fate: Fate
    address: str = ""
    reason: str = ""
    merged_into: int | None = None


@dataclass(slots=True)
class RowOutcome:
    """The fate of one data row.

    Attributes:
        line: 1-based line where the row starts in the file.
        fate: the row's fate (the best of its addresses' outcomes, see ``FATE_RANK``).
        address: the address (as written) the fate is about; may be ``""``.
        reason: why, for any fate but ``recipient``.
        merged_into: for ``merged``/``duplicate``, the line of the row that first gave
            the address.
        others: further outcomes of the same row that left an address out (a cell with
            several addresses, or a wide export with several contacts).
        pupil: the pupil's name as the row gives it, kept only for rows that leave an
            address out (for the problems list); else ``""``.
        carer: the parent/carer's name as the row gives it, likewise.
    """

    line: int
    fate: Fate
    address: str = ""
    reason: str = ""
    merged_into: int | None = None
    others: list[AddressOutcome] = field(default_factory=list)
    pupil: str = ""
    carer: str = ""

    def as_dict(self) -> dict[str, object]:
        """JSON shape: ``line``, ``fate``, ``address``, ``reason`` (+ ``merged_into``,
        ``others`` when present)."""
        out: dict[str, object] = {"line": self.line, "fate": self.fate.value,
                                  "address": self.address, "reason": self.reason}
        if self.merged_into is not None:
            out["merged_into"] = self.merged_into
        if self.others:
            out["others"] = [
                {"fate": o.fate.value, "address": o.address, "reason": o.reason}
                for o in self.others
            ]
        return out


def same_address_reason(first: int, new: bool) -> str:
    """The reason of a ``merged`` (``new``) or ``duplicate`` row whose address first came
    on line ``first``."""
    what = "adds a carer or child to" if new else "adds nothing new to"
    return f"same address as line {first}; {what} that message"


#: Row kinds :class:`RowOutcomes` keeps without a :class:`RowOutcome` object.
_KINDS = (Fate.RECIPIENT, Fate.MERGED, Fate.DUPLICATE)
_FULL = 255


class RowOutcomes(Sequence[RowOutcome]):
    """Every data row's :class:`RowOutcome`, in file order, kept compactly: a row that
    became a recipient, or merged into / duplicated an earlier one, with nothing else to
    say (most rows of any list) costs about 17 bytes (line, kind, first line, and a
    reference to its address), not a 150-byte object; any other row is kept as given.
    Reading gives back :class:`RowOutcome` objects equal to those appended.

    (A 100,000-row list kept about 17 MiB of row objects before.)"""

    __slots__ = ("_lines", "_kinds", "_firsts", "_addresses", "_full")

    def __init__(self, rows: Iterable[RowOutcome] = ()) -> None:
        self._lines = array("I")  # 4 bytes a line number (up to 4,294,967,295)
        self._kinds = bytearray()
        self._firsts = array("I")
        self._addresses: list[str] = []
        self._full: dict[int, RowOutcome] = {}
        for row in rows:
            self.append(row)

    def append(self, row: RowOutcome) -> None:
        """Add the next row's outcome."""
        fate = row.fate
        first = row.merged_into
        compact = (not row.others and not row.pupil and not row.carer and (
            (fate is Fate.RECIPIENT and not row.reason and first is None)
            or (fate is not Fate.RECIPIENT and fate in _KINDS and first is not None
                and row.reason == same_address_reason(first, fate is Fate.MERGED))))
        if compact:
            self._kinds.append(_KINDS.index(fate))
        else:
            self._kinds.append(_FULL)
            self._full[len(self._addresses)] = row
        self._lines.append(row.line)
        self._firsts.append(first or 0)
        self._addresses.append(row.address)

    def append_recipient(self, line: int, address: str) -> None:
        """Add the next row's outcome when it is ``RowOutcome(line, Fate.RECIPIENT,
        address)`` (the same as :meth:`append` of it, without building it)."""
        self._kinds.append(0)
        self._lines.append(line)
        self._firsts.append(0)
        self._addresses.append(address)

    def append_same_address(self, line: int, new: bool, first: int, address: str) -> None:
        """Add the next row's outcome when it is a ``merged`` (``new``) or ``duplicate``
        row of ``address``, first given on line ``first``, with nothing else to say (the
        same as :meth:`append` of it, without building it)."""
        self._kinds.append(1 if new else 2)
        self._lines.append(line)
        self._firsts.append(first)
        self._addresses.append(address)

    def __len__(self) -> int:
        return len(self._addresses)

    def fate_counts(self) -> dict[Fate, int]:
        """Rows per fate (fates with no row left out), without building the rows."""
        out: dict[Fate, int] = {}
        for kind, fate in enumerate(_KINDS):
            n = self._kinds.count(kind)
            if n:
                out[fate] = n
        for row in self._full.values():
            out[row.fate] = out.get(row.fate, 0) + 1
        return out

    def kept_whole(self) -> Iterator[RowOutcome]:
        """The rows kept as given, in file order: every row that leaves an address out
        (a left-out fate, or ``others``) is among them."""
        return iter(self._full.values())

    def _row(self, i: int) -> RowOutcome:
        kind = self._kinds[i]
        if kind == _FULL:
            return self._full[i]
        fate = _KINDS[kind]
        if fate is Fate.RECIPIENT:
            return RowOutcome(self._lines[i], fate, self._addresses[i])
        first = self._firsts[i]
        return RowOutcome(self._lines[i], fate, self._addresses[i],
                          same_address_reason(first, fate is Fate.MERGED), first)

    @overload
    def __getitem__(self, index: int) -> RowOutcome: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowOutcome]: ...

    def __getitem__(self, index: int | slice) -> RowOutcome | list[RowOutcome]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("row index out of range")
        return self._row(index)

    def __iter__(self) -> Iterator[RowOutcome]:
        return (self._row(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RowOutcomes({list(self)!r})"


@dataclass
class ListReport:
    """The recipients read from a list, and every data row's fate.

    Attributes:
        path: the list file.
        columns: the header's column names.
        recipients: one per unique address, in list order.
        rows: one outcome per data row, in file order (a :class:`RowOutcomes` when read
            from a file).
        column_map: which column was read as what (``None`` only for hand-built reports).
        blank_lines: blank lines skipped (not data rows).
        format: ``csv`` or ``yaml``; ``encoding`` and ``delimiter`` as detected.
        where: the ``--where`` filters applied, as given.
        notes: choices made in reading the columns (a repeated name read by position).
        warnings: things the user should know that did not stop the reading.
        suppression: the suppression file used, or ``""``; ``suppressed_addresses`` how
            many addresses it holds.
        unknown_languages: ``(line, value)`` of every language cell that names no
            language mailer can map (those parents get English).
    """

    path: Path
    columns: list[str]
    recipients: list[Recipient]
    rows: Sequence[RowOutcome]
    column_map: ColumnMap | None = None
    blank_lines: int = 0
    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    where: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suppression: str = ""
    suppressed_addresses: int = 0
    unknown_languages: list[tuple[int, str]] = field(default_factory=list)

    def languages(self) -> dict[str, int]:
        """Recipients per language tag in the list's language column (``""``: none given
        or not known), most first; empty when the list has no language column."""
        cmap = self.column_map
        if cmap is None or not any("language" in s.fields for s in cmap.slots):
            return {}
        out: dict[str, int] = {}
        for rec in self.recipients:
            out[rec.language] = out.get(rec.language, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def counts(self) -> dict[str, int]:
        """Rows per fate (every fate present, in :class:`Fate` order); the values add up
        to ``len(self.rows)``."""
        out = {f.value: 0 for f in Fate}
        if isinstance(self.rows, RowOutcomes):
            for fate, n in self.rows.fate_counts().items():
                out[fate.value] += n
            return out
        for row in self.rows:
            out[row.fate.value] += 1
        return out

    def rows_leaving_out(self) -> Iterator[RowOutcome]:
        """The rows that may leave an address out (a left-out fate, or ``others``), in file
        order: from a compact report only the rows it keeps whole (no other row can);
        callers still test each row."""
        if isinstance(self.rows, RowOutcomes):
            return self.rows.kept_whole()
        return iter(self.rows)
