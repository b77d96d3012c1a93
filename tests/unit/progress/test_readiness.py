from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.progress.readiness import (
    Readiness,
    ReadinessLevel,
    ReadinessThresholds,
    module_readiness,
)

RANK = {
    ReadinessLevel.BEGINNER: 0,
    ReadinessLevel.DEVELOPING: 1,
    ReadinessLevel.PROFICIENT: 2,
    ReadinessLevel.ADVANCED: 3,
}


def test_no_scores_is_not_enough_data() -> None:
    assert module_readiness([]) == Readiness(
        level=None, mean=None, sd=None, attempts=0, status="not_enough_data"
    )


def test_one_score_has_no_spread() -> None:
    result = module_readiness([90.0])
    assert result == Readiness(
        level=ReadinessLevel.ADVANCED, mean=90.0, sd=0.0, attempts=1, status="ok"
    )


@pytest.mark.parametrize(
    ("scores", "level"),
    [
        ([85.0] * 5, ReadinessLevel.ADVANCED),  # the mean threshold is inclusive
        ([84.9] * 5, ReadinessLevel.PROFICIENT),
        ([70.0] * 5, ReadinessLevel.PROFICIENT),
        ([69.9] * 5, ReadinessLevel.DEVELOPING),
        ([50.0] * 5, ReadinessLevel.DEVELOPING),
        ([49.9] * 5, ReadinessLevel.BEGINNER),
        ([0.0], ReadinessLevel.BEGINNER),
        # mean 76 but sd 32.9: far too erratic for PROFICIENT
        ([100.0, 40.0, 100.0, 40.0, 100.0], ReadinessLevel.DEVELOPING),
    ],
)
def test_levels(scores: list[float], level: ReadinessLevel) -> None:
    assert module_readiness(scores).level == level


def test_sd_is_the_sample_sd_and_its_threshold_is_strict() -> None:
    # mean 85, sample sd exactly 10 (the population sd, 8.16, would say ADVANCED)
    result = module_readiness([75.0, 95.0, 85.0])
    assert result.mean == 85.0
    assert result.sd == 10.0
    assert result.level == ReadinessLevel.PROFICIENT


def test_only_the_last_window_counts() -> None:
    result = module_readiness([0.0, 10.0, 20.0, 90.0, 90.0, 90.0, 90.0, 90.0])
    assert result.attempts == 5
    assert result.mean == 90.0
    assert result.level == ReadinessLevel.ADVANCED


def test_custom_window() -> None:
    result = module_readiness([20.0, 100.0, 60.0, 80.0], ReadinessThresholds(window=3))
    assert result.attempts == 3
    assert result.mean == 80.0
    assert result.sd == 20.0
    assert result.level == ReadinessLevel.DEVELOPING


@pytest.mark.parametrize("bad", [-1.0, 100.5, math.nan, math.inf])
def test_rejects_scores_outside_percentages(bad: float) -> None:
    with pytest.raises(ValueError):
        module_readiness([50.0, bad])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window": 0},
        {"proficient_mean": 90.0},  # above advanced
        {"developing_mean": 75.0},  # above proficient
        {"advanced_sd": 20.0},  # looser than proficient
        {"proficient_sd": 0.0},
        {"advanced_mean": 120.0},
    ],
)
def test_thresholds_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ReadinessThresholds(**kwargs)  # type: ignore[arg-type]


@given(
    st.lists(st.integers(0, 80), min_size=1, max_size=12),
    st.integers(0, 20),
)
def test_higher_scores_never_lower_the_level(scores: list[int], lift: int) -> None:
    # Whole percentages keep the arithmetic exact: the lifted window has the same sd.
    before = module_readiness([float(s) for s in scores])
    after = module_readiness([float(s + lift) for s in scores])
    assert before.level is not None and after.level is not None
    assert after.sd == before.sd
    assert after.mean == pytest.approx(before.mean + lift if before.mean is not None else None)
    assert RANK[after.level] >= RANK[before.level]
    assert after.attempts == before.attempts == min(len(scores), 5)
