"""Goals: the fold of goal events, and how far a learner is towards each goal's period.

Weekly goals count the learner's local week (Monday to Sunday): minutes of active time, or
distinct sessions. A module goal asks for the module complete on or before its due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from stride.events.goal_rules import MODULE_BY_DATE, SESSIONS_PER_WEEK, GoalSpec
from stride.progress.daily import DayActivity

MS_PER_MINUTE = 60_000


@dataclass(frozen=True, slots=True)
class Goal:
    """Read model: one goal of one learner. `kind` is None while only a cancel has arrived."""

    learner_key: str
    goal_id: str
    kind: str | None = None
    target: int | None = None
    module: str | None = None
    due: date | None = None
    created_at: datetime | None = None  # the earliest goal.set: the goal's first period
    set_at: datetime | None = None  # the latest goal.set by (timestamp, id) defines it
    set_event: str | None = None
    cancelled_at: datetime | None = None  # the earliest goal.cancelled; final
    cancelled_event: str | None = None

    @property
    def defined(self) -> bool:
        return self.kind is not None and self.target is not None and self.created_at is not None


def apply_goal_set(
    state: Goal | None, learner_key: str, spec: GoalSpec, at: datetime, event_id: str
) -> Goal:
    """Fold one goal.set: order-independent (min for creation, latest (time, id) defines)."""
    goal = state or Goal(learner_key, spec.goal_id)
    created = at if goal.created_at is None else min(goal.created_at, at)
    goal = replace(goal, created_at=created)
    defined_by = (goal.set_at, goal.set_event)
    if defined_by[0] is not None and defined_by[1] is not None and (at, event_id) <= defined_by:
        return goal
    return replace(
        goal,
        kind=spec.kind,
        target=spec.target,
        module=spec.module,
        due=spec.due,
        set_at=at,
        set_event=event_id,
    )


def apply_goal_cancelled(
    state: Goal | None, learner_key: str, goal_id: str, at: datetime, event_id: str
) -> Goal:
    """Fold one goal.cancelled: the earliest (time, id) cancel stands."""
    goal = state or Goal(learner_key, goal_id)
    first = (goal.cancelled_at, goal.cancelled_event)
    if first[0] is not None and first[1] is not None and first <= (at, event_id):
        return goal
    return replace(goal, cancelled_at=at, cancelled_event=event_id)


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class WeekProgress:
    week: date  # Monday
    actual: int  # whole minutes, or sessions
    target: int
    met: bool
    met_on: date | None  # the local day the running total first reached the target


def week_progress(kind: str, target: int, week: date, days: Iterable[DayActivity]) -> WeekProgress:
    """Progress of one week from the learner's daily rollups of that week (others ignored)."""
    in_week = sorted((d for d in days if week_of(d.day) == week), key=lambda d: d.day)
    met_on: date | None = None
    active_ms = 0
    sessions: set[str] = set()
    for day in in_week:
        active_ms += day.active_ms
        sessions.update(day.sessions)
        if met_on is None and _amount(kind, active_ms, sessions) >= target:
            met_on = day.day
    actual = _amount(kind, active_ms, sessions)
    return WeekProgress(week, actual, target, met_on is not None, met_on)


def _amount(kind: str, active_ms: int, sessions: set[str]) -> int:
    # Sessions are distinct session ids, so one crossing midnight counts once.
    return len(sessions) if kind == SESSIONS_PER_WEEK else active_ms // MS_PER_MINUTE


def goal_weeks(first: date, last: date) -> list[date]:
    """The Mondays of every week from `first`'s to `last`'s."""
    start = week_of(first)
    end = week_of(last)
    return [start + timedelta(weeks=n) for n in range((end - start).days // 7 + 1)]


@dataclass(frozen=True, slots=True)
class ModuleGoalProgress:
    completion: float
    completed_at: datetime | None
    met: bool  # completed on or before the due date (local day)
    on_track: bool
    expected: float  # the completion a straight line from set to due asks for today


def module_progress(
    completion: float,
    completed_on: date | None,
    completed_at: datetime | None,
    set_on: date,
    due: date,
    today: date,
) -> ModuleGoalProgress:
    """Whether a module goal is met, and on track: at least the straight-line completion.

    A goal completed late is not met, and not on track; so is one not complete after its due
    date.
    """
    met = completed_on is not None and completed_on <= due
    span = max((due - set_on).days, 1)
    expected = min(max((today - set_on).days / span, 0.0), 1.0)
    on_track = met if completed_on is not None else today <= due and completion + 1e-9 >= expected
    return ModuleGoalProgress(completion, completed_at, met, on_track, round(expected, 4))


def is_module_goal(goal: Goal) -> bool:
    return goal.kind == MODULE_BY_DATE
