"""Compatibility module: the list side lives in :mod:`mailer.lists`.

``from mailer.recipients import Recipient, ListReport, read_list`` keeps working.
"""

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
    "decode_list_bytes", "read_list",
]
