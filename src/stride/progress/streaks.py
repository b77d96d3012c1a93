"""Streaks: runs of consecutive local days with activity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Streak:
    """The longest run, and the run that ends on the last active day."""

    longest: int
    last_run: int
    last_day: date | None

    def current(self, today: date) -> int:
        """The streak still alive today: it may end today or yesterday (today is not over)."""
        if self.last_day is None or self.last_day < today - timedelta(days=1):
            return 0
        return self.last_run


NO_STREAK = Streak(longest=0, last_run=0, last_day=None)


def compute_streak(days: Iterable[date]) -> Streak:
    """Streak of a whole set of active days."""
    longest = run = 0
    previous: date | None = None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return Streak(longest=longest, last_run=run, last_day=previous)


def extend_streak(streak: Streak, new_days: Iterable[date]) -> Streak | None:
    """Add days that were not active before; None when one lies before the last active day.

    Activity usually arrives in time order, so this avoids reading a learner's whole history;
    the caller falls back to `compute_streak` over all days when it returns None.
    """
    longest, run, last = streak.longest, streak.last_run, streak.last_day
    for day in sorted(set(new_days)):
        if last is not None and day <= last:
            return None
        run = run + 1 if last is not None and day - last == timedelta(days=1) else 1
        longest = max(longest, run)
        last = day
    return Streak(longest=longest, last_run=run, last_day=last)
