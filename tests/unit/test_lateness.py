"""Lateness bands and the log-spaced histogram: buckets, their error bound, quantiles."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.analytics.lateness import (
    AHEAD,
    BAND_NAMES,
    RELATIVE_ERROR,
    bucket_value,
    delay_bucket,
    histogram_quantile,
    lateness_band,
    merge_histograms,
)

lateness = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(lateness)
def test_a_bucket_stands_for_its_values_within_the_relative_error(seconds: float) -> None:
    value = bucket_value(delay_bucket(seconds))
    seconds = round(seconds * 1e6) / 1e6  # lateness counts in whole microseconds
    if abs(seconds) <= 0.001:
        assert value == 0.0
    else:
        assert math.copysign(1, value) == math.copysign(1, seconds)
        assert abs(value - seconds) <= RELATIVE_ERROR * abs(seconds) * (1 + 1e-9)


@given(lateness, lateness)
def test_buckets_keep_the_order_of_values(a: float, b: float) -> None:
    if a <= b:
        assert delay_bucket(a) <= delay_bucket(b)


@pytest.mark.parametrize(
    ("seconds", "band"),
    [
        (-0.5, AHEAD),
        (-0.0005, 0),  # within 1 ms: on time, not skew
        (-0.001, 0),
        (-0.001001, AHEAD),
        (0, 0),
        (59.999, 0),
        (60, 1),
        (3599, 1),
        (3600, 2),
        (86_399, 2),
        (86_400, 3),
        (7 * 86_400 - 1, 3),
        (7 * 86_400, 4),
        (400 * 86_400, 4),
    ],
)
def test_bands_have_exclusive_upper_bounds(seconds: float, band: int) -> None:
    assert lateness_band(seconds) == band
    assert BAND_NAMES[band if band != AHEAD else 0]


def test_quantiles_of_a_histogram() -> None:
    values = [-600.0, 30.0, 1800.0, 18_000.0, 259_200.0, 864_000.0]
    histogram = merge_histograms([{delay_bucket(v): 1} for v in values])
    assert histogram_quantile({}, 0.5) is None
    median = histogram_quantile(histogram, 0.5)  # rank ceil(0.5 * 6) = 3: 1800 s
    assert median == pytest.approx(1800, rel=RELATIVE_ERROR)
    assert histogram_quantile(histogram, 0.0) == pytest.approx(-600, rel=RELATIVE_ERROR)
    assert histogram_quantile(histogram, 1.0) == pytest.approx(864_000, rel=RELATIVE_ERROR)


@given(st.lists(lateness, min_size=1, max_size=200), st.floats(min_value=0, max_value=1))
def test_quantile_is_within_the_error_of_the_value_of_that_rank(
    values: list[float], q: float
) -> None:
    histogram: dict[int, int] = {}
    for value in values:
        histogram[delay_bucket(value)] = histogram.get(delay_bucket(value), 0) + 1
    exact = sorted(values)[max(math.ceil(q * len(values) - 1e-9) - 1, 0)]
    exact = round(exact * 1e6) / 1e6
    found = histogram_quantile(histogram, q)
    assert found is not None
    assert abs(found - exact) <= RELATIVE_ERROR * abs(exact) * (1 + 1e-9) + 0.001
