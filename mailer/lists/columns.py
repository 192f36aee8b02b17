"""Find the columns of a list by name: built-in aliases for common school exports (SIMS,
Arbor, Bromcom, ScholarPack, ParentMail), overridable in ``mailer.yaml``::

    lists:
      columns:
        email: ["Main Email"]
        pupil_forename: ["Forename#1"]   # the first of two columns called Forename
        forename: ["Forename#2"]

Names are compared ignoring case, spaces and punctuation (``E-mail`` = ``email``).
Exports that repeat a name (``Forename`` for the pupil and then the carer) are read by
position, pupil first, and the choice is reported. Wide exports with numbered contacts
(``Contact 1 Email``, ``Contact 2 Email``) give one contact per number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mailer.errors import ListError

#: Every field a column can be mapped to, with the words used in reports.
FIELDS: dict[str, str] = {
    "email": "address",
    "salutation": "carer's salutation",
    "title": "carer's title",
    "forename": "carer's forename",
    "surname": "carer's surname",
    "name": "carer's full name",
    "relationship": "relationship",
    "priority": "priority",
    "no_contact": "no-contact flag",
    "no_correspondence": "no-correspondence flag",
    "court_order": "court-order flag",
    "receives_correspondence": "receives-correspondence flag",
    "pupil_forename": "pupil's forename",
    "pupil_surname": "pupil's surname",
    "pupil_name": "pupil's full name",
    "year": "year group",
    "group": "class or registration group",
    "postal_address": "postal address",
    "address_line_1": "address line 1",
    "address_line_2": "address line 2",
    "address_line_3": "address line 3",
    "address_line_4": "address line 4",
    "address_line_5": "address line 5",
    "town": "town",
    "county": "county",
    "postcode": "postcode",
    "prefers_post": "prefers-post flag",
    "language": "language",
}

#: Other names accepted for a field in ``lists.columns`` (the design sketch's names).
FIELD_SYNONYMS: dict[str, str] = {
    "parent_name": "name", "carer_name": "name", "child_name": "pupil_name",
    "child_forename": "pupil_forename", "child_surname": "pupil_surname",
    "class": "group", "reg_group": "group", "registration_group": "group", "form": "group",
    "address": "email", "e-mail": "email",
    "home_language": "language", "first_language": "language",
    "preferred_language": "language", "contact_language": "language",
}

#: Flag fields whose any non-"no" value excludes the contact (see :func:`flag_is_set`).
FLAG_FIELDS = ("no_contact", "no_correspondence", "court_order")
#: Flag field whose "no" value excludes the contact.
INVERSE_FLAG = "receives_correspondence"

#: A contact's postal address (for ``mailer letters``: paper copies for households
#: that get no email), and the flag of a contact who prefers letters to email.
POSTAL_FIELDS = ("postal_address", "address_line_1", "address_line_2", "address_line_3",
                 "address_line_4", "address_line_5", "town", "county", "postcode")

CONTACT_FIELDS = (
    "email", "salutation", "title", "forename", "surname", "name", "relationship",
    "priority", *FLAG_FIELDS, INVERSE_FLAG, *POSTAL_FIELDS, "prefers_post", "language",
)
PUPIL_FIELDS = ("pupil_forename", "pupil_surname", "pupil_name", "year", "group")

_CARER = ("contact", "carer", "parent", "parent/carer", "parent or carer", "parent carer",
          "guardian", "adult", "primary contact", "main contact", "parental")
_PUPIL = ("pupil", "student", "child", "learner")
_FORENAME = ("forename", "first name", "given name", "preferred forename", "legal forename")
_SURNAME = ("surname", "last name", "family name", "legal surname", "preferred surname")
_FULLNAME = ("name", "full name")
_HOME = ("home", "postal", "correspondence", *_CARER)


def _with(prefixes: tuple[str, ...], words: tuple[str, ...]) -> list[str]:
    return [f"{p} {w}" for p in prefixes for w in words]


#: Built-in column names per field, most specific first.
COLUMN_ALIASES: dict[str, list[str]] = {
    "email": ["email", "e-mail", "email address", "e-mail address", "primary email",
              "main email", "home email", "personal email", "preferred email",
              *_with(_CARER, ("email", "e-mail", "email address"))],
    "salutation": ["salutation", "parental salutation", *_with(_CARER, ("salutation",))],
    "title": ["title", *_with(_CARER, ("title",))],
    "forename": _with(_CARER, _FORENAME),
    "surname": _with(_CARER, _SURNAME),
    "name": _with(_CARER, _FULLNAME),
    "relationship": ["relationship", "relation", "relationship type", "relationship to pupil",
                     "relationship to student", "relationship to child",
                     *_with(_CARER, ("relationship",))],
    "priority": ["priority", "contact priority", "priority order", "contact order", "order",
                 *_with(_CARER, ("priority",))],
    "no_contact": ["no contact", "do not contact", "contact not allowed", "no contact allowed",
                   "not to be contacted"],
    "no_correspondence": ["no correspondence", "do not send correspondence", "no mailings",
                          "exclude from correspondence", "correspondence not allowed",
                          "no mail", "email opt out", "opted out", "opt out"],
    "court_order": ["court order", "court orders", "court order in place", "legal restriction",
                    "contact restriction", "restricted contact",
                    "parental responsibility restricted"],
    "receives_correspondence": ["receives correspondence", "correspondence",
                                "send correspondence", "receives email", "receive email",
                                "email correspondence", "receives mail", "include in mailings"],
    "pupil_forename": [*_with(_PUPIL, _FORENAME), "legal forename", "preferred forename",
                       "child's forename"],
    "pupil_surname": [*_with(_PUPIL, _SURNAME), "legal surname", "preferred surname",
                      "child's surname"],
    "pupil_name": [*_with(_PUPIL, _FULLNAME), "pupil", "student", "child", "learner"],
    "year": ["year", "year group", "yeargroup", "nc year", "year taught in", "curriculum year",
             "yr", *_with(_PUPIL, ("year", "year group"))],
    "postal_address": ["postal address", "home address", "address block", "full address",
                       "correspondence address", "address",
                       *_with(_CARER, ("address", "postal address", "home address"))],
    "address_line_1": ["address line 1", "address 1", "addr 1", "street", "street address",
                       *_with(_HOME, ("address line 1", "address 1"))],
    "address_line_2": ["address line 2", "address 2", "addr 2", "locality", "district",
                       *_with(_HOME, ("address line 2", "address 2"))],
    "address_line_3": ["address line 3", "address 3", "addr 3",
                       *_with(_HOME, ("address line 3", "address 3"))],
    # SIMS and Bromcom exports run to Address Line 5.
    "address_line_4": ["address line 4", "address 4", "addr 4",
                       *_with(_HOME, ("address line 4", "address 4"))],
    "address_line_5": ["address line 5", "address 5", "addr 5",
                       *_with(_HOME, ("address line 5", "address 5"))],
    "town": ["town", "town/city", "city", "post town", "town or city", "address town",
             *_with(_HOME, ("town", "city", "town/city"))],
    "county": ["county", "address county", *_with(_HOME, ("county",))],
    "postcode": ["postcode", "post code", "postal code", "zip", "zip code", "address postcode",
                 *_with(_HOME, ("postcode", "post code"))],
    "prefers_post": ["prefers post", "prefer post", "prefers letters", "post only",
                     "by post", "send by post", "paper copy", "paper copies",
                     "correspondence by post", "letters by post", "postal correspondence",
                     "preferred contact method", "contact method", "preferred contact",
                     "preferred method of contact", "contact preference",
                     "communication preference", "correspondence preference",
                     "correspondence method", *_with(_CARER, ("prefers post",))],
    "group": ["reg group", "registration group", "reg", "form", "form group", "tutor group",
              "class", "registration form", "reg form", "tutor", "homeroom",
              *_with(_PUPIL, ("class", "form", "reg group", "registration group"))],
    # SIMS, Arbor and Bromcom call it one of these; the carer's own language first.
    "language": ["preferred language", "contact language", "home language", "first language",
                 "language", "main language", "language spoken at home", "spoken language",
                 "correspondence language", "language of correspondence",
                 *_with(_CARER, ("language", "preferred language", "first language",
                                 "home language")),
                 *_with(_PUPIL, ("language", "first language", "home language"))],
}

#: Generic name columns: (carer field, pupil field) and their names.
GENERIC_NAMES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "forename": ("forename", "pupil_forename", ("forename", "first name", "given name")),
    "surname": ("surname", "pupil_surname", ("surname", "last name", "family name")),
    "name": ("name", "pupil_name", ("name", "full name")),
}


class ColumnNames(list):
    """The column names configured for one field in ``lists.columns`` (a ``list[str]``),
    remembering where they were set so an error can point there.

    Attributes:
        source: the ``mailer.yaml`` they came from, if known.
        line: 1-based line of the setting in ``source``, if known.
    """

    def __init__(self, names: Iterable[str] = (), source: Path | None = None,
                 line: int | None = None) -> None:
        super().__init__(names)
        self.source = source
        self.line = line


def _setting_place(names: list[str]) -> str:
    """``mailer.yaml, line 12`` (or just ``mailer.yaml``) for configured ``names``."""
    source = getattr(names, "source", None)
    line = getattr(names, "line", None)
    where = str(source) if source is not None else "mailer.yaml"
    return f"{where}, line {line}" if line else where


def column_key(name: str) -> str:
    """Compare form of a column name: case-folded letters and digits only."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


