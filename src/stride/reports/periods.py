"""Report periods: the calendar week (Monday to Sunday) or month a report covers (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from stride.analytics.periods import period_end, period_start, shift
from stride.errors import FieldError, InvalidInput

ReportKind = Literal["week", "month"]
# Dates a report may name: clear of the calendar's ends, where period arithmetic overflows.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class ReportPeriod:
    kind: ReportKind
    start: date
    end: date  # inclusive
    complete: bool  # the period ended before today

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def resolve_period(
    kind: ReportKind, end: date | None, today: date
) -> tuple[ReportPeriod, ReportPeriod]:
    """The period holding `end` (default: the last full period before `today`'s) and the one
    before it. Raises InvalidInput (field `end`) for a date outside EARLIEST..LATEST."""
    if end is not None and not EARLIEST <= end <= LATEST:
        raise InvalidInput(
            f"`end` must lie between {EARLIEST} and {LATEST}.",
            [FieldError("query.end", "out of range")],
        )
    start = (
        period_start(end, kind) if end is not None else shift(period_start(today, kind), kind, -1)
    )
    before = shift(start, kind, -1)
    return _period(kind, start, today), _period(kind, before, today)


def _period(kind: ReportKind, start: date, today: date) -> ReportPeriod:
    last = period_end(start, kind)
    return ReportPeriod(kind, start, last, last < today)


def change(value: float | None, previous: float | None) -> float | None:
    """Relative change from `previous` to `value`; None when either is missing or previous 0."""
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / previous
