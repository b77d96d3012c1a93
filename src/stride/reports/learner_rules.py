"""The rules of a learner report, on plain figures (pure): streaks and standings as of a day,
improvements, stalled skills and the goals suggested for the next period."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from statistics import median

from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.goals import week_of
from stride.progress.streaks import compute_streak, compute_streak_with_freezes, current_with_freeze
from stride.reports.periods import ReportPeriod

# A skill "rose" when its mastery gained at least this much over the period, and "stalled"
# when it was practised in the period, stayed below the threshold and gained less than this.
RISE_MARGIN = 0.01
# Weeks the suggested goals look back on (ending with the week holding the period's end).
SUGGESTION_WEEKS = 4
# A suggested goal asks for a little more than the learner's usual week.
SUGGESTION_STRETCH = 1.1
MIN_MINUTES_GOAL = 15
MINUTES_STEP = 5


@dataclass(frozen=True)
class SkillStanding:
    """One skill's weekly mastery values (week Monday, value), oldest first."""

    skill_id: str
    name: str
    weekly: Sequence[tuple[date, float]]


@dataclass(frozen=True)
class Change:
    kind: str  # "skill", "module" or "program"
    id: str
    name: str
    before: float | None  # at the previous period's end; None: not started by then
    after: float


@dataclass(frozen=True)
class SuggestedGoal:
    kind: str  # a goal kind POST /v1/learners/{id}/goals accepts
    target: int
    unit: str
    reason: str


def streak_on(days: Iterable[date], day: date, freezes_per_month: int) -> tuple[int, int]:
    """(current, longest) streak on `day` from the active days up to it, freezes as the
    tenant allows them (the same rules as the live streak)."""
    up_to = [d for d in days if d <= day]
    if not freezes_per_month:
        streak = compute_streak(up_to)
        return streak.current(day), streak.longest
    streak, frozen = compute_streak_with_freezes(up_to, freezes_per_month)
    return current_with_freeze(streak, day, frozen, freezes_per_month), streak.longest


def activities_as_of(
    activities: Mapping[str, ActivityProgress], at: datetime
) -> dict[str, ActivityProgress]:
    """The learner's activities as they stood at `at`: later ones left out, later
    completions not yet counted."""
    standing = {}
    for activity_id, row in activities.items():
        if row.first_seen > at:
            continue
        if row.completed_at is not None and row.completed_at > at:
            row = replace(row, status=ActivityStatus.IN_PROGRESS, completed_at=None)
        standing[activity_id] = row
    return standing


def value_on(weekly: Sequence[tuple[date, float]], day: date) -> float | None:
    """The last weekly value of a week starting on or before `day`."""
    found = None
    for week, value in weekly:
        if week > day:
            break
        found = value
    return found


def skill_changes(
    skills: Sequence[SkillStanding],
    period: ReportPeriod,
    previous: ReportPeriod,
    threshold: float,
) -> tuple[list[Change], list[Change]]:
    """(risen, stalled) skills over the period, the largest rise first."""
    risen, stalled = [], []
    first_week = week_of(period.start)
    for skill in skills:
        after = value_on(skill.weekly, period.end)
        if after is None:
            continue
        before = value_on(skill.weekly, previous.end)
        change = Change("skill", skill.skill_id, skill.name, before, after)
        gained = after - before if before is not None else after
        practised = any(first_week <= week <= period.end for week, _ in skill.weekly)
        if practised and (before is None or gained >= RISE_MARGIN):
            risen.append(change)
        elif practised and after < threshold and before is not None:
            stalled.append(change)
    risen.sort(key=lambda c: (-(c.after - (c.before or 0.0)), c.id))
    return risen, stalled


def weekly_totals(
    minutes_by_day: Mapping[date, float], sessions_by_day: Mapping[date, int], last_day: date
) -> list[tuple[float, int]]:
    """(minutes, sessions) of the SUGGESTION_WEEKS weeks ending with the one holding
    `last_day`, oldest first (sessions are summed per day)."""
    totals = []
    for n in range(SUGGESTION_WEEKS - 1, -1, -1):
        monday = week_of(last_day) - timedelta(weeks=n)
        week = [monday + timedelta(days=d) for d in range(7)]
        totals.append(
            (
                sum(minutes_by_day.get(d, 0.0) for d in week),
                sum(sessions_by_day.get(d, 0) for d in week),
            )
        )
    return totals


def suggest_goals(weeks: Sequence[tuple[float, int]]) -> list[SuggestedGoal]:
    """Weekly goals for the next period from the learner's own recent weeks.

    Minutes: the median of the weeks' minutes times SUGGESTION_STRETCH, rounded up to
    MINUTES_STEP, at least MIN_MINUTES_GOAL. Sessions: the median of the weeks' sessions
    times SUGGESTION_STRETCH, rounded up, at least 1.
    """
    minutes = median([m for m, _ in weeks]) if weeks else 0.0
    sessions = median([s for _, s in weeks]) if weeks else 0.0
    minutes_goal = max(
        MIN_MINUTES_GOAL, MINUTES_STEP * math.ceil(minutes * SUGGESTION_STRETCH / MINUTES_STEP)
    )
    sessions_goal = max(1, math.ceil(sessions * SUGGESTION_STRETCH))
    span = f"the last {len(weeks)} weeks"
    return [
        SuggestedGoal(
            "weekly_minutes",
            minutes_goal,
            "minutes",
            f"A median week of {minutes:.0f} minutes over {span}, plus 10%, rounded up to "
            f"{MINUTES_STEP} (at least {MIN_MINUTES_GOAL}).",
        ),
        SuggestedGoal(
            "sessions_per_week",
            sessions_goal,
            "sessions",
            f"A median week of {sessions:g} sessions over {span}, plus 10%, rounded up.",
        ),
    ]
