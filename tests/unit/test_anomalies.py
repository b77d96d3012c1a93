"""Robust z-scores of hourly counts against the same hour of past weeks."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stride.analytics.anomalies import (
    HOUR,
    MAD_SCALE,
    WEEK,
    find_anomalies,
    robust_z,
)

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
OFFSETS = [0, 12, -12, 24, -24, 6, -6, 18, -18, 3]  # week w's departure from the hour's base


def test_robust_z_is_the_modified_z_score() -> None:
    history = [100, 120, 90, 110, 130, 95, 105, 115]
    score = robust_z(300, history)
    # median 107.5; absolute deviations 2.5 2.5 7.5 7.5 12.5 12.5 17.5 22.5: MAD 10
    assert score.expected == 107.5
    assert score.scale == pytest.approx(MAD_SCALE * 10)
    assert score.z == pytest.approx((300 - 107.5) / 14.826)
    assert score.z == pytest.approx(0.6745 * (300 - 107.5) / 10, rel=1e-4)


def test_a_zero_mad_falls_back_to_the_mean_absolute_deviation() -> None:
    score = robust_z(200, [100, 100, 100, 100, 140])
    # MAD 0; mean absolute deviation 8, times 1.2533 = 10.03, above sqrt(100) = 10
    assert score.scale == pytest.approx(1.2533 * 8)


def test_a_quiet_hour_is_not_an_anomaly_for_one_event() -> None:
    assert robust_z(1, [0, 0, 0, 0]).z == 1.0  # scale floored at sqrt(max(median, 1))
    assert robust_z(104, [100] * 8).z == pytest.approx(0.4)


def _series(weeks: int, spike_at: datetime | None = None, spike: int = 0) -> dict[datetime, int]:
    counts = {}
    for hour_index in range(weeks * 168):
        hour = MONDAY + hour_index * HOUR
        base = 20 + 5 * (hour.hour % 12) + (30 if hour.weekday() < 5 else 0)
        counts[hour] = base + OFFSETS[hour_index // 168]
    if spike_at is not None:
        counts[spike_at] += spike
    return counts


def test_one_spike_in_a_synthetic_series_is_found_with_its_exact_score() -> None:
    spike_hour = MONDAY + 9 * WEEK + timedelta(days=2, hours=14)
    counts = _series(10, spike_hour, 200)
    scan = find_anomalies(counts, MONDAY + 4 * WEEK, MONDAY + 10 * WEEK, MONDAY)
    assert scan.scored == 6 * 168
    assert len(scan.anomalies) == 1
    found = scan.anomalies[0]
    base = counts[spike_hour] - 200 - OFFSETS[9]
    # History: the 8 weeks before, offsets 12 -12 24 -24 6 -6 18 -18: median base + 0,
    # absolute deviations 6 6 12 12 18 18 24 24: MAD 15.
    assert found.hour == spike_hour
    assert found.count == base + 3 + 200
    assert found.expected == base
    assert found.z == pytest.approx(203 / (1.4826 * 15))
    assert found.size == 203


def test_hours_without_four_weeks_of_history_are_not_scored() -> None:
    counts = _series(10)
    scan = find_anomalies(counts, MONDAY, MONDAY + 10 * WEEK, MONDAY + 2 * WEEK)
    assert scan.scored == 4 * 168  # weeks 6..9 have weeks 2.. before them
    assert find_anomalies({}, MONDAY, MONDAY, MONDAY).scored == 0


def test_a_dip_is_negative_and_missing_hours_count_zero() -> None:
    counts = _series(9)
    gap = MONDAY + 8 * WEEK + timedelta(hours=10)
    del counts[gap]
    scan = find_anomalies(counts, MONDAY + 8 * WEEK, MONDAY + 9 * WEEK, MONDAY)
    assert [a.hour for a in scan.anomalies] == [gap]
    assert scan.anomalies[0].z < -3.5 and scan.anomalies[0].count == 0


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**32),
    st.sampled_from([1, 5, 50, 500]),
    st.floats(min_value=0.5, max_value=6),
)
def test_the_vectorized_scan_scores_like_robust_z(seed: int, spread: int, threshold: float) -> None:
    rng = random.Random(seed)
    values = [rng.randint(0, spread) * rng.choice((0, 1, 1, 1)) for _ in range(6 * 168)]
    counts = {MONDAY + i * HOUR: v for i, v in enumerate(values)}
    start = MONDAY + 4 * WEEK
    scan = find_anomalies(counts, start, MONDAY + 6 * WEEK, MONDAY, threshold, 4)
    expected = []
    for i in range(4 * 168, 6 * 168):
        history = [values[i - k * 168] for k in range(1, 5)]
        score = robust_z(values[i], history)
        if abs(score.z) >= threshold:
            expected.append((MONDAY + i * HOUR, score.z))
    assert [a.hour for a in scan.anomalies] == [hour for hour, _ in expected]
    for anomaly, (_, z) in zip(scan.anomalies, expected, strict=True):
        assert math.isclose(anomaly.z, z, rel_tol=1e-9)
