"""Email addresses in a list cell: split, validate offline, normalise.

Validation uses ``email-validator`` without DNS (``check_deliverability=False``): the
syntax of RFC 5322 §3.4.1 / RFC 5321 §4.1.2 and internationalised domains (IDNA 2008,
RFC 5891), which are converted to their ASCII form for the SMTP envelope. An address
whose part before the ``@`` is not ASCII needs SMTPUTF8 (RFC 6531), which school mail
servers cannot be relied on to offer, so it is refused with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email

#: Characters no address cell may hold: control characters (a line break in a cell could
#: start a new SMTP command or header) and Unicode line separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: ``Name <address>``, the one shape with angle brackets an export writes: a display name
#: without ``@``, ``<`` or ``>``, then one bracketed address, then nothing.
_NAME_ADDR = re.compile(r'"?(?P<name>[^<>@"]*)"?\s*<(?P<addr>[^<>\s]+)>')
#: A cell of address characters only (no separator, quote, bracket or space): one piece.
PLAIN_CELL = re.compile(r"[A-Za-z0-9._%+\-@]+")
#: Separators between whole addresses inside one ``;``-separated part.
_SOFT_SEPARATORS = re.compile(r"[,/\s]+")


class Address(NamedTuple):
    """A valid address (a named tuple: made for every row of a list, it is built several
    times faster than a frozen dataclass).

    Attributes:
        email: the form to send to: local part as written, domain lower-case ASCII
            (punycode for an internationalised domain).
        display: the address as written in the list (Unicode domain kept), trimmed.
        key: the de-duplication key: ``email`` case-folded (addresses are compared
            case-insensitively, as schools' lists mix cases freely).
    """

    email: str
    display: str
    key: str


@dataclass(frozen=True)
class CellReading:
    """What one address cell holds.

    Attributes:
        pieces: the addresses to check one by one (``[]`` for an empty cell, or when
            ``problem`` is set).
        problem: when the cell holds anything but addresses (a line break, angle brackets
            around more than an address, words), the reason the whole cell is refused;
            else ``""``.
    """

    pieces: list[str]
    problem: str = ""


#: Characters that do not show on screen but end up in addresses copied from web pages,
#: Word or PDFs: zero-width spaces and joiners, the word joiner, soft hyphen, BOM.
INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


def as_typed(cell: str) -> str:
    """``cell`` trimmed, with control characters made visible (``\\r``, ``\\n``,
    ``\\t``, ``\\x00``), so a report quotes it as typed on one line."""
    def show(m: re.Match[str]) -> str:
        ch = m.group()
        return {"\r": "\\r", "\n": "\\n", "\t": "\\t"}.get(ch, f"\\x{ord(ch):02x}"
                                                       if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return INVISIBLE.sub(show, _CONTROL.sub(show, cell.strip()))


def _unwrap(piece: str) -> str:
    piece = piece.strip().strip("'\"").strip()
    if piece.lower().startswith("mailto:"):
        piece = piece[7:].strip()
    return piece


def read_cell(cell: str) -> CellReading:
    """The addresses in one list cell.

    A cell may hold one address, or several separated by ``;`` (Outlook's and the MIS
    exports' separator); inside a ``;``-part, ``,``, ``/`` or spaces also separate
    addresses, but only when every piece is a whole valid address. ``Name <address>``,
    a ``mailto:`` prefix and quotes around an address are accepted. Anything else (a line
    break, stray ``<``/``>``, words, ``mark.jones@example,com``) makes the whole cell a
    problem, never extra recipients: an address cell must not smuggle a second address
    or an SMTP command past the check.
    """
    text = cell.strip()
    if not text:
        return CellReading([])
    if PLAIN_CELL.fullmatch(text):  # most cells: one address, nothing else
        return CellReading([text])
    if _CONTROL.search(text):
        return CellReading([], "the cell holds a line break (or another control "
                               "character) as well as the address; write one address per "
                               "cell, or several separated by ';'")
    pieces: list[str] = []
    for part in text.split(";"):
        part = _unwrap(part)
        if not part:
            continue
        if "<" in part or ">" in part:
            m = _NAME_ADDR.fullmatch(part)
            if not m:
                return CellReading([], "the cell holds '<' or '>' as well as an address; "
                                       "write only the address")
            addr = _unwrap(m.group("addr"))
            if not isinstance(check_address(addr), Address):
                return CellReading([], "the cell holds '<' or '>' around something that is "
                                       "not an address; write only the address")
            pieces.append(addr)
            continue
        subs = [_unwrap(s) for s in _SOFT_SEPARATORS.split(part)]
        subs = [s for s in subs if s]
        if len(subs) <= 1:
            pieces.append(part)
        elif all(isinstance(check_address(s), Address) for s in subs):
            pieces.extend(subs)
        else:
            return CellReading([], _junk_reason(part))
    return CellReading(pieces)


def _junk_reason(part: str) -> str:
    """Why a ``;``-part that does not split into whole addresses is refused."""
    if part.count("@") == 1:
        if "," in part and "@" in part.split(",")[0] and " " not in part.strip():
            return "it has a ',' where an address has none (a '.' typed as ','?)"
        if "/" in part and " " not in part:
            return "it has a '/' where an address has none"
        found = check_address(part)
        if not isinstance(found, Address):
            if " " in part.strip():
                return ("it has words or spaces as well as the address; write only the "
                        "address")
            return found
    return ("the cell holds other text as well as addresses; write only the address, or "
            "several separated by ';'")


def split_cell(cell: str) -> list[str]:
    """The addresses of :func:`read_cell`, ``[]`` when the cell is refused (kept for
    callers that only need the pieces)."""
    return read_cell(cell).pieces


#: Plain ASCII addresses (dot-atom local part of common characters, LDH domain labels):
#: most of any school's list. For these only the domain needs email-validator's checks
#: (special-use names, label rules), and domains repeat, so that check is cached.
_SIMPLE_LOCAL = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
_SIMPLE_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
SIMPLE_ADDRESS = re.compile(rf"({_SIMPLE_LOCAL})@({_SIMPLE_DOMAIN})")
#: The two halves of :data:`SIMPLE_ADDRESS`, for a reader that checks each domain once.
SIMPLE_LOCAL_PART = re.compile(_SIMPLE_LOCAL)
SIMPLE_DOMAIN = re.compile(_SIMPLE_DOMAIN)


@lru_cache(maxsize=4096)
def domain_problem(domain: str) -> str:
    """email-validator's verdict on ``domain`` (lower-case ASCII): ``""`` when valid."""
    try:
        validate_email(f"a@{domain}", check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        return str(exc)
    return ""


def check_address(text: str) -> Address | str:
    """Validate one address offline (same verdict as :func:`validate_address_fully`,
    faster for plain ASCII addresses, whose domain check is cached).

    Returns:
        an :class:`Address`, or the reason (one sentence) it cannot be sent to.
    """
    # A simple address holds neither '?' nor an invisible character (its characters are
    # a few ASCII ones), so it skips those two tests.
    simple = SIMPLE_ADDRESS.fullmatch(text)
    if simple and len(simple.group(1)) <= 64 and len(text) <= 254:
        domain = simple.group(2)
        lower = domain.lower()
        problem = domain_problem(lower)
        if problem:
            return problem
        return _address(text if lower == domain else f"{simple.group(1)}@{lower}", text)
    if "?" in text:
        return ("it contains '?', which is where Excel puts a letter it could not save; "
                "correct the address")
    if INVISIBLE.search(text):
        return ("it holds an invisible character (such as a zero-width space, which copying "
                "from a web page, Word or a PDF can add); type the address again")
    return validate_address_fully(text)


def validate_address_fully(text: str) -> Address | str:
    """Validate one address with email-validator (RFC 5322/5321 syntax, IDNA 2008 domains,
    no DNS, no SMTPUTF8). Returns an :class:`Address` or the reason it is refused."""
    try:
        valid = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        reason = str(exc)
        if "before the @-sign are not supported" in reason:
            reason = (f"{reason.rstrip('.')}: addresses with such letters before the @ "
                      "cannot be sent through most school mail servers.")
        return reason
    email = valid.ascii_email or valid.normalized
    return _address(email, text.strip())


def _address(email: str, display: str) -> Address:
    """An :class:`Address`; equal strings are shared (one copy per recipient of a large
    list, not three)."""
    if email == display:
        email = display
    key = email.casefold()
    return Address(email=email, display=display, key=email if key == email else key)
