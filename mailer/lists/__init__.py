"""Parent/carer lists: reading (CSV, YAML), column mapping, validation, de-duplication,
row fates, greetings and summaries.

Modules: :mod:`~mailer.lists.decode` (bytes to text), :mod:`~mailer.lists.table` (text
to rows), :mod:`~mailer.lists.columns` (which column is what), :mod:`~mailer.lists.
addresses` (validation), :mod:`~mailer.lists.people` (recipients and greetings),
:mod:`~mailer.lists.filters` (``--where``), :mod:`~mailer.lists.suppression`,
:mod:`~mailer.lists.reader` (:func:`read_list`), :mod:`~mailer.lists.report` (fates) and
:mod:`~mailer.lists.summary` (what the CLI prints).
"""

from mailer.lists.columns import COLUMN_ALIASES, FIELDS, ColumnMap, map_columns
from mailer.lists.people import Carer, Child, Recipient
from mailer.lists.reader import read_list
from mailer.lists.report import Fate, ListReport, RowOutcome
from mailer.lists.summary import require_recipients, summary_json, summary_text
from mailer.lists.suppression import Suppression, read_suppression

__all__ = [
    "COLUMN_ALIASES", "FIELDS", "Carer", "Child", "ColumnMap", "Fate", "ListReport",
    "Recipient", "RowOutcome", "Suppression", "map_columns", "read_list", "read_suppression",
    "require_recipients", "summary_json", "summary_text",
]