ALIAS_KEYS: dict[str, list[str]] = {
    f: list(dict.fromkeys(column_key(a) for a in names)) for f, names in COLUMN_ALIASES.items()
}
_GENERIC_KEYS: dict[str, set[str]] = {
    kind: {column_key(n) for n in names} for kind, (_, _, names) in GENERIC_NAMES.items()
}
_KNOWN_KEYS = {k for keys in ALIAS_KEYS.values() for k in keys} | {
    k for keys in _GENERIC_KEYS.values() for k in keys
}
_CONTACT_KEY_FIELD: dict[str, str] = {}
_CARER_KEYS = tuple(column_key(p) for p in _CARER)
for _f in CONTACT_FIELDS:
    for _k in ALIAS_KEYS[_f]:
        _CONTACT_KEY_FIELD.setdefault(_k, _f)
for _kind, (_carer_field, _, _) in GENERIC_NAMES.items():
    for _k in _GENERIC_KEYS[_kind]:
        _CONTACT_KEY_FIELD.setdefault(_k, _carer_field)


def canonical_field(name: str) -> str | None:
    """The field called ``name`` in ``lists.columns`` (synonyms accepted), else ``None``."""
    n = name.strip().lower().replace(" ", "_").replace("-", "_")
    if n in FIELDS:
        return n
    return FIELD_SYNONYMS.get(n) or FIELD_SYNONYMS.get(name.strip().lower())


