from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stride.progress.bkt import BktParams, predict_correct, update
from stride.progress.forecast import (
    HORIZON_DAYS,
    expected_mastery,
    forecast_completion,
    pace_factor,
    skill_projection,
)

TODAY = date(2024, 5, 1)


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def test_steady_pace_is_certain() -> None:
    result = forecast_completion(90, [30.0] * 10, TODAY)
    assert result.status == "ok"
    assert (result.expected_date, result.low_date, result.high_date) == (day(3), day(3), day(3))
    assert (result.minutes_per_day, result.active_day_share) == (30.0, 1.0)
    assert (result.active_days, result.based_on_days, result.remaining_minutes) == (10, 10, 90)
    assert result.horizon_date == day(HORIZON_DAYS)


def test_a_part_day_counts_as_a_day() -> None:
    assert forecast_completion(100, [30.0] * 10, TODAY).expected_date == day(4)
    # 100 / (300 / 3) is 1 day, not 2, whatever the rounding of the mean.
    result = forecast_completion(100, [100.0, 100.0, 100.0], TODAY, min_active_days=3)
    assert result.expected_date == day(1)


def test_interval_by_hand() -> None:
    # 100 minutes on 60% of days: the expected day is 100 / 60 -> 2. The finishing day is
    # the first 100-minute day: P(day 1) = 0.6, P(<= 2) = 0.84, P(<= 3) = 0.936.
    result = forecast_completion(100, [100.0, 100.0, 100.0, 0.0, 0.0], TODAY, min_active_days=3)
    assert (result.low_date, result.expected_date, result.high_date) == (day(1), day(2), day(3))
    assert result.active_day_share == 0.6


def test_irregular_pace_widens_the_interval() -> None:
    # 60 minutes every other day; 300 remaining needs five active days: a negative
    # binomial with 10% / 90% points at 6-7 and 14-15 days.
    result = forecast_completion(300, [60.0, 0.0] * 14, TODAY)
    assert result.expected_date == day(10)
    assert result.low_date in (day(6), day(7))
    assert result.high_date in (day(14), day(15))
    assert result.minutes_per_day == 30.0


def test_a_wider_interval_is_wider() -> None:
    narrow = forecast_completion(300, [60.0, 0.0] * 14, TODAY, interval=0.5)
    wide = forecast_completion(300, [60.0, 0.0] * 14, TODAY, interval=0.95)
    assert narrow.low_date is not None and wide.low_date is not None
    assert narrow.high_date is not None and wide.high_date is not None
    assert wide.low_date < narrow.low_date and narrow.high_date < wide.high_date


def test_the_interval_always_contains_the_expected_date() -> None:
    # One huge day among small ones: most simulated learners need more than the expected
    # single day, so the bootstrap's 10% point (day 2) is widened back to day 1.
    result = forecast_completion(30, [0.0] * 23 + [1.0] * 4 + [1000.0], TODAY)
    assert result.expected_date == day(1)
    assert result.low_date == day(1)
    assert result.high_date is not None and result.high_date > day(1)


def test_the_same_seed_gives_the_same_forecast() -> None:
    minutes = [0.0, 25.0, 70.0, 0.0, 10.0, 45.0, 0.0] * 4
    assert forecast_completion(500, minutes, TODAY, seed=4) == forecast_completion(
        500, minutes, TODAY, seed=4
    )


def test_nothing_left_is_complete() -> None:
    result = forecast_completion(0, [30.0] * 10, TODAY)
    assert result.status == "complete"
    assert (result.expected_date, result.low_date, result.high_date) == (None, None, None)
    assert forecast_completion(-5, [], TODAY).status == "complete"


@pytest.mark.parametrize("minutes", [[30.0] * 4 + [0.0] * 24, [], [0.0] * 28])
def test_too_few_active_days(minutes: list[float]) -> None:
    result = forecast_completion(100, minutes, TODAY)
    assert result.status == "not_enough_data"
    assert result.expected_date is None
    assert result.based_on_days == len(minutes)


def test_no_history_has_no_pace() -> None:
    result = forecast_completion(100, [], TODAY)
    assert (result.minutes_per_day, result.active_day_share, result.active_days) == (None, None, 0)


def test_beyond_the_horizon_gives_no_date() -> None:
    result = forecast_completion(10_000_000, [30.0] * 10, TODAY)
    assert result.status == "beyond_horizon"
    assert (result.expected_date, result.low_date, result.high_date) == (None, None, None)


