"""Pure: engagement figures per period from the rollup counters (see docs/analytics.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from stride.analytics.periods import Kind, period_end, periods_between


@dataclass(frozen=True, slots=True)
class Counts:
    """Counters of one period and group, as the analytics projection keeps them."""

    learners: int = 0
    new_learners: int = 0
    continuing: int = 0
    events: int = 0
    active_ms: int = 0
    sessions: int = 0


@dataclass(frozen=True, slots=True)
class EngagementPoint:
    period_start: date
    period_end: date
    complete: bool  # the period ended before today
    active_learners: int  # distinct learners active in the period (DAU for a day)
    dau: float  # daily active learners, averaged over the period's days in range
    wau: int  # distinct learners active in the 7 days ending on the period's last day
    mau: int  # ... in the 30 days ending on it
    stickiness: float | None  # dau / mau
    events: int
    sessions: int
    sessions_per_learner: float | None
    session_length_ms: float | None  # time invested / sessions
    time_invested_ms: int
    time_per_learner_ms: float | None


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def engagement_series(
    kind: Kind,
    first: date,
    last: date,
    today: date,
    periods: Mapping[date, Counts],
    daily_learners: Mapping[date, int],
    wau: Mapping[date, int],
    mau: Mapping[date, int],
) -> list[EngagementPoint]:
    """One point per period from `first` to `last` (both days, clipped to the range).

    `periods` are the counters of the period kind; `daily_learners` the day counters'
    learners; `wau`/`mau` the rolling counts on each day of the range.
    """
    points = []
    for start in periods_between(first, last, kind):
        end = period_end(start, kind)
        shown_last = min(end, last)
        counts = periods.get(start, Counts())
        days = [
            max(start, first) + timedelta(days=i)
            for i in range((shown_last - max(start, first)).days + 1)
        ]
        dau = sum(daily_learners.get(day, 0) for day in days) / len(days)
        month = mau.get(shown_last, 0)
        points.append(
            EngagementPoint(
                period_start=start,
                period_end=end,
                complete=end < today,
                active_learners=counts.learners,
                dau=dau,
                wau=wau.get(shown_last, 0),
                mau=month,
                stickiness=_ratio(dau, month),
                events=counts.events,
                sessions=counts.sessions,
                sessions_per_learner=_ratio(counts.sessions, counts.learners),
                session_length_ms=_ratio(counts.active_ms, counts.sessions),
                time_invested_ms=counts.active_ms,
                time_per_learner_ms=_ratio(counts.active_ms, counts.learners),
            )
        )
    return points


def group_size(points: Iterable[EngagementPoint]) -> int:
    """The size a group is judged by for suppression: the most distinct learners it had
    active in one period or in 30 days ending in the range (a lower bound of its learners)."""
    return max((max(p.active_learners, p.mau) for p in points), default=0)
