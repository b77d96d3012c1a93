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


def compute_streak_with_freezes(
    days: Iterable[date], freezes_per_month: int
) -> tuple[Streak, tuple[date, ...]]:
    """Streak of a whole set of active days where freezes bridge single missed days.

    A missed day between two active days is frozen (the run goes on) while the allowance of
    the missed day's calendar month lasts; freezes go to the earliest gaps first. A frozen day
    keeps the run alive but does not lengthen it. Returns the streak and the frozen days.
    """
    used: dict[tuple[int, int], int] = {}
    frozen: list[date] = []
    longest = run = 0
    previous: date | None = None
    for day in sorted(set(days)):
        gap = (day - previous).days if previous is not None else 0
        missed = day - timedelta(days=1)
        month = (missed.year, missed.month)
        if gap == 1:
            run += 1
        elif gap == 2 and used.get(month, 0) < freezes_per_month:
            used[month] = used.get(month, 0) + 1
            frozen.append(missed)
            run += 1
        else:
            run = 1
        longest = max(longest, run)
        previous = day
    return Streak(longest=longest, last_run=run, last_day=previous), tuple(frozen)


def may_need_freeze(last_day: date | None, new_days: Iterable[date]) -> bool:
    """Whether adding `new_days` after `last_day` leaves a single missed day a freeze could
    bridge: then `extend_streak` is not enough and the caller recomputes with freezes."""
    previous = last_day
    for day in sorted(set(new_days)):
        if previous is not None and (day - previous).days == 2:
            return True
        previous = day
    return False


def current_with_freeze(
    streak: Streak, today: date, frozen_days: Iterable[date], freezes_per_month: int
) -> int:
    """The current streak, also alive when only yesterday is missing and yesterday's month
    still has a freeze: activity today would bridge it."""
    current = streak.current(today)
    yesterday = today - timedelta(days=1)
    if current or streak.last_day != today - timedelta(days=2):
        return current
    used = sum(1 for d in frozen_days if (d.year, d.month) == (yesterday.year, yesterday.month))
    return streak.last_run if used < freezes_per_month else 0
