"""The risk model's features: values on a hand-made history, and blindness to the future."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.analytics.risk_features import (
    FEATURE_NAMES,
    ActiveDay,
    LearnerHistory,
    feature_matrix,
    linear_plan,
    risk_features,
)

START = date(2024, 1, 1)


def _named(history: LearnerHistory, as_of: date) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, risk_features(history, as_of), strict=True))


def test_features_of_a_small_history() -> None:
    history = LearnerHistory(
        enrolled_on=START,
        days=[ActiveDay(START + timedelta(days=d), 3, 10.0) for d in (0, 1, 8, 15)],
        scores=[(START + timedelta(days=1), 0.4), (START + timedelta(days=8), 0.8)],
        done=[START + timedelta(days=8)],
        planned=[START + timedelta(days=7), START + timedelta(days=14), START + timedelta(days=30)],
    )
    f = _named(history, START + timedelta(days=20))
    assert f["days_since_active"] == pytest.approx(1.791759, abs=1e-6)  # log1p(5)
    assert f["active_days"] == pytest.approx(1.609438, abs=1e-6)  # log1p(4)
    assert f["active_share_14d"] == pytest.approx(2 / 14)
    assert f["score_mean"] == pytest.approx(0.6)
    assert f["score_last"] == pytest.approx(0.8)
    assert f["score_trend"] == pytest.approx(0.4)
    assert f["no_score"] == 0.0
    assert f["pace_ratio"] == pytest.approx(0.5)  # one done of two due
    assert f["items_missed"] == pytest.approx(0.693147, abs=1e-6)  # log1p(1)


def test_a_learner_without_activity_or_scores_gets_neutral_values() -> None:
    f = _named(LearnerHistory(START, []), START + timedelta(days=9))
    assert f["days_since_active"] == pytest.approx(2.397895, abs=1e-6)  # log1p(10)
    assert f["no_score"] == 1.0
    assert f["score_mean"] == 0.5
    assert f["pace_ratio"] == 1.0  # nothing was due


day_offsets = st.lists(st.integers(-10, 80), max_size=30)


@given(day_offsets, day_offsets, st.integers(0, 60))
def test_nothing_after_the_as_of_day_changes_the_features(
    before: list[int], after: list[int], cut: int
) -> None:
    as_of = START + timedelta(days=cut)

    def history(offsets: list[int]) -> LearnerHistory:
        dates = sorted({START + timedelta(days=o) for o in offsets})
        return LearnerHistory(
            START,
            [ActiveDay(d, 2, 5.0) for d in dates],
            [(d, 0.5) for d in dates],
            dates,
            dates,
        )

    known = [o for o in before if o <= cut]
    future = [o for o in after if o > cut]
    assert risk_features(history(known), as_of) == risk_features(history(known + future), as_of)


def test_feature_matrix_shape_and_linear_plan() -> None:
    rows = [(LearnerHistory(START, []), START), (LearnerHistory(START, []), START)]
    assert feature_matrix(rows).shape == (2, len(FEATURE_NAMES))
    assert linear_plan(START, START + timedelta(days=30), 3) == (
        START + timedelta(days=10),
        START + timedelta(days=20),
        START + timedelta(days=30),
    )
    assert linear_plan(START, None, 3) == ()