def parse_column_ref(ref: str) -> tuple[str, int | None]:
    """``"Forename#2"`` -> (key of ``Forename``, 2); ``"Email"`` -> (key, None)."""
    m = re.fullmatch(r"(.*?)\s*#\s*(\d+)\s*", ref)
    if m and m.group(1).strip():
        return column_key(m.group(1)), int(m.group(2))
    return column_key(ref), None


def find_columns(ref: str, keys: list[str]) -> list[int]:
    """Indexes of the columns ``ref`` names, given the header's :func:`column_key` keys:
    every column with that name, or just the Nth for ``Name#N`` (unless a column is
    literally called ``Name#N``)."""
    literal = [i for i, k in enumerate(keys) if k == column_key(ref)]
    key, occurrence = parse_column_ref(ref)
    if literal or occurrence is None:
        return literal
    cols = [i for i, k in enumerate(keys) if k == key]
    return cols[occurrence - 1:occurrence] if occurrence >= 1 else []


@dataclass
class Slot:
    """One contact's columns in a row: the only contact, or contact N of a wide export.

    Attributes:
        number: ``None`` for unnumbered columns, else the number in the column names.
        fields: contact field -> 0-based column index.
        home: postal field -> column of the pupil's home address, for a numbered contact
            whose own postal columns may be empty in a row (``mailer letters``).
    """

    number: int | None
    fields: dict[str, int]
    home: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``contact 2`` for a numbered slot, else ``""``."""
        return "" if self.number is None else f"contact {self.number}"


@dataclass
class ColumnMap:
    """Which column holds which field.

    Attributes:
        header: the file's column names.
        slots: the contacts per row (one unless the export numbers its contacts); each
            has an ``email`` column.
        pupil: pupil field -> column index (shared by all slots of a row).
        notes: choices made that the user should see (repeated names, overrides).
    """

    header: list[str]
    slots: list[Slot]
    pupil: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def column_name(self, index: int) -> str:
        """The column's name, or ``column N`` (1-based) when it has none."""
        name = self.header[index] if index < len(self.header) else ""
        return f"'{name}'" if name else f"column {index + 1}"

    def field_columns(self) -> dict[str, list[str]]:
        """field -> names of the columns it is read from (all slots), for reports."""
        out: dict[str, list[str]] = {}
        for f, i in self.pupil.items():
            out.setdefault(f, []).append(self.header[i])
        for slot in self.slots:
            for f, i in slot.fields.items():
                if self.header[i] not in out.get(f, []):
                    out.setdefault(f, []).append(self.header[i])
        return {f: out[f] for f in FIELDS if f in out}

    def describe(self) -> str:
        """One line saying which columns were used, e.g.
        ``address 'Email'; carer 'Title', 'Forename', 'Surname'; year 'Year'``."""
        groups = (
            ("address", ("email",)),
            ("carer", ("salutation", "title", "forename", "surname", "name")),
            ("relationship", ("relationship",)),
            ("priority", ("priority",)),
            ("contact flags", (*FLAG_FIELDS, INVERSE_FLAG)),
            ("pupil", ("pupil_forename", "pupil_surname", "pupil_name")),
            ("year", ("year",)),
            ("class", ("group",)),
            ("postal address", POSTAL_FIELDS),
            ("prefers post", ("prefers_post",)),
            ("language", ("language",)),
        )
        cols = self.field_columns()
        parts = []
        for label, names in groups:
            found = [f"'{c}'" for n in names for c in cols.get(n, [])]
            if found:
                parts.append(f"{label} {', '.join(dict.fromkeys(found))}")
        return "; ".join(parts)


