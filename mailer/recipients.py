"""Compatibility module: the list side lives in :mod:`mailer.lists`.

``from mailer.recipients import Recipient, ListReport, read_list`` keeps working.
"""

from pathlib import Path

from mailer.lists import (
    COLUMN_ALIASES,
    Carer,
    Child,
    Fate,
    ListReport,
    Recipient,
    RowOutcome,
    read_list,
)
from mailer.lists.decode import decode_list_bytes

__all__ = [
    "COLUMN_ALIASES", "Carer", "Child", "Fate", "ListReport", "Recipient", "RowOutcome",
    "decode_bytes", "decode_list_bytes", "read_list",
]


def decode_bytes(raw: bytes, path: Path) -> str:
    """The text of a list file's bytes; see :func:`mailer.lists.decode.decode_list_bytes`.

    Raises:
        mailer.errors.ListError: naming the line of the first byte that cannot be read.
    """
    return decode_list_bytes(raw, path).text
