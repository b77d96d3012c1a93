"""Reporting ranges: whole periods covering [from, to], with defaults and bounds (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from stride.analytics.usage_fold import next_period, period_start
from stride.errors import FieldError, InvalidInput

MAX_PERIODS = {"day": 731, "week": 260, "month": 120}
DEFAULT_SPAN = {"day": 30, "week": 7 * 12, "month": 365}
# Dates a report may name: far enough either way for any learning record, and clear of the
# calendar's ends, where period arithmetic would overflow.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Range:
    period: str
    start: date  # first day of the first period
    end: date  # day after the last period

    def starts(self) -> list[date]:
        found, current = [], self.start
        while current < self.end:
            found.append(current)
            current = next_period(current, self.period)
        return found


def report_range(period: str, first: date | None, last: date | None, today: date) -> Range:
    """Whole periods from the one holding `first` to the one holding `last` (both inclusive).

    Raises InvalidInput (field `from`) when `from` is after `to` or the range holds more than
    MAX_PERIODS periods.
    """
    if period not in MAX_PERIODS:
        raise InvalidInput("Unknown period.", [FieldError("query.period", "day, week or month")])
    for name, value in (("from", first), ("to", last)):
        if value is not None and not EARLIEST <= value <= LATEST:
            reason = f"must lie between {EARLIEST} and {LATEST}"
            raise InvalidInput(f"`{name}` is out of range.", [FieldError(f"query.{name}", reason)])
    last = last or today
    first = first or last - timedelta(days=DEFAULT_SPAN[period] - 1)
    if first > last:
        raise InvalidInput(
            "`from` is after `to`.", [FieldError("query.from", "must be on or before `to`")]
        )
    start = period_start(first, period)
    end = next_period(period_start(last, period), period)
    span = Range(period, start, end)
    if len(span.starts()) > MAX_PERIODS[period]:
        reason = f"at most {MAX_PERIODS[period]} {period}s per request"
        raise InvalidInput("The range is too long.", [FieldError("query.from", reason)])
    return span
