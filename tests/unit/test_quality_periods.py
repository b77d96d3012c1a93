"""Periods and ranges of a data-quality report."""

from __future__ import annotations

from datetime import date

import pytest

from stride.analytics.quality_periods import (
    next_period,
    period_start,
    periods_of,
    resolve_range,
)
from stride.errors import InvalidInput

TODAY = date(2026, 11, 23)  # a Monday


def test_period_starts() -> None:
    assert period_start(date(2026, 11, 29), "week") == date(2026, 11, 23)
    assert period_start(date(2026, 11, 29), "month") == date(2026, 11, 1)
    assert next_period(date(2026, 12, 1), "month") == date(2027, 1, 1)
    assert periods_of(date(2026, 1, 31), date(2026, 3, 1), "month") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_default_ranges_end_today() -> None:
    assert resolve_range("day", None, None, TODAY) == (date(2026, 10, 25), TODAY)
    assert resolve_range("week", None, None, TODAY) == (date(2026, 9, 7), TODAY)
    assert resolve_range("month", None, None, TODAY) == (date(2025, 12, 1), TODAY)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 11, 24), TODAY),  # reversed
        (date(2025, 11, 22), TODAY),  # 367 days
        (date(2026, 8, 23), TODAY),  # 93 days, by day
        (date(1969, 12, 31), date(1970, 1, 2)),
        (None, date(9999, 12, 31)),
    ],
)
def test_bad_ranges_are_refused(first: date | None, last: date) -> None:
    with pytest.raises(InvalidInput):
        resolve_range("day", first, last, TODAY)


def test_weeks_and_months_cover_up_to_a_year() -> None:
    assert resolve_range("week", date(2025, 11, 23), TODAY, TODAY)[0] == date(2025, 11, 23)
    assert resolve_range("day", date(2026, 8, 24), TODAY, TODAY)[0] == date(2026, 8, 24)
