"""The vectorised calendar arithmetic agrees with the scalar one (month ends, leap days)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from imatter.eligibility.bulk import add_months_np, months_between_np
from imatter.eligibility.dates import add_months, add_years, describe_months, months_between

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


@given(st.lists(days, min_size=1, max_size=30), st.integers(0, 60))
def test_add_months_matches(values, months):
    got = add_months_np(np.array(values, dtype="datetime64[D]"), months)
    assert [d.item() for d in got] == [add_months(v, months) for v in values]


@given(st.lists(st.tuples(days, days), min_size=1, max_size=30))
def test_months_between_matches(pairs):
    start = np.array([a for a, _ in pairs], dtype="datetime64[D]")
    end = np.array([b for _, b in pairs], dtype="datetime64[D]")
    assert list(months_between_np(start, end)) == [months_between(a, b) for a, b in pairs]


def test_leap_day_anniversary_and_wording():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert months_between(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 1
    assert describe_months(21) == "1 year 9 months"
    assert describe_months(24) == "2 years"
    assert describe_months(1) == "1 month"
