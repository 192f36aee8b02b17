"""The suppression list: addresses that asked not to receive these messages.

A text file (``lists/suppressed.txt`` by default, ``lists.suppression`` in
``mailer.yaml``), one address a line; ``#`` starts a comment; a line may also be
``Name <address>`` or a CSV line whose first address is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mailer.errors import ListError
from mailer.lists.addresses import Address, check_address
from mailer.lists.decode import decode_list_bytes

_ADDRESS = re.compile(r"[^\s,;<>\"']+@[^\s,;<>\"']+")


@dataclass
class Suppression:
    """Addresses not to send to.

    Attributes:
        path: the file read, or ``None`` when there is none.
        keys: de-duplication keys (see :class:`mailer.lists.addresses.Address`).
        warnings: lines that hold no address.
    """

    path: Path | None = None
    keys: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def suppression_key(text: str) -> str:
    """The key an address is compared by: its normalised form case-folded, or the
    trimmed text case-folded when it is not a valid address."""
    found = check_address(text.strip())
    return found.key if isinstance(found, Address) else text.strip().casefold()


def read_suppression(path: Path, required: bool = False) -> Suppression:
    """Read the suppression file at ``path``; a missing file is an empty list unless
    ``required`` (a path the user configured).

    Raises:
        ListError: when a required file is missing, or the file cannot be read/decoded.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ListError(
                "the suppression list set in mailer.yaml (lists.suppression) does not exist. "
                "Create it (it may be empty) or correct the path; nothing was sent.",
                path=path,
            ) from None
        return Suppression()
    except OSError as exc:
        raise ListError(
            f"the suppression list cannot be read ({exc.strerror}).", path=path
        ) from None
    out = Suppression(path=path)
    text = decode_list_bytes(raw, path).text
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = _ADDRESS.search(line)
        if match is None:
            out.warnings.append(f"{path.name}, line {number}: no address, ignored.")
            continue
        out.keys.add(suppression_key(match.group(0)))
    return out
