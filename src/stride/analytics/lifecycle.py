"""Pure: lifecycle of active learners per period (new, returning, resurrecting, dormant)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from stride.analytics.engagement import Counts
from stride.analytics.periods import Kind, period_end, periods_between, shift


@dataclass(frozen=True, slots=True)
class LifecyclePoint:
    period_start: date
    period_end: date
    complete: bool
    active: int
    new: int  # first active period ever
    returning: int  # active in this period and in the one before
    resurrecting: int  # active now, not in the period before, but in some earlier one
    dormant: int  # active in the period before, not in this one (a positive count)


def lifecycle_series(
    kind: Kind, first: date, last: date, today: date, counts: Mapping[date, Counts]
) -> list[LifecyclePoint]:
    """Points from the period holding `first` to the one holding `last`; `counts` must hold
    the period before the first too (for `dormant`)."""
    points = []
    for start in periods_between(first, last, kind):
        now = counts.get(start, Counts())
        before = counts.get(shift(start, kind, -1), Counts())
        points.append(
            LifecyclePoint(
                period_start=start,
                period_end=period_end(start, kind),
                complete=period_end(start, kind) < today,
                active=now.learners,
                new=now.new_learners,
                returning=now.continuing,
                resurrecting=now.learners - now.new_learners - now.continuing,
                dormant=before.learners - now.continuing,
            )
        )
    return points
