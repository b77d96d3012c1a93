"""Streak freezes: single missed days bridged while the month's allowance lasts."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from stride.progress.streaks import (
    Streak,
    compute_streak,
    compute_streak_with_freezes,
    current_with_freeze,
    extend_streak,
    may_need_freeze,
)


def _days(*spec: str) -> list[date]:
    return [date.fromisoformat(s) for s in spec]


@pytest.mark.parametrize(
    ("days", "allowance", "longest", "last_run", "frozen"),
    [
        # one missed day bridged; the frozen day does not lengthen the run
        (["2026-03-01", "2026-03-03"], 1, 2, 2, ["2026-03-02"]),
        # no allowance: the gap breaks the run
        (["2026-03-01", "2026-03-03"], 0, 1, 1, []),
        # two missed days are never bridged
        (["2026-03-01", "2026-03-04"], 5, 1, 1, []),
        # allowance exhausted: the second gap of March breaks the run
        (["2026-03-01", "2026-03-03", "2026-03-05", "2026-03-06"], 1, 2, 2, ["2026-03-02"]),
        # two freezes: both gaps bridged, earliest first
        (["2026-03-01", "2026-03-03", "2026-03-05"], 2, 3, 3, ["2026-03-02", "2026-03-04"]),
        # month boundary: the missed day's month pays; 31 March finds March spent, 2 April
        # is April's
        (
            ["2026-03-28", "2026-03-30", "2026-04-01", "2026-04-03"],
            1,
            2,
            2,
            ["2026-03-29", "2026-04-02"],
        ),
        # across the boundary, a missed 1 April is April's freeze
        (["2026-03-29", "2026-03-31", "2026-04-02"], 1, 3, 3, ["2026-03-30", "2026-04-01"]),
    ],
)
def test_freezes_bridge_single_missed_days(
    days: list[str], allowance: int, longest: int, last_run: int, frozen: list[str]
) -> None:
    streak, bridged = compute_streak_with_freezes(_days(*days), allowance)
    assert (streak.longest, streak.last_run) == (longest, last_run)
    assert list(bridged) == _days(*frozen)


def test_month_boundary_allowance_is_per_missed_days_month() -> None:
    # March's only freeze is used on 3/29; the gap on 3/31 is March's too: broken.
    streak, bridged = compute_streak_with_freezes(
        _days("2026-03-28", "2026-03-30", "2026-04-01"), 1
    )
    assert bridged == tuple(_days("2026-03-29"))
    assert streak.last_run == 1 and streak.longest == 2


def test_without_allowance_it_is_the_plain_streak() -> None:
    rng = random.Random(7)
    start = date(2026, 1, 1)
    for _ in range(50):
        days = {start + timedelta(days=rng.randrange(60)) for _ in range(30)}
        assert compute_streak_with_freezes(days, 0) == (compute_streak(days), ())


def test_in_order_extension_agrees_unless_a_freeze_may_apply() -> None:
    """The projector's fast path: extend_streak when no new single missed day appears."""
    rng = random.Random(11)
    start = date(2026, 1, 1)
    for _ in range(200):
        days = sorted({start + timedelta(days=rng.randrange(90)) for _ in range(40)})
        cut = rng.randrange(1, len(days))
        old, new = days[:cut], days[cut:]
        before, _ = compute_streak_with_freezes(old, 2)
        full, _ = compute_streak_with_freezes(days, 2)
        if not may_need_freeze(before.last_day, new):
            assert extend_streak(before, new) == full


def test_pending_freeze_keeps_the_current_streak() -> None:
    streak = Streak(longest=5, last_run=5, last_day=date(2026, 3, 10))
    today = date(2026, 3, 12)  # yesterday missed
    assert streak.current(today) == 0
    assert current_with_freeze(streak, today, [], 1) == 5
    assert current_with_freeze(streak, today, _days("2026-03-02"), 1) == 0
    assert current_with_freeze(streak, today, _days("2026-02-27"), 1) == 5
    assert current_with_freeze(streak, date(2026, 3, 13), [], 1) == 0