def test_only_the_dates_beyond_the_horizon_are_withheld() -> None:
    result = forecast_completion(300, [60.0, 0.0] * 14, TODAY, horizon_days=12)
    assert result.status == "beyond_horizon"
    assert result.expected_date == day(10)
    assert result.low_date is not None
    assert result.high_date is None
    assert result.horizon_date == day(12)


@pytest.mark.parametrize(
    "kwargs",
    [{"interval": 1.0}, {"interval": 0.0}, {"simulations": 0}, {"min_active_days": 0}],
)
def test_forecast_arguments_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        forecast_completion(100, [30.0] * 10, TODAY, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("remaining", "minutes"), [(math.nan, [30.0]), (10, [-1.0]), (10, [math.inf])]
)
def test_forecast_data_is_validated(remaining: float, minutes: list[float]) -> None:
    with pytest.raises(ValueError):
        forecast_completion(remaining, minutes, TODAY)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 120) | st.just(0), min_size=28, max_size=28),
    st.integers(1, 4000),
)
def test_dates_are_ordered(minutes: list[int], remaining: int) -> None:
    result = forecast_completion(remaining, [float(m) for m in minutes], TODAY, simulations=200)
    active = sum(1 for m in minutes if m > 0)
    assert (result.status == "not_enough_data") == (active < 5)
    if result.status == "ok":
        assert result.low_date is not None and result.expected_date is not None
        assert result.high_date is not None
        assert TODAY < result.low_date <= result.expected_date <= result.high_date
        assert result.high_date <= result.horizon_date


# --- skill projection -------------------------------------------------------------------


def test_projection_by_hand() -> None:
    # learn 0.1, no forgetting: p_n = 1 - 0.7 * 0.9^n; 2 a day for 30 days is 60 attempts.
    result = skill_projection(0.3, 0.1, 0.0, 2.0)
    assert result.attempts_in_horizon == 60.0
    assert result.projected_p_mastery == pytest.approx(1 - 0.7 * 0.9**60)
    assert result.limit == 1.0
    # 0.7 * 0.9^n <= 0.05  <=>  n >= 25.05
    assert result.attempts_to_threshold == 26
    assert result.days_to_threshold == 13


def test_one_attempt_is_one_transition() -> None:
    assert expected_mastery(0.4, 0.2, 0.1, 1) == pytest.approx(0.4 * 0.9 + 0.6 * 0.2)
    assert expected_mastery(0.4, 0.2, 0.1, 0) == pytest.approx(0.4)


def test_fractional_attempts_follow_the_closed_form() -> None:
    result = skill_projection(0.3, 0.1, 0.0, 0.5, horizon_days=3)
    assert result.projected_p_mastery == pytest.approx(1 - 0.7 * 0.9**1.5)


@pytest.mark.parametrize(("p", "correct_first"), [(0.3, True), (0.7, False)])
def test_the_transition_is_the_expected_bkt_update(p: float, correct_first: bool) -> None:
    # Averaged over the answer BKT predicts, the full update equals the bare transition.
    params = BktParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1, forget=0.05)
    right = predict_correct(p, params)
    mean_update = right * update(p, True, params) + (1 - right) * update(p, False, params)
    assert expected_mastery(p, params.learn, params.forget, 1) == pytest.approx(mean_update)


def test_forgetting_caps_the_projection() -> None:
    # s = 0.1 / 0.11 = 0.909 < 0.95: never reached.
    result = skill_projection(0.3, 0.1, 0.01, 2.0)
    assert result.limit == pytest.approx(0.1 / 0.11)
    assert result.attempts_to_threshold is None
    assert result.days_to_threshold is None
    assert result.projected_p_mastery < result.limit


def test_already_mastered() -> None:
    result = skill_projection(0.97, 0.1, 0.0, 0.0)
    assert (result.attempts_to_threshold, result.days_to_threshold) == (0, 0)


def test_no_learning_no_progress() -> None:
    result = skill_projection(0.5, 0.0, 0.0, 3.0)
    assert result.projected_p_mastery == 0.5
    assert result.attempts_to_threshold is None


