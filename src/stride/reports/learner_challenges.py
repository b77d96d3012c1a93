"""Goals in a report period: which were met, and which were missed (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from stride.learners.goals import GoalView, GoalWeekView
from stride.progress.daily import local_day
from stride.reports.periods import ReportPeriod

# Less time than this share of the previous period's is a challenge worth naming.
TIME_DROP = 0.25


@dataclass(frozen=True)
class Challenge:
    kind: str  # "stalled_skill", "missed_goal" or "less_time"
    id: str | None  # the skill or goal
    text: str
    value: float | None  # the figure reached
    target: float | None  # the figure aimed at, where there is one


def _week_end(week: GoalWeekView) -> date:
    return week.week + timedelta(days=6)


def goal_challenges(
    found: Sequence[GoalView],
    period: ReportPeriod,
    previous: ReportPeriod,
    today: date,
    timezone: str,
) -> tuple[tuple[int, int], list[Challenge]]:
    """((goals met in the period, in the previous one), goals missed in the period).

    A weekly goal counts once per week whose Sunday falls in the period, once that week is
    over; a module goal counts in the period holding its completion (met) or its due date
    (missed). Cancelled goals count for the weeks before they were cancelled.
    """
    met = [0, 0]
    missed: list[Challenge] = []
    for goal in found:
        weeks = [*goal.history, *([goal.current_week] if goal.current_week else [])]
        for week in weeks:
            end = _week_end(week)
            if end >= today:
                continue
            for n, p in enumerate((period, previous)):
                if p.holds(end) and week.met:
                    met[n] += 1
            if period.holds(end) and not week.met:
                missed.append(
                    Challenge(
                        "missed_goal",
                        goal.goal_id,
                        f"Weekly goal of {week.target} {goal.unit} missed in the week of "
                        f"{week.week.isoformat()}: {week.actual} reached.",
                        week.actual,
                        week.target,
                    )
                )
        module = goal.module_progress
        if module is None or goal.due is None:
            continue
        done = local_day(module.completed_at, timezone) if module.completed_at else None
        for n, p in enumerate((period, previous)):
            if goal.status == "met" and done is not None and p.holds(done):
                met[n] += 1
        if goal.status == "missed" and period.holds(goal.due):
            reached = module.completion or 0.0
            missed.append(
                Challenge(
                    "missed_goal",
                    goal.goal_id,
                    f"Module {goal.module} was due on {goal.due.isoformat()}: "
                    f"{reached:.0%} completed.",
                    reached,
                    1.0,
                )
            )
    return (met[0], met[1]), missed


def time_challenge(minutes: float, previous: float) -> list[Challenge]:
    """Less time than the period before, by TIME_DROP or more."""
    if previous <= 0 or minutes > previous * (1 - TIME_DROP):
        return []
    return [
        Challenge(
            "less_time",
            None,
            f"Time learning fell from {previous:.0f} to {minutes:.0f} minutes.",
            minutes,
            previous,
        )
    ]
