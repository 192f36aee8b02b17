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
from email.utils import getaddresses
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

_SEPARATORS = re.compile(r"[;,\r\n]+")


@dataclass(frozen=True)
class Address:
    """A valid address.

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


def split_cell(cell: str) -> list[str]:
    """The addresses written in one cell: separated by ``;``, ``,`` or line breaks, or
    given as ``Name <addr>``; a ``mailto:`` prefix is dropped. Empty pieces are skipped.
    Pieces holding several ``@`` separated by spaces are split on the spaces."""
    cell = cell.strip()
    if not cell:
        return []
    if "<" in cell and ">" in cell:
        found = [addr for _, addr in getaddresses([cell.replace(";", ",")]) if addr]
        if found:
            return found
    out: list[str] = []
    for piece in _SEPARATORS.split(cell):
        piece = piece.strip().strip("'\"").strip()
        if piece.lower().startswith("mailto:"):
            piece = piece[7:]
        if not piece:
            continue
        words = piece.split()
        if len(words) > 1 and sum("@" in w for w in words) > 1:
            out.extend(words)
        else:
            out.append(piece)
    return out


#: Plain ASCII addresses (dot-atom local part of common characters, LDH domain labels):
#: most of any school's list. For these only the domain needs email-validator's checks
#: (special-use names, label rules), and domains repeat, so that check is cached.
SIMPLE_ADDRESS = re.compile(
    r"([A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


@lru_cache(maxsize=4096)
def _domain_problem(domain: str) -> str:
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
    if "?" in text:
        return ("it contains '?', which is where Excel puts a letter it could not save; "
                "correct the address")
    simple = SIMPLE_ADDRESS.fullmatch(text)
    if simple and len(simple.group(1)) <= 64 and len(text) <= 254:
        problem = _domain_problem(simple.group(2).lower())
        if problem:
            return problem
        email = f"{simple.group(1)}@{simple.group(2).lower()}"
        return _address(text if email == text else email, text)
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
