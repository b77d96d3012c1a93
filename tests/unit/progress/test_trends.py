from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes

from stride.progress.trends import (
    LearningCurve,
    ScorePoint,
    Trend,
    plateaus,
    skill_trend,
)

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def daily(scores: list[float], step: timedelta = timedelta(days=1)) -> list[ScorePoint]:
    return [ScorePoint(T0 + i * step, s) for i, s in enumerate(scores)]


def test_below_min_points_claims_nothing() -> None:
    assert skill_trend(daily([0.1, 0.9, 0.1, 0.9])) == Trend(
        points=4,
        total_points=4,
        status="not_enough_data",
        velocity_per_week=None,
        velocity_low_per_week=None,
        velocity_high_per_week=None,
        consistency_sd=None,
        learning_curve=None,
        change_points=(),
        plateaus=(),
    )
    assert skill_trend([]).points == 0
    assert skill_trend(daily([0.5] * 4), min_points=4).status == "ok"


def test_steady_climb_has_a_velocity_and_nothing_else() -> None:
    # +0.05 a day is +0.35 a week; a straight line has no break and no plateau.
    trend = skill_trend(daily([0.1 + 0.05 * i for i in range(10)]))
    assert trend.status == "ok"
    assert trend.velocity_per_week == pytest.approx(0.35)
    assert trend.velocity_low_per_week == pytest.approx(0.35)
    assert trend.velocity_high_per_week == pytest.approx(0.35)
    assert trend.change_points == ()
    assert trend.plateaus == ()


def test_velocity_resists_one_outlier() -> None:
    scores = [0.2 + 0.02 * i for i in range(15)]
    scores[7] = 1.0
    trend = skill_trend(daily(scores))
    assert trend.velocity_per_week == pytest.approx(0.14)
    assert trend.velocity_low_per_week is not None and trend.velocity_high_per_week is not None
    assert trend.velocity_low_per_week <= 0.14 <= trend.velocity_high_per_week


def test_no_velocity_from_points_within_a_day() -> None:
    trend = skill_trend(daily([0.1, 0.3, 0.5, 0.7, 0.9], step=timedelta(minutes=5)))
    assert trend.status == "ok"
    assert trend.velocity_per_week is None
    assert trend.velocity_low_per_week is None


def test_consistency_is_the_sample_sd_of_the_last_ten() -> None:
    trend = skill_trend(daily([0.0, 0.0] + [0.5, 0.7] * 5))
    # Ten points at 0.6 +- 0.1: sqrt(10 * 0.01 / 9); the two leading zeros are ignored.
    assert trend.consistency_sd == pytest.approx(math.sqrt(0.1 / 9))


def test_learning_curve_by_hand() -> None:
    # Errors 1, 0, 0, ... smoothed over 3 attempts: 1, 1/2, 1/3, then 0 (dropped).
    # log(error) = -log(attempt) exactly: a = 1, b = 1, r2 = 1 on 3 points.
    curve = skill_trend(daily([0.0] + [1.0] * 7)).learning_curve
    assert curve is not None
    assert (curve.a, curve.b, curve.r2, curve.n) == pytest.approx((1.0, 1.0, 1.0, 3))


def test_learning_curve_recovers_a_power_law() -> None:
    curve = skill_trend(daily([1 - 0.8 * n**-0.5 for n in range(1, 31)])).learning_curve
    assert curve is not None
    assert curve.n == 30
    assert 0.4 < curve.b < 0.7  # smoothing flattens the first attempts a little
    assert curve.r2 > 0.95


@pytest.mark.parametrize("score", [0.0, 1.0, 0.6])
def test_learning_curve_needs_a_changing_error(score: float) -> None:
    assert skill_trend(daily([score] * 8)).learning_curve is None


def test_breakthrough_and_drop() -> None:
    trend = skill_trend(daily([0.2] * 6 + [0.8] * 6 + [0.3] * 6))
    assert [(c.index, c.timestamp, c.kind) for c in trend.change_points] == [
        (6, T0 + timedelta(days=6), "breakthrough"),
        (12, T0 + timedelta(days=12), "drop"),
    ]
    first, second = trend.change_points
    assert (first.mean_before, first.mean_after) == pytest.approx((0.2, 0.8))
    assert (second.mean_before, second.mean_after) == pytest.approx((0.8, 0.3))


@pytest.mark.parametrize(
    "scores",
    [
        [0.5] * 6 + [0.6] * 6,  # shift 0.1 < 0.15
        [0.2, 0.2, 0.2, 0.2, 0.9, 0.9],  # the new level lasts only 2 points
        [1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1],  # coin flips
        [0.1 + 0.02 * i for i in range(40)],  # a steady climb is a trend, not a break
    ],
)
def test_no_change_point(scores: list[float]) -> None:
    assert skill_trend(daily(scores)).change_points == ()


def test_noisy_jump_is_found() -> None:
    rng = np.random.default_rng(3)
    before = np.clip(rng.normal(0.35, 0.08, 12), 0, 1)
    after = np.clip(rng.normal(0.8, 0.08, 12), 0, 1)
    trend = skill_trend(daily([float(s) for s in np.concatenate([before, after])]))
    assert [(c.index, c.kind) for c in trend.change_points] == [(12, "breakthrough")]


