"""Calendar periods of local days (day, ISO week from Monday, calendar month), as integers.

Pure. A period is numbered so that consecutive periods differ by one: a day by its proleptic
ordinal, a week by the ordinal of its Monday divided by 7, a month by `year * 12 + month - 1`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, get_args

Kind = Literal["day", "week", "month"]
KINDS: tuple[Kind, ...] = get_args(Kind)


def period_index(day: date, kind: Kind) -> int:
    """The number of the period `day` falls in."""
    if kind == "day":
        return day.toordinal()
    if kind == "week":
        return (day.toordinal() - 1) // 7  # date(1, 1, 1), ordinal 1, was a Monday
    return day.year * 12 + day.month - 1


def index_start(index: int, kind: Kind) -> date:
    """The first day of period number `index`."""
    if kind == "day":
        return date.fromordinal(index)
    if kind == "week":
        return date.fromordinal(index * 7 + 1)
    return date(index // 12, index % 12 + 1, 1)


def period_start(day: date, kind: Kind) -> date:
    """The first day of the period `day` falls in (itself, its Monday, the 1st)."""
    return index_start(period_index(day, kind), kind)


def period_end(start: date, kind: Kind) -> date:
    """The last day of the period that starts on `start`."""
    return index_start(period_index(start, kind) + 1, kind) - timedelta(days=1)


def shift(start: date, kind: Kind, periods: int) -> date:
    """The start of the period `periods` after (or before, when negative) `start`'s."""
    return index_start(period_index(start, kind) + periods, kind)


def periods_between(first: date, last: date, kind: Kind) -> list[date]:
    """Starts of every period from the one holding `first` to the one holding `last`."""
    low, high = period_index(first, kind), period_index(last, kind)
    return [index_start(i, kind) for i in range(low, high + 1)]


def count_periods(first: date, last: date, kind: Kind) -> int:
    return period_index(last, kind) - period_index(first, kind) + 1
