"""Goals: the order-independent fold, weekly progress, module goals."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from stride.events.goal_rules import GoalSpec, goal_errors, goal_spec
from stride.progress.daily import DayActivity
from stride.progress.goals import (
    Goal,
    apply_goal_cancelled,
    apply_goal_set,
    goal_weeks,
    module_progress,
    week_progress,
)

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)
MONDAY = date(2026, 11, 16)


def _day(day: date, minutes: int, *sessions: str) -> DayActivity:
    return DayActivity("k", day, 1, minutes * 60_000, 0, tuple(sessions))


def test_fold_is_order_independent() -> None:
    events = [
        ("set", GoalSpec("g", "weekly_minutes", 30), T0, "e1"),
        ("set", GoalSpec("g", "weekly_minutes", 60), T0 + timedelta(hours=1), "e2"),
        ("cancel", None, T0 + timedelta(hours=3), "e4"),
        ("cancel", None, T0 + timedelta(hours=2), "e3"),
    ]
    results = set()
    for order in itertools.permutations(events):
        goal: Goal | None = None
        for kind, spec, at, event_id in order:
            if kind == "set":
                assert spec is not None
                goal = apply_goal_set(goal, "k", spec, at, event_id)
            else:
                goal = apply_goal_cancelled(goal, "k", "g", at, event_id)
        results.add(goal)
    (goal,) = results
    assert goal is not None and goal.target == 60 and goal.created_at == T0
    assert goal.cancelled_event == "e3" and goal.defined


def test_cancel_alone_is_not_a_defined_goal() -> None:
    assert not apply_goal_cancelled(None, "k", "g", T0, "e").defined


def test_weekly_minutes_met_on_the_day_the_total_reaches_the_target() -> None:
    days = [
        _day(MONDAY, 20),
        _day(MONDAY + timedelta(days=2), 15),
        _day(MONDAY + timedelta(days=3), 40),
        _day(MONDAY + timedelta(days=7), 500),  # next week: ignored
    ]
    progress = week_progress("weekly_minutes", 30, MONDAY, days)
    assert (progress.actual, progress.met, progress.met_on) == (75, True, MONDAY + timedelta(2))
    assert not week_progress("weekly_minutes", 100, MONDAY, days).met


def test_sessions_are_distinct_across_the_week() -> None:
    days = [_day(MONDAY, 0, "s1", "s2"), _day(MONDAY + timedelta(days=1), 0, "s2", "s3")]
    progress = week_progress("sessions_per_week", 3, MONDAY, days)
    assert (progress.actual, progress.met_on) == (3, MONDAY + timedelta(days=1))


def test_goal_weeks_are_mondays() -> None:
    assert goal_weeks(date(2026, 11, 18), date(2026, 11, 30)) == [
        date(2026, 11, 16),
        date(2026, 11, 23),
        date(2026, 11, 30),
    ]


@pytest.mark.parametrize(
    ("completion", "done_on", "today", "met", "on_track"),
    [
        (0.5, None, date(2026, 11, 6), False, True),  # half way, half the time gone
        (0.2, None, date(2026, 11, 6), False, False),  # behind the straight line
        (1.0, date(2026, 11, 10), date(2026, 11, 12), True, True),
        (1.0, date(2026, 11, 12), date(2026, 11, 12), False, False),  # completed late
        (0.9, None, date(2026, 11, 12), False, False),  # past due
    ],
)
def test_module_goal(
    completion: float, done_on: date | None, today: date, met: bool, on_track: bool
) -> None:
    progress = module_progress(
        completion, done_on, None, date(2026, 11, 1), date(2026, 11, 11), today
    )
    assert (progress.met, progress.on_track) == (met, on_track)


@pytest.mark.parametrize(
    ("properties", "paths"),
    [
        ({"goal_id": "g", "kind": "weekly_minutes", "target": 30}, []),
        ({"goal_id": "g", "kind": "weekly_minutes"}, ["properties.target"]),
        ({"goal_id": "g", "kind": "weekly_minutes", "target": True}, ["properties.target"]),
        ({"goal_id": "g", "kind": "weekly_minutes", "target": 99999}, ["properties.target"]),
        ({"kind": "sessions_per_week", "target": 2}, ["properties.goal_id"]),
        ({"goal_id": "g", "kind": "yearly"}, ["properties.kind"]),
        ({"goal_id": "g", "kind": "module_by_date", "module": "m", "due": "2026-12-01"}, []),
        (
            {"goal_id": "g", "kind": "module_by_date", "due": "12/01"},
            ["properties.module", "properties.due"],
        ),
        (
            {"goal_id": "g", "kind": "weekly_minutes", "target": 5, "due": "2026-12-01"},
            ["properties.due"],
        ),
    ],
)
def test_goal_set_rules(properties: dict[str, object], paths: list[str]) -> None:
    assert [e.path for e in goal_errors("goal.set", properties)] == paths
    assert (goal_spec(properties) is None) == bool(paths)


def test_free_form_goal_set_is_recorded_but_defines_no_goal() -> None:
    assert goal_errors("goal.set", {"days_per_week": 3}) == []
    assert goal_errors("goal.set", None) == []
    assert goal_spec({"days_per_week": 3}) is None


def test_goal_cancelled_needs_only_the_goal_id() -> None:
    assert goal_errors("goal.cancelled", {"goal_id": "g"}) == []
    assert [e.path for e in goal_errors("goal.cancelled", {})] == ["properties.goal_id"]
