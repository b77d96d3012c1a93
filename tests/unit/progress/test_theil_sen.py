from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes

from stride.progress.theil_sen import median_pairwise_slope, theil_sen

values = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(-100, 100).map(lambda v: round(v, 3))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=2, max_size=40), st.sampled_from([0.8, 0.95]))
def test_matches_scipy(pairs: list[tuple[float, float]], confidence: float) -> None:
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    if len(np.unique(x)) < 2:
        with pytest.raises(ValueError):
            theil_sen(y, x, confidence)
        return
    with np.errstate(invalid="ignore"):  # scipy's sqrt of a negative variance
        expected = theilslopes(y, x, alpha=confidence)
    result = theil_sen(y, x, confidence)
    assert result.slope == expected.slope
    if math.isnan(expected.low_slope):  # scipy's variance went negative under heavy ties
        assert result.low_slope <= result.slope <= result.high_slope
    else:
        assert (result.low_slope, result.high_slope) == (expected.low_slope, expected.high_slope)


def test_slope_per_step() -> None:
    assert median_pairwise_slope(np.array([0.0, 0.1, 0.2, 5.0, 0.4])) == pytest.approx(0.1)


def test_confidence_must_be_a_probability() -> None:
    with pytest.raises(ValueError):
        theil_sen(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 1.0)
