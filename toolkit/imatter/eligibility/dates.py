"""Calendar arithmetic for the rules: anniversaries and plain-English durations."""

from __future__ import annotations

import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day N months later (clamped to the month's end: 31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def add_years(day: dt.date, years: int) -> dt.date:
    """The anniversary N years later (29 Feb becomes 28 Feb in other years)."""
    return add_months(day, 12 * years)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (0 if end is before start)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def describe_months(months: int) -> str:
    """'1 year 9 months', '2 years', '5 months', '0 months'."""
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if rest or not years:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)
