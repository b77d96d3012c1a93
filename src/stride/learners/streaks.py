"""A learner's streak as shown: current (a pending freeze keeps it alive), longest, freezes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from stride.ingest.streak_freezes import freezes_per_month
from stride.learners.views import StreakView
from stride.progress.learner import LearnerStats
from stride.progress.streaks import current_with_freeze
from stride.store.goals import frozen_days_of


def streak_view(
    connection: Connection, tenant_id: str, stats: LearnerStats, today: date
) -> StreakView:
    """The streak on `today` (the learner's local day), with this month's freezes."""
    allowance = freezes_per_month(connection, tenant_id)
    if not allowance:
        current = stats.streak.current(today)
        return StreakView(current, stats.streak.longest, 0, 0, 0, ())
    frozen = frozen_days_of(connection, tenant_id, [stats.learner_key]).get(stats.learner_key, [])
    this_month = tuple(d for d in frozen if (d.year, d.month) == (today.year, today.month))
    current = current_with_freeze(stats.streak, today, frozen, allowance)
    used = len(this_month)
    return StreakView(
        current, stats.streak.longest, allowance, used, max(allowance - used, 0), this_month
    )
