"""The vectorized activity features equal `risk_features` on the same days."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest

from stride.analytics.risk_features import (
    ActiveDay,
    LearnerHistory,
    activity_feature_matrix,
    risk_features,
)

AS_OF = date(2026, 11, 23)
ACTIVITY_FEATURES = 11


def _history(rng: random.Random) -> LearnerHistory:
    enrolled_on = AS_OF - timedelta(days=rng.randint(-5, 200))
    spread = rng.choice([3, 20, 60, 200])
    # Days after the as-of day too (a learner's local day can be ahead): they never count.
    offsets = rng.sample(range(-3, spread), rng.randint(0, min(spread, 40)))
    days = [
        ActiveDay(
            AS_OF - timedelta(days=o), rng.randint(1, 30), rng.choice([0.0, rng.random() * 90])
        )
        for o in offsets
    ]
    return LearnerHistory(enrolled_on=enrolled_on, days=days)


def _totals(history: LearnerHistory) -> tuple[list[int], float, int]:
    """What the database sums per learner (store.analytics_risk.day_totals), by hand."""
    ago = [(AS_OF - d.day).days for d in history.days if d.day <= AS_OF]
    events = {(AS_OF - d.day).days: d.events for d in history.days if d.day <= AS_OF}
    minutes = sum(d.minutes for d in history.days if d.day <= AS_OF)
    weeks = [sum(1 for a in ago if 7 * w <= a < 7 * (w + 1)) for w in (3, 2, 1, 0)]
    row = [
        len(ago),
        max(ago, default=0),
        min(ago, default=0),
        *weeks,
        sum(events.values()),
        sum(n for a, n in events.items() if a < 14),
        sum(n for a, n in events.items() if 14 <= a < 28),
    ]
    return row, minutes, (AS_OF - history.enrolled_on).days


def test_the_activity_features_equal_the_definition() -> None:
    rng = random.Random(6)
    histories = [_history(rng) for _ in range(400)]
    rows = [_totals(h) for h in histories]
    matrix = activity_feature_matrix(
        np.array([r for r, _, _ in rows], dtype=np.int64),
        np.array([m for _, m, _ in rows], dtype=np.float64),
        np.array([e for _, _, e in rows], dtype=np.int64),
    )
    expected = np.array([risk_features(h, AS_OF)[:ACTIVITY_FEATURES] for h in histories])
    assert matrix.shape == (400, ACTIVITY_FEATURES)
    assert matrix == pytest.approx(expected, rel=1e-12, abs=1e-12)
    # The cases that need care are among them: no day yet, days only after the as-of day.
    assert any(not r[0] for r, _, _ in rows) and any(r[0] for r, _, _ in rows)


def test_no_learners_give_an_empty_matrix() -> None:
    empty = activity_feature_matrix(
        np.zeros((0, 10), dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
    )
    assert empty.shape == (0, ACTIVITY_FEATURES)
