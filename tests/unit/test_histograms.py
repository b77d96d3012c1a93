"""Log-spaced histograms: bounded relative error, exact merging, nearest-rank percentiles."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.analytics.histograms import (
    ALPHA,
    MAX_MAGNITUDE,
    ZERO,
    bucket_of,
    merge,
    percentiles,
    representative,
)

values = st.floats(-MAX_MAGNITUDE, MAX_MAGNITUDE, allow_nan=False, allow_infinity=False)


@given(values)
def test_a_bucket_reports_its_values_within_the_relative_error(value: float) -> None:
    estimate = representative(bucket_of(value))
    if abs(value) < 1e-9:
        assert estimate == 0.0
    else:
        assert abs(estimate - value) <= ALPHA * abs(value) * (1 + 1e-9)


@given(values, values)
def test_bucket_keys_sort_like_values(a: float, b: float) -> None:
    if a <= b:
        assert bucket_of(a) <= bucket_of(b)


@given(st.lists(values, min_size=1, max_size=60))
def test_merging_any_split_gives_the_same_histogram(data: list[float]) -> None:
    whole: dict[int, int] = {}
    for v in data:
        whole[bucket_of(v)] = whole.get(bucket_of(v), 0) + 1
    cut = len(data) // 2
    parts = [data[:cut], data[cut:]]
    histograms = [{bucket_of(v): 0 for v in part} for part in parts]
    for part, h in zip(parts, histograms, strict=True):
        for v in part:
            h[bucket_of(v)] += 1
    assert merge(reversed(histograms)) == whole


@given(st.lists(st.floats(0.001, 1e6), min_size=1, max_size=200), st.sampled_from([0.5, 0.9, 0.99]))
def test_percentiles_are_within_the_error_of_the_nearest_rank(data: list[float], q: float) -> None:
    histogram: dict[int, int] = {}
    for v in data:
        histogram[bucket_of(v)] = histogram.get(bucket_of(v), 0) + 1
    exact = sorted(data)[max(1, math.ceil(q * len(data))) - 1]
    [estimate] = percentiles(histogram, [q], min(data), max(data))
    assert estimate is not None
    assert abs(estimate - exact) <= ALPHA * exact * (1 + 1e-9)


def test_small_cases_and_clamping() -> None:
    histogram = {bucket_of(v): 1 for v in (1.0, 2.0, 3.0, 4.0)} | {ZERO: 1}
    assert percentiles(histogram, [0.0, 0.2, 0.5, 1.0], 0.0, 4.0) == pytest.approx(
        [0.0, 0.0, 2.0, 4.0], rel=ALPHA
    )
    assert percentiles({bucket_of(-5.0): 2}, [0.5]) == pytest.approx([-5.0], rel=ALPHA)
    assert percentiles({}, [0.5]) == [None]
    assert percentiles({bucket_of(10.0): 1}, [0.5], 10.0, 10.0) == [10.0]
