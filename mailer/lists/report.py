"""Row fates and the list report: every data row of a list is accounted for."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

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


@dataclass
class ListReport:
    """The recipients read from a list, and every data row's fate.

    Attributes:
        path: the list file.
        columns: the header's column names.
        recipients: one per unique address, in list order.
        rows: one outcome per data row, in file order.
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
    rows: list[RowOutcome]
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
        for row in self.rows:
            out[row.fate.value] += 1
        return out