def _note_repeat(name: str, cols: list[int], chosen: int, field_name: str) -> str:
    where = " and ".join(str(c + 1) for c in cols)
    other = next(c for c in cols if c != chosen)
    return (
        f"'{name}' appears in columns {where}; column {chosen + 1} is read as the "
        f"{FIELDS[field_name]}. To use column {other + 1} instead, set in mailer.yaml under "
        f"lists: columns: {field_name}: [\"{name}#{cols.index(other) + 1}\"]."
    )


def _guess_address_column(header: list[str], sample: list[list[str]]) -> str | None:
    best, best_count = None, 0
    for i, name in enumerate(header):
        count = sum(1 for row in sample if i < len(row) and "@" in row[i])
        if count > best_count:
            best, best_count = name, count
    if best:
        return best
    return next((h for h in header if "mail" in column_key(h)), None)


def _numbered_field(name: str) -> tuple[int, str] | None:
    """The contact number and field of a wide export's numbered column: ``Contact 2
    Email`` and ``Email2`` -> ``(2, "email")``; ``Contact 2 Address Line 1`` -> ``(2,
    "address_line_1")`` (of two numbers, the contact's is the one whose removal leaves a
    known column name); ``None`` for any other name."""
    numbers = list(re.finditer(r"\d+", name))
    if len(numbers) == 1:
        fname = _contact_field(column_key(re.sub(r"\d+", " ", name)))
        return (int(numbers[0].group()), fname) if fname else None
    if len(numbers) == 2:
        for m in numbers:
            fname = _contact_field(column_key(f"{name[:m.start()]} {name[m.end():]}"))
            if fname:
                return int(m.group()), fname
    return None


