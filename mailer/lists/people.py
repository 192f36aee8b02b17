"""Carers, pupils and recipients, and the personal template fields built from them.

A recipient is one unique address. It may stand for several carers (two carers sharing
an address) and several pupils (a carer of siblings); the greeting names them:
``Dear Mrs Khan``, ``Dear Mr and Mrs Wilson``, ``Dear Parent/Carer of Amy and Ben``, or
``Dear Parent/Carer`` when the list says nothing about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple, TypeVar

T = TypeVar("T")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

#: Titles recognised at the start of a full name ("Mrs Sadia Khan").
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "rev", "revd", "reverend",
    "sir", "dame", "lady", "lord", "fr", "sr", "capt", "major", "sgt",
})


def clean_text(value: str) -> str:
    """One line of text: control characters (CR and LF above all) become spaces and runs of
    whitespace collapse, so a name can never start a new header line."""
    return " ".join(_CONTROL.sub(" ", value).split())


def join_names(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (empty items and repeats dropped)."""
    items = list(dict.fromkeys(i for i in items if i))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: Words after a comma that end a name rather than start a forename ("John Smith, Jr.",
#: "Sadia Khan, MBE"): generational suffixes, honours and degrees.
SUFFIXES = frozenset({
    "jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", "v", "esq", "phd",
    "md", "mbe", "obe", "cbe", "kc", "qc", "bem", "dbe", "kbe", "ba", "bsc", "ma", "msc",
    "med", "frcp", "rn",
})


#: Suffixes that are part of the name in a greeting ("Dear Mr Smith Jr."); honours and
#: degrees are not ("Dear Mrs Khan", not "Dear Mrs Khan MBE").
GENERATIONAL = frozenset({"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv",
                          "v"})


def _keeps(suffix: str) -> bool:
    return bool(suffix) and all(w.strip(".").casefold() in GENERATIONAL
                                for w in suffix.replace(",", " ").split())


def _is_suffix(text: str) -> bool:
    words = [w.strip(".").casefold() for w in text.replace(",", " ").split()]
    return bool(words) and all(w in SUFFIXES for w in words)


def _name_parts(full: str) -> tuple[str, str, bool]:
    """``(name, suffix, surname_first)``: the name without a trailing ``, Jr.``-style
    suffix, that suffix, and whether the name is written "Surname, Forename"."""
    full = clean_text(full)
    suffix = ""
    if "," in full:
        head, _, tail = full.rpartition(",")
        if _is_suffix(tail):
            full, suffix = head.strip(), tail.strip()
    surname_first = "," in full
    return full, suffix, surname_first


def split_carer_name(full: str) -> tuple[str, str, str]:
    """``"Mrs Sadia Khan"`` -> (``Mrs``, ``Sadia``, ``Khan``); ``"Khan, Sadia"`` ->
    (``""``, ``Sadia``, ``Khan``); a single word is taken as the surname when a title
    precedes it, else as the forename. A comma is "Surname, Forename" only when what
    follows it is not a suffix: ``Ann "Nan" O'Hara, Jr.`` -> (``""``, ``Ann "Nan"``,
    ``O'Hara Jr.``); honours or degrees after a comma (``, MBE``) are left out."""
    full, suffix, surname_first = _name_parts(full)
    words = full.split()
    surname = ""
    if surname_first:
        last, _, rest = full.partition(",")
        surname, words = last.strip(), rest.replace(",", " ").split()
    title = ""
    if words and words[0].rstrip(".").lower() in TITLES and (surname or len(words) > 1):
        title = words.pop(0)
    if not surname and words:
        if len(words) == 1:
            if title:
                surname, words = words[0], []
            else:
                return "", words[0], suffix
        else:
            surname, words = words[-1], words[:-1]
    if _keeps(suffix) and surname:
        surname = f"{surname} {suffix}"
    return title, " ".join(words), surname


def split_pupil_name(full: str) -> tuple[str, str]:
    """``"Amy Khan"`` or ``"Khan, Amy"`` -> (``Amy``, ``Khan``); a suffix after a comma
    (``"Tom Lee, Jr"``) stays with the surname."""
    full, suffix, surname_first = _name_parts(full)
    if surname_first:
        surname, _, forename = full.partition(",")
        forename, surname = forename.strip(), surname.strip()
    else:
        words = full.split()
        if len(words) <= 1:
            forename, surname = full, ""
        else:
            forename, surname = " ".join(words[:-1]), words[-1]
    if _keeps(suffix):
        surname = f"{surname} {suffix}".strip()
    return forename, surname


def _one(items: tuple[T, ...]) -> T | tuple[T, ...]:
    """A single item as itself, else the tuple (see :class:`Recipient`)."""
    return items[0] if len(items) == 1 else items


class Child(NamedTuple):
    """A pupil named in a recipient's message; empty strings where the list is silent.

    A named tuple (immutable, compared by value), not a frozen dataclass: one is made for
    every row of a list, and a named tuple is made in less than half the time."""

    forename: str
    surname: str = ""
    year: str = ""
    group: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """Identity for de-duplication: the name, case-folded (year/class may differ
        between rows of one export)."""
        return (self.forename.casefold(), self.surname.casefold())

    @property
    def details(self) -> str:
        """``Amy (Year 3, 3K)``, or just ``Amy`` when year and class are unknown; a bare
        year number is written ``Year 3``."""
        year = f"Year {self.year}" if self.year.isdigit() else self.year
        extra = ", ".join(p for p in (year, self.group) if p)
        return f"{self.forename} ({extra})" if extra else self.forename


class Carer(NamedTuple):
    """A parent or carer; any part may be empty when the list does not say.

    ``salutation`` is the export's own ready salutation (``Mr & Mrs Khan``), if any. A
    named tuple, as :class:`Child` is.
    """

    title: str = ""
    forename: str = ""
    surname: str = ""
    salutation: str = ""

    @property
    def known(self) -> bool:
        """True when the list says anything about this carer."""
        return any((self.title, self.forename, self.surname, self.salutation))

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity for de-duplication, case-folded."""
        return (self.title.casefold().rstrip("."), self.forename.casefold(),
                self.surname.casefold(), self.salutation.casefold())

    @property
    def formal(self) -> str:
        """How a letter addresses them: the salutation, else ``Mrs Khan``, else
        ``Sadia Khan``; ``""`` when neither a surname nor a salutation is known."""
        if self.salutation:
            return self.salutation
        if self.surname and self.title:
            return f"{self.title} {self.surname}"
        if self.surname and self.forename:
            return f"{self.forename} {self.surname}"
        return ""

    @property
    def full_name(self) -> str:
        """``Sadia Khan``, else ``Mrs Khan``, else whatever part is known."""
        first = self.forename or self.title
        surname = self.surname
        return f"{first} {surname}" if first and surname else first or surname


_NO_CHILD = ("", "", "", "")  # a Child's four fields, none given


class Recipient:
    """One message's addressee: one unique address (compared case-insensitively).

    Attributes:
        email: the address for the SMTP envelope (RFC 5321) and the ``To`` header: the
            domain in its ASCII (IDNA/punycode) form, e.g. ``info@xn--bcher-kva.example``.
        display_email: the address as first written in the list (Unicode domain kept).
        carers: everyone on the list who shares this address, in list order.
        children: pupils this recipient is listed for, in list order, without repeats.
        lines: list line numbers that fed this recipient (1-based; the header is line 1).
        unnamed_carer: True when a row with this address names no carer, so someone the
            list does not name also reads the message.
        language: BCP 47 tag from the list's language column (the first row with this
            address that gives one), ``""`` when none is given.

    ``carers``, ``children`` and ``lines`` are read as new lists; change them with
    :meth:`add`. A recipient of one row (most of them) keeps its one carer's and one
    pupil's names in its own slots, and its line as a number, with no object or list
    around them: about 350 bytes less a recipient than a list of each (33 MiB of a
    100,000-recipient send).
    """

    __slots__ = ("email", "display_email", "_carers", "_children", "_lines",
                 "unnamed_carer", "language",
                 # the one carer, when ``_carers`` is None (a Carer's four fields)
                 "_title", "_forename", "_surname", "_salutation",
                 # the one pupil, when ``_children`` is None (a Child's four fields)
                 "_pupil", "_pupil_surname", "_year", "_group")

    def __init__(self, email: str, display_email: str, carers: Iterable[Carer] = (),
                 children: Iterable[Child] = (), lines: Iterable[int] = (),
                 unnamed_carer: bool = False, language: str = "") -> None:
        self.email = email
        self.display_email = display_email
        self._set_carers(tuple(carers))
        self._set_children(tuple(children))
        self._lines: int | tuple[int, ...] = _one(tuple(lines))
        self.unnamed_carer = unnamed_carer
        self.language = language

    def _set_carers(self, carers: tuple[Carer, ...]) -> None:
        if len(carers) == 1:
            self._carers: tuple[Carer, ...] | None = None
            self._title, self._forename, self._surname, self._salutation = carers[0]
        else:
            self._carers = carers

    def _set_children(self, children: tuple[Child, ...]) -> None:
        if len(children) == 1:
            self._children: tuple[Child, ...] | None = None
            self._pupil, self._pupil_surname, self._year, self._group = children[0]
        else:
            self._children = children

    @classmethod
    def first(cls, email: str, display_email: str, carer: Carer, child: Child | None,
              line: int, language: str = "") -> Recipient:
        """A recipient made by its first list row: the same as a new ``Recipient`` and
        :meth:`add`, without the checks for repeats a first row cannot have."""
        return cls.from_row(email, display_email, *carer, *(child or _NO_CHILD), line,
                            language)

    @classmethod
    def from_row(cls, email: str, display_email: str, title: str, forename: str,
                 surname: str, salutation: str, pupil: str, pupil_surname: str, year: str,
                 group: str, line: int, language: str = "") -> Recipient:
        """The same as :meth:`first` of ``Carer(title, forename, surname, salutation)``
        and ``Child(pupil, pupil_surname, year, group)`` (no child when ``pupil`` is
        empty), without making either: what the list reader's common rows take."""
        rec = cls.__new__(cls)
        rec.email = email
        rec.display_email = display_email
        known = bool(title or forename or surname or salutation)
        if known:
            rec._carers = None
            rec._title = title
            rec._forename = forename
            rec._surname = surname
            rec._salutation = salutation
        else:
            rec._carers = ()
        if pupil:
            rec._children = None
            rec._pupil = pupil
            rec._pupil_surname = pupil_surname
            rec._year = year
            rec._group = group
        else:
            rec._children = ()
        rec._lines = line
        rec.unnamed_carer = not known
        rec.language = language
        return rec

    @property
    def carers(self) -> list[Carer]:
        """Everyone on the list who shares this address, in list order."""
        c = self._carers
        if c is None:
            return [Carer(self._title, self._forename, self._surname, self._salutation)]
        return list(c)

    @property
    def children(self) -> list[Child]:
        """Pupils this recipient is listed for, in list order, without repeats."""
        c = self._children
        if c is None:
            return [Child(self._pupil, self._pupil_surname, self._year, self._group)]
        return list(c)

    @property
    def lines(self) -> list[int]:
        """List line numbers that fed this recipient."""
        n = self._lines
        return [n] if type(n) is int else list(n)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recipient):
            return NotImplemented
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]

    def _state(self) -> tuple[object, ...]:
        return (self.email, self.display_email, self.carers, self.children, self.lines,
                self.unnamed_carer, self.language)

    def __repr__(self) -> str:
        return (f"Recipient(email={self.email!r}, display_email={self.display_email!r}, "
                f"carers={self.carers!r}, children={self.children!r}, "
                f"lines={self.lines!r}, unnamed_carer={self.unnamed_carer!r}, "
                f"language={self.language!r})")

    def add(self, carer: Carer, child: Child | None, line: int) -> bool:
        """Record that list ``line`` names ``carer`` and ``child`` at this address.

        Returns True when the row added something new (a carer or a child)."""
        if self._carers is None and self._children is None:
            return self._add_to_one(carer, child, line)
        return self._add(carer, child, line)

    def _add_to_one(self, carer: Carer, child: Child | None, line: int) -> bool:
        """:meth:`add` to a recipient of one carer and one pupil (most lists' second row
        of an address: a sibling's), compared with its slots without making a list, a
        set or a key of what it holds when the names are the same strings: a sixth of
        the time (17,000 such rows of a 100,000-row list took 0.16 s)."""
        new = False
        if not carer.known:
            new = not self.unnamed_carer
            self.unnamed_carer = True
        elif carer != (self._title, self._forename, self._surname, self._salutation):
            mine = Carer(self._title, self._forename, self._surname, self._salutation)
            if carer.key != mine.key:
                self._set_carers((mine, carer))
                new = True
        if (child is not None and child.forename
                and child[:2] != (self._pupil, self._pupil_surname)):
            mine_child = Child(self._pupil, self._pupil_surname, self._year, self._group)
            if child.key != mine_child.key:
                self._set_children((mine_child, child))
                new = True
        lines = self._lines
        if type(lines) is int:
            if line != lines:
                self._lines = (lines, line)
        elif line not in lines:  # type: ignore[operator]
            self._lines = (*lines, line)  # type: ignore[misc]
        return new

    def _add(self, carer: Carer, child: Child | None, line: int) -> bool:
        """:meth:`add` in general."""
        new = False
        if not carer.known:
            new = not self.unnamed_carer
            self.unnamed_carer = True
        else:
            carers = self.carers
            if carer.key not in {c.key for c in carers}:
                self._set_carers((*carers, carer))
                new = True
        if child is not None and child.forename:
            children = self.children
            if child.key not in {c.key for c in children}:
                self._set_children((*children, child))
                new = True
        lines = self.lines
        if line not in lines:
            self._lines = _one((*lines, line))
        return new

    @property
    def name(self) -> str:
        """Display name for the ``To`` header: the carers' names joined, or ``""``."""
        c = self._carers
        if c is None:  # one carer (most recipients): join_names of one name, as full_name
            first = self._forename or self._title
            surname = self._surname
            return f"{first} {surname}" if first and surname else first or surname
        return join_names([carer.full_name for carer in c])

    @property
    def children_names(self) -> str:
        """``Amy and Ben``; children sharing a forename are given their full names."""
        forenames = [c.forename.casefold() for c in self.children if c.forename]
        return join_names([
            c.forename if forenames.count(c.forename.casefold()) == 1
            else " ".join(p for p in (c.forename, c.surname) if p)
            for c in self.children if c.forename
        ])

    @property
    def greeting(self) -> str:
        """``Dear Mrs Khan``, ``Dear Mr and Mrs Wilson``, ``Dear Parent/Carer of Amy and
        Ben`` (when any carer sharing the address has no surname or salutation, or is not
        named at all) or ``Dear Parent/Carer``."""
        carers = self.carers
        formal = [c.formal for c in carers]
        if carers and all(formal) and not self.unnamed_carer:
            no_salutations = not any(c.salutation for c in carers)
            if (no_salutations and len(carers) == 2 and all(c.title for c in carers)
                    and carers[0].surname.casefold() == carers[1].surname.casefold()):
                return f"Dear {carers[0].title} and {carers[1].title} {carers[1].surname}"
            unique: dict[str, str] = {}
            for f in formal:
                unique.setdefault(f.casefold(), f)
            return "Dear " + join_names(list(unique.values()))
        if self.children_names:
            return f"Dear Parent/Carer of {self.children_names}"
        return "Dear Parent/Carer"

    @property
    def addressee(self) -> str:
        """Who a greeting in another language may name: the one carer at this address as a
        letter addresses them (``Mrs Khan``), or ``""`` when the address is shared or the
        list does not give a formal name (the language's plural greeting is used then)."""
        if len(self.carers) == 1 and not self.unnamed_carer:
            return self.carers[0].formal
        return ""

    def fields(self) -> dict[str, str]:
        """The personal template fields (see :data:`mailer.render.PERSONAL_FIELDS`);
        ``""`` means the list does not say. ``title``/``forename``/``surname`` are the
        first named carer's. ``addressee`` and ``language`` are not template fields: the
        one is what a greeting in another language may name (see
        :meth:`mailer.render.Rendered.localise`), the other picks the message's language
        (see :class:`mailer.language_plan.LanguageComposer`)."""
        first = next((c for c in self.carers if c.forename or c.surname), None)
        first = first or (self.carers[0] if self.carers else Carer())
        return {
            "greeting": self.greeting,
            "email": self.display_email,
            "name": self.name,
            "title": first.title,
            "forename": first.forename,
            "surname": first.surname,
            "children": self.children_names,
            "children_details": join_names([c.details for c in self.children if c.forename]),
            "addressee": self.addressee,
            "language": self.language,
        }