def test_flat_run_below_mastery_is_a_plateau() -> None:
    [plateau] = skill_trend(daily([0.4] * 8)).plateaus
    assert (plateau.start_index, plateau.end_index, plateau.points) == (0, 7, 8)
    assert (plateau.started_at, plateau.ended_at) == (T0, T0 + timedelta(days=7))
    assert plateau.mean_score == pytest.approx(0.4)
    assert plateau.slope_per_attempt == 0.0


def test_flat_at_mastery_is_no_plateau() -> None:
    assert skill_trend(daily([0.9] * 8)).plateaus == ()


def test_plateau_after_a_climb() -> None:
    # Window 3..7 (0.4, 0.5, 0.5, 0.5, 0.5) is the first whose middle pairwise slopes are 0;
    # window 2..6 (0.3, 0.4, 0.5, 0.5, 0.5) still climbs 0.05 per attempt.
    [plateau] = skill_trend(daily([0.1, 0.2, 0.3, 0.4, 0.5] + [0.5] * 6)).plateaus
    assert (plateau.start_index, plateau.end_index) == (3, 10)


def test_only_the_most_recent_points_are_read() -> None:
    scores = [0.0, 0.0] + [0.2] * 5 + [0.8] * 5
    trend = skill_trend(daily(scores), max_points=10)
    assert (trend.points, trend.total_points) == (10, 12)
    # Indices still count from the first point given.
    assert [c.index for c in trend.change_points] == [7]


def test_arrival_order_does_not_matter() -> None:
    points = daily([0.2] * 6 + [0.8] * 6 + [0.5, 0.6, 0.4, 0.55, 0.45])
    shuffled = list(points)
    random.Random(7).shuffle(shuffled)
    assert skill_trend(shuffled) == skill_trend(points)


def test_inputs_are_validated() -> None:
    with pytest.raises(ValueError):
        skill_trend(daily([0.5] * 5), min_points=1)
    with pytest.raises(ValueError):
        skill_trend(daily([0.5] * 5), max_points=3)
    with pytest.raises(ValueError):
        ScorePoint(datetime(2024, 1, 1), 0.5)
    with pytest.raises(ValueError):
        ScorePoint(T0, 1.2)


scores_lists = st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]) | st.floats(0, 1), max_size=40)


@settings(max_examples=80, deadline=None)
@given(scores_lists, st.randoms(use_true_random=False))
def test_results_are_consistent(scores: list[float], rnd: random.Random) -> None:
    points = daily(scores, step=timedelta(hours=7))
    shuffled = list(points)
    rnd.shuffle(shuffled)
    trend = skill_trend(shuffled)
    assert trend == skill_trend(points)
    assert trend.points == len(scores)
    if trend.status == "not_enough_data":
        assert trend.consistency_sd is None
        assert trend.change_points == () and trend.plateaus == ()
        return
    if trend.velocity_per_week is not None:
        assert trend.velocity_low_per_week is not None
        assert trend.velocity_high_per_week is not None
        assert (
            trend.velocity_low_per_week - 1e-9
            <= trend.velocity_per_week
            <= trend.velocity_high_per_week + 1e-9
        )
    curve = trend.learning_curve
    assert curve is None or (isinstance(curve, LearningCurve) and curve.r2 <= 1.0 + 1e-9)
    for change in trend.change_points:
        assert abs(change.mean_after - change.mean_before) >= 0.15
        assert change.kind == ("breakthrough" if change.mean_after > change.mean_before else "drop")
    previous_end = -1
    for plateau in trend.plateaus:
        assert plateau.start_index > previous_end
        previous_end = plateau.end_index
        span = np.array(scores[plateau.start_index : plateau.end_index + 1])
        assert plateau.points == len(span) >= 5
        assert span.mean() < 0.85
        # The plateau test counts slopes; it must agree with scipy's Theil-Sen slope.
        assert abs(theilslopes(span, np.arange(len(span))).slope) < 0.02


def _plateaus_by_definition(scores: np.ndarray) -> list[tuple[int, int]]:
    """The greedy plateau search written plainly, with scipy's Theil-Sen slope per window."""

    def holds(start: int, end: int) -> bool:
        window = scores[start : end + 1]
        if len(window) < 5:
            return True
        pairwise = sorted(
            (window[b] - window[a]) / (b - a)
            for a in range(len(window))
            for b in range(a + 1, len(window))
        )
        m = len(pairwise)
        middle = (pairwise[(m - 1) // 2], pairwise[m // 2])
        flat = middle[0] > -0.02 and middle[1] < 0.02
        return flat and float(sum(window.tolist())) / len(window) < 0.85

    found, start = [], 0
    while start + 5 <= len(scores):
        end = start
        while end + 1 < len(scores) and holds(start, end + 1):
            end += 1
        if end - start + 1 >= 5:
            found.append((start, end))
            start = end + 1
        else:
            start += 1
    return found


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.5, 0.6, 0.7, 1.0]) | st.floats(0, 1), max_size=40))
def test_plateau_search_matches_its_definition(scores: list[float]) -> None:
    series = np.array(scores, dtype=np.float64)
    assert plateaus(series) == _plateaus_by_definition(series)
