"""``--where COLUMN=VALUE`` filters: repeatable (all must hold), case-insensitive.

COLUMN is a column name as written in the list (``"Reg Group"``, ``Forename#2``) or a
field name (``year``, ``class``, ``relationship``, ``priority``...; see
:data:`mailer.lists.columns.FIELDS`). Year groups compare by number, so ``year=7``
matches ``7``, ``Year 7``, ``Y7`` and ``Yr 07``; ``year=R`` matches ``Reception``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import ListError, MailerError
from mailer.lists.columns import (
    ALIAS_KEYS,
    FIELDS,
    PUPIL_FIELDS,
    ColumnMap,
    Slot,
    canonical_field,
    column_key,
    find_columns,
    parse_column_ref,
)

_YEAR = re.compile(r"^(?:nc\s*year|year|yr|y)?\s*0*(\d{1,2}|r|n)$")
_YEAR_WORDS = {"reception": "r", "rec": "r", "nursery": "n", "nur": "n"}


@dataclass(frozen=True)
class Where:
    """One ``--where`` filter as given: ``column`` and ``value`` (``text`` is the whole)."""

    column: str
    value: str
    text: str


def parse_where(items: Sequence[str]) -> list[Where]:
    """Parse ``["year=7", "Reg Group = 7K"]``.

    Raises:
        MailerError: for an item without ``=`` or with nothing before it.
    """
    out = []
    for item in items:
        column, eq, value = item.partition("=")
        if not eq or not column.strip():
            raise MailerError(
                f"--where '{item}' must look like COLUMN=VALUE, for example --where year=7."
            )
        out.append(Where(column.strip(), value.strip(), item))
    return out


def normalise(value: str, year: bool = False) -> str:
    """Compare form: case-folded, whitespace collapsed; year groups reduced to their
    number (``Year 07`` -> ``7``), ``r`` (Reception) or ``n`` (Nursery)."""
    text = " ".join(value.casefold().split())
    if year:
        text = _YEAR_WORDS.get(text, text)
        m = _YEAR.match(text)
        if m:
            return m.group(1)
    return text


@dataclass(frozen=True)
class BoundWhere:
    """A filter bound to a list: a fixed ``column`` index, or a contact ``field`` read
    from each contact's own column (wide exports)."""

    where: Where
    column: int | None
    field: str | None
    year: bool

    def value_in(self, cells: list[str], slot: Slot) -> str:
        """The cell this filter looks at, for one contact of one row."""
        if self.column is not None:
            return cells[self.column]
        index = slot.fields.get(self.field or "")
        return cells[index] if index is not None else ""

    def matches(self, cells: list[str], slot: Slot) -> bool:
        """True when the row (for this contact) has the wanted value."""
        return normalise(self.value_in(cells, slot), self.year) == normalise(
            self.where.value, self.year
        )


def bind_where(wheres: Sequence[Where], cmap: ColumnMap, path: Path) -> list[BoundWhere]:
    """Resolve each filter's COLUMN against the list's header and column map.

    Raises:
        ListError: naming the filter, the list and the columns it has, when COLUMN is
            neither a column of the list nor a field the list has.
    """
    year_col = cmap.pupil.get("year")
    bound = []
    for w in wheres:
        key, _ = parse_column_ref(w.column)
        cols = find_columns(w.column, [column_key(h) for h in cmap.header])
        if cols:
            bound.append(BoundWhere(w, cols[0], None, cols[0] == year_col))
            continue
        fname = canonical_field(w.column) or next(
            (f for f, keys in ALIAS_KEYS.items() if key in keys), None
        )
        if fname in PUPIL_FIELDS and fname in cmap.pupil:
            bound.append(BoundWhere(w, cmap.pupil[fname], None, fname == "year"))
            continue
        if fname in FIELDS and any(fname in s.fields for s in cmap.slots):
            bound.append(BoundWhere(w, None, fname, False))
            continue
        seen = ", ".join(f"'{h}'" for h in cmap.header if h)
        raise ListError(
            f"--where {w.text}: the list has no column '{w.column}'. Its columns are: {seen}.",
            path=path,
        )
    return bound
