"""Dates as an office writes them in an advisory (``date:``, ``reviewed:``): ISO 8601
``YYYY-MM-DD``, and, when one is not a real day, the reason in words.

``datetime.date.fromisoformat`` says only "day is out of range for month" for
``2026-02-31``; a person needs to hear that February 2026 has 28 days.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class NotADate(ValueError):
    """``text`` is not a date. ``reason`` is ``""`` when it is not written as
    ``YYYY-MM-DD`` at all, else why the written date is not a real day (``February 2026
    has 28 days``)."""

    def __init__(self, text: str, reason: str = "") -> None:
        super().__init__(reason or f"'{text}' is not written as YYYY-MM-DD")
        self.text = text
        self.reason = reason


def parse_date(text: str) -> dt.date:
    """The date ``text`` (ISO 8601, as :meth:`datetime.date.fromisoformat` reads it:
    ``2026-02-28``; surrounding spaces ignored).

    Raises:
        NotADate: with ``reason`` set when it has the shape ``YYYY-MM-DD`` but no such
            day exists: a month outside 01-12, day 00, or a day past the month's end
            (leap years by the Gregorian calendar, :func:`calendar.monthrange`).
    """
    value = text.strip()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    match = _YMD.fullmatch(value)
    if match is None:
        raise NotADate(value)
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise NotADate(value, f"there is no month {match.group(2)} (months go from 01 to 12)")
    if year < 1:
        raise NotADate(value, "there is no year 0000")
    if day < 1:
        raise NotADate(value, f"there is no day {match.group(3)} (days start at 01)")
    days = calendar.monthrange(year, month)[1]
    name = calendar.month_name[month]
    if day > days:
        raise NotADate(value, f"{name} {year} has {days} days")
    raise NotADate(value)
