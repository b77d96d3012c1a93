"""Calendar periods (UTC days, ISO weeks from Monday, months) of a data-quality report (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from stride.errors import FieldError, InvalidInput

Period = Literal["day", "week", "month"]
MAX_DAYS = 366  # the longest range one report covers
MAX_DAILY_DAYS = 92  # ... and with one period per day
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)  # days a report may name
DEFAULT_SPAN: dict[str, int] = {"day": 30, "week": 12, "month": 12}  # periods up to `to`


def period_start(day: date, period: Period) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(start: date, period: Period) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(weeks=1)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def resolve_range(
    period: Period, first: date | None, last: date | None, today: date
) -> tuple[date, date]:
    """The first and last day (inclusive) a report covers.

    `last` defaults to today, `first` to the start of the period DEFAULT_SPAN periods back.
    Raises InvalidInput when `first` follows `last`, the range is longer than MAX_DAYS
    (MAX_DAILY_DAYS by day) or a day lies outside EARLIEST..LATEST.
    """
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise InvalidInput(
                f"`{name}` must lie between {EARLIEST} and {LATEST}.",
                [FieldError(name, f"must lie between {EARLIEST} and {LATEST}")],
            )
    last = last or today
    if first is None:
        first = period_start(last, period)
        for _ in range(DEFAULT_SPAN[period] - 1):
            first = period_start(first - timedelta(days=1), period)
    if first > last:
        raise InvalidInput(
            "`from` must not follow `to`.", [FieldError("from", "must be on or before `to`")]
        )
    longest = MAX_DAILY_DAYS if period == "day" else MAX_DAYS
    if (last - first).days + 1 > longest:
        raise InvalidInput(
            f"A report by {period} covers at most {longest} days.",
            [FieldError("from", f"at most {longest - 1} days before `to` (period {period})")],
        )
    return first, last


def periods_of(first: date, last: date, period: Period) -> list[date]:
    """The starts of the periods that days first..last fall in, in order."""
    starts = []
    start = period_start(first, period)
    while start <= last:
        starts.append(start)
        start = next_period(start, period)
    return starts
