"""Point-biserial and Spearman correlations against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from stride.analytics.correlation import (
    grouped_point_biserial,
    pearson_from_sums,
    point_biserial,
    spearman,
)

scores = st.floats(0, 1, allow_nan=False, allow_subnormal=False)
pairs = st.lists(st.tuples(st.booleans(), scores), min_size=3, max_size=60)


@given(pairs)
def test_point_biserial_matches_scipy(data: list[tuple[bool, float]]) -> None:
    x = [a for a, _ in data]
    y = [b for _, b in data]
    ours = point_biserial(x, y)
    assert ours.n == len(data)
    if len(set(x)) < 2 or np.ptp(y) < 1e-9:
        return  # scipy gives nan (with a warning) where ours gives None
    expected = stats.pointbiserialr(x, y).statistic
    assert ours.coefficient == pytest.approx(expected, abs=1e-7)


def test_point_biserial_of_a_hand_computed_case() -> None:
    # Means 0.8 (correct) and 0.3 (wrong); population sd of y 0.26926; p = q = 0.5:
    # r = (0.8 - 0.3) / 0.26926 * sqrt(0.25).
    r = point_biserial([True, True, False, False], [0.9, 0.7, 0.2, 0.4]).coefficient
    assert r == pytest.approx(stats.pointbiserialr([1, 1, 0, 0], [0.9, 0.7, 0.2, 0.4])[0])
    assert r == pytest.approx(0.9284766909)
    assert type(r) is float


def test_undefined_correlations_are_none() -> None:
    assert point_biserial([True, True, True], [0.1, 0.5, 0.9]).coefficient is None
    assert point_biserial([True, False, True], [0.5, 0.5, 0.5]).coefficient is None
    assert point_biserial([True, False], [0.1, 0.9]).coefficient is None  # n < 3
    assert pearson_from_sums(2, 1, 1, 1, 1, 1) is None
    assert spearman([1, 2], [2, 1]).coefficient is None
    with pytest.raises(ValueError):
        point_biserial([True], [0.1, 0.2])


@given(st.lists(st.tuples(st.integers(0, 3), st.booleans(), scores), min_size=1, max_size=80))
def test_grouped_equals_one_group_at_a_time(rows: list[tuple[int, bool, float]]) -> None:
    groups = np.array([g for g, _, _ in rows], dtype=np.intp)
    x = np.array([float(a) for _, a, _ in rows])
    y = np.array([b for _, _, b in rows])
    grouped = grouped_point_biserial(groups, x, y, 4)
    for g in range(4):
        alone = point_biserial([bool(v) for v in x[groups == g]], list(y[groups == g]))
        assert grouped[g].n == alone.n
        if alone.coefficient is None or grouped[g].coefficient is None:
            assert alone.coefficient == grouped[g].coefficient
        else:
            assert grouped[g].coefficient == pytest.approx(alone.coefficient, abs=1e-9)


@given(st.lists(st.tuples(st.integers(0, 50), scores), min_size=3, max_size=60))
def test_spearman_matches_scipy(data: list[tuple[int, float]]) -> None:
    x = [float(a) for a, _ in data]
    y = [b for _, b in data]
    ours = spearman(x, y)
    assert ours.n == len(data)
    if ours.coefficient is None:
        assert len(set(x)) < 2 or len(set(y)) < 2
        return
    expected = stats.spearmanr(x, y)
    assert ours.coefficient == pytest.approx(expected.statistic)
    assert ours.p_value == pytest.approx(expected.pvalue)
