from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.progress.streaks import NO_STREAK, Streak, compute_streak, extend_streak

D = date(2024, 5, 1)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


@pytest.mark.parametrize(
    ("active", "longest", "last_run"),
    [
        ([], 0, 0),
        ([0], 1, 1),
        ([0, 1, 2], 3, 3),
        ([0, 1, 2, 5, 6], 3, 2),
        ([5, 0, 1, 6, 2], 3, 2),
        ([0, 0, 1], 2, 2),
        ([0, 2, 4], 1, 1),
    ],
)
def test_compute_streak(active: list[int], longest: int, last_run: int) -> None:
    streak = compute_streak(days(*active))
    assert (streak.longest, streak.last_run) == (longest, last_run)


@pytest.mark.parametrize(
    ("last_day_offset", "today_offset", "current"),
    [(10, 10, 4), (10, 11, 4), (10, 12, 0)],
)
def test_current_streak_survives_until_a_full_day_is_missed(
    last_day_offset: int, today_offset: int, current: int
) -> None:
    streak = Streak(longest=6, last_run=4, last_day=D + timedelta(days=last_day_offset))
    assert streak.current(D + timedelta(days=today_offset)) == current


def test_no_streak_is_zero_today() -> None:
    assert NO_STREAK.current(D) == 0


def test_extend_refuses_a_day_before_the_last() -> None:
    assert extend_streak(compute_streak(days(5)), days(3)) is None


@given(st.lists(st.integers(0, 60), max_size=40), st.lists(st.integers(0, 60), max_size=10))
def test_extending_equals_recomputing(before: list[int], added: list[int]) -> None:
    old = set(before)
    new = [d for d in set(added) if d not in old]
    extended = extend_streak(compute_streak(days(*old)), days(*new))
    if extended is not None:
        assert extended == compute_streak(days(*old, *new))
    else:
        assert min(new) <= max(old)