def _contact_field(key: str) -> str | None:
    """The contact field of a numbered column's name without its number: a known name
    (``contact email``), or a known name after a carer word (``contact no contact``,
    ``parent court order``: SIMS and Arbor put "Contact N" before every field, flags
    included)."""
    found = _CONTACT_KEY_FIELD.get(key)
    if found:
        return found
    for prefix in sorted(_CARER_KEYS, key=len, reverse=True):
        if key.startswith(prefix) and len(key) > len(prefix):
            found = _CONTACT_KEY_FIELD.get(key[len(prefix):])
            if found:
                return found
    return None


def map_columns(
    header: list[str],
    overrides: dict[str, list[str]] | None = None,
    path: Path | None = None,
    header_line: int | None = 1,
    sample: list[list[str]] | None = None,
) -> ColumnMap:
    """Decide which column holds which field.

    Order: names configured in ``overrides`` (``lists.columns``; ``Name#N`` picks the
    Nth column called Name), then numbered contact columns, then the built-in aliases,
    then generic name columns (``Forename``...), which go to the pupil when the name is
    repeated (first occurrence) or the export numbers its contacts, else to the carer.

    Raises:
        ListError: when a field set in ``overrides`` names no column of the file (the
            message names the ``mailer.yaml`` setting and its line when ``overrides``
            holds :class:`ColumnNames`, and the columns the file has); when no column
            holds addresses (the message lists the columns seen and the ``mailer.yaml``
            lines that would map one).
    """
    overrides = overrides or {}
    keys = [column_key(h) for h in header]
    used: set[int] = set()
    assigned: dict[str, int] = {}
    notes: list[str] = []

    def columns_with(key: str) -> list[int]:
        return [i for i, k in enumerate(keys) if k == key]

    # 1. mailer.yaml lists.columns: a configured name the file lacks is an error, never
    # a quiet fall-back to the built-in names (which may pick the very column it avoids).
    for raw_field, names in overrides.items():
        fname = canonical_field(raw_field) or raw_field
        if fname not in FIELDS:
            continue
        in_file = [c for ref in names for c in find_columns(ref, keys)]
        for ref in names:
            cols = [c for c in find_columns(ref, keys) if c not in used]
            if cols:
                assigned[fname] = cols[0]
                used.add(cols[0])
                break
        else:
            shown = " or ".join(f"'{n}'" for n in names)
            seen = ", ".join(f"'{h}'" for h in header if h) or "none"
            if in_file:
                taken = next(f for f, c in assigned.items() if c in in_file)
                problem = (f"but that column is already read as the {FIELDS[taken]} "
                           f"(lists.columns.{taken})")
            else:
                problem = "but this list has no such column"
            raise ListError(
                f"{_setting_place(names)} sets lists.columns.{fname} (the {FIELDS[fname]}) "
                f"to {shown}, {problem}, so nothing was sent. Columns in the file: {seen}. "
                "Correct the setting in mailer.yaml or the column's name in the list.",
                path=path,
                line=header_line,
            )

    # 2. numbered contacts: "Contact 1 Email", "Email2"...
    numbered: dict[int, dict[str, int]] = {}
    for i, name in enumerate(header):
        if i in used or keys[i] in _KNOWN_KEYS:
            continue
        found = _numbered_field(name)
        if found and found[1] not in numbered.setdefault(found[0], {}):
            numbered[found[0]][found[1]] = i
    numbered = {n: f for n, f in numbered.items() if "email" in f}
    wide = bool(numbered)
    for fields in numbered.values():
        used.update(fields.values())

    # 3. built-in aliases
    for fname, alias_keys in ALIAS_KEYS.items():
        if fname in assigned:
            continue
        for key in alias_keys:
            cols = [c for c in columns_with(key) if c not in used]
            if cols:
                assigned[fname] = cols[0]
                used.add(cols[0])
                if len(cols) > 1:
                    notes.append(_note_repeat(header[cols[0]], cols, cols[0], fname))
                break

    # 4. generic name columns: pupil first when repeated
    carer_named = any(f in assigned for f in ("forename", "surname", "name"))
    pupil_named = any(f in assigned for f in ("pupil_forename", "pupil_surname", "pupil_name"))
    for kind, (carer_field, pupil_field, _) in GENERIC_NAMES.items():
        cols = [i for i, k in enumerate(keys) if k in _GENERIC_KEYS[kind] and i not in used]
        if not cols:
            continue
        free = [f for f in (pupil_field, carer_field) if f not in assigned]
        if not free:
            continue
        if len(cols) >= 2 and len(free) == 2:
            assigned[pupil_field], assigned[carer_field] = cols[0], cols[1]
            name = header[cols[0]]
            notes.append(
                f"'{name}' appears twice (columns {cols[0] + 1} and {cols[1] + 1}): column "
                f"{cols[0] + 1} is read as the {FIELDS[pupil_field]} and column {cols[1] + 1} "
                f"as the {FIELDS[carer_field]}, by position (exports list the pupil first). "
                f"To swap them, set in mailer.yaml under lists: columns: "
                f"{carer_field}: [\"{name}#1\"] and {pupil_field}: [\"{name}#2\"]."
            )
            used.update(cols[:2])
            continue
        if len(free) == 2:
            target = pupil_field if wide or (carer_named and not pupil_named) else carer_field
        else:
            target = free[0]
            if wide and target == carer_field:
                continue
        assigned[target] = cols[0]
        used.add(cols[0])
        if len(cols) > 1:
            notes.append(_note_repeat(header[cols[0]], cols, cols[0], target))

    pupil = {f: assigned[f] for f in PUPIL_FIELDS if f in assigned}
    contact = {f: assigned[f] for f in CONTACT_FIELDS if f in assigned}
    slots: list[Slot] = []
    if "email" in contact:
        slots.append(Slot(None, contact))
    # A wide export's unnumbered flags and postal address (the pupil's home) apply to
    # each numbered contact that has none of its own.
    shared = {} if slots else {
        f: c for f, c in contact.items()
        if f in (*FLAG_FIELDS, INVERSE_FLAG, *POSTAL_FIELDS, "prefers_post", "language")
    }
    for number in sorted(numbered):
        own = numbered[number]
        # A contact with a postal address of its own takes none of the shared one's parts.
        # (The shared one stays its fallback, for rows where the contact's is empty.)
        if any(f in own for f in POSTAL_FIELDS):
            home = {f: c for f, c in shared.items() if f in POSTAL_FIELDS}
            base = {f: c for f, c in shared.items() if f not in POSTAL_FIELDS}
            slots.append(Slot(number, {**base, **own}, home))
        else:
            slots.append(Slot(number, {**shared, **own}))
    if not slots:
        seen = ", ".join(f"'{h}'" for h in header if h) or "none"
        guess = _guess_address_column(header, sample or [])
        raise ListError(
            f"no column of email addresses was found. Columns in the file: {seen}. If "
            f"{'one' if guess is None else repr(guess)} holds the addresses, add to "
            "mailer.yaml:\n  lists:\n    columns:\n      email: "
            f"[\"{guess or 'Your Column Name'}\"]",
            path=path,
            line=header_line,
        )
    return ColumnMap(header=header, slots=slots, pupil=pupil, notes=notes)