def test_no_practice_no_days() -> None:
    result = skill_projection(0.3, 0.1, 0.0, 0.0)
    assert result.projected_p_mastery == 0.3
    assert result.attempts_to_threshold == 26
    assert result.days_to_threshold is None


def test_no_days_beyond_five_years() -> None:
    result = skill_projection(0.3, 0.1, 0.0, 0.01)  # 26 attempts at one every 100 days
    assert result.attempts_to_threshold == 26
    assert result.days_to_threshold is None
    assert skill_projection(0.3, 0.1, 0.0, 0.02).days_to_threshold == 1300


def test_a_limit_at_the_threshold_is_never_reached() -> None:
    # s = 0.25 / 0.5 = 0.5 exactly: approached from below, never reached.
    result = skill_projection(0.3, 0.25, 0.25, 1.0, threshold=0.5)
    assert result.limit == 0.5
    assert result.attempts_to_threshold is None
    # With r = 0 the limit is reached at the first attempt.
    assert skill_projection(0.3, 0.5, 0.5, 1.0, threshold=0.5).attempts_to_threshold == 1


def test_oscillating_parameters() -> None:
    # learn + forget > 1: p swings around s = 0.9 / 1.1 = 0.818 at each attempt.
    # p1 = 0.3 * 0.8 + 0.7 * 0.9 = 0.87, p2 = 0.87 * 0.8 + 0.13 * 0.9 = 0.813.
    result = skill_projection(0.3, 0.9, 0.2, 0.5, horizon_days=3, threshold=0.85)
    assert result.attempts_to_threshold == 1
    assert result.days_to_threshold == 2
    assert result.projected_p_mastery == pytest.approx((0.87 + 0.813) / 2)
    assert skill_projection(0.3, 0.9, 0.2, 1.0, threshold=0.9).attempts_to_threshold is None


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1.2, 0.1, 0.0, 1.0), {}),
        ((0.3, -0.1, 0.0, 1.0), {}),
        ((0.3, 0.1, 0.0, -1.0), {}),
        ((0.3, 0.1, 0.0, 1.0), {"threshold": 0.0}),
        ((0.3, 0.1, 0.0, 1.0), {"horizon_days": -1}),
    ],
)
def test_projection_arguments_are_validated(
    args: tuple[float, float, float, float], kwargs: dict[str, float]
) -> None:
    with pytest.raises(ValueError):
        skill_projection(*args, **kwargs)  # type: ignore[arg-type]


probability = st.floats(0.0, 1.0)


@settings(max_examples=150)
@given(probability, probability, probability, st.floats(0.0, 20.0), st.floats(0.5, 1.0))
def test_projection_is_a_probability_and_the_threshold_count_is_minimal(
    p: float, learn: float, forget: float, per_day: float, threshold: float
) -> None:
    result = skill_projection(p, learn, forget, per_day, threshold=threshold)
    assert 0.0 <= result.projected_p_mastery <= 1.0
    assert 0.0 <= result.limit <= 1.0
    n = result.attempts_to_threshold
    if n is not None:
        assert expected_mastery(p, learn, forget, n) >= threshold
        assert n == 0 or expected_mastery(p, learn, forget, n - 1) < threshold
    elif learn + forget > 0 and 1 - learn - forget >= 0:
        # Monotone towards the limit: unreachable means the limit is not above the threshold
        # (or the threshold lies more than a million attempts away).
        assert result.limit <= threshold or expected_mastery(p, learn, forget, 10**6) < threshold


def test_pace_factor_scales_the_study_still_needed() -> None:
    result = forecast_completion(90, [30.0] * 10, TODAY, pace_factor=2.0)
    assert (result.expected_date, result.low_date, result.high_date) == (day(6), day(6), day(6))
    assert (result.remaining_minutes, result.pace_factor) == (90, 2.0)


def test_pace_factor_from_time_spent_on_completed_work() -> None:
    assert pace_factor(300.0, 100.0) == 3.0
    assert pace_factor(30.0, 120.0) == 0.25
    assert pace_factor(50.0, 100.0) == 0.5
    assert pace_factor(10_000.0, 100.0) == 4.0  # bounded
    assert pace_factor(500.0, 59.0) == 1.0  # too little finished to say
    with pytest.raises(ValueError):
        pace_factor(-1.0, 100.0)
    with pytest.raises(ValueError):
        forecast_completion(90, [30.0] * 10, TODAY, pace_factor=0.0)
