"""The logistic risk model: fit, JSON round trip, contributions and evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from stride.analytics.risk_model import (
    RiskModel,
    evaluate_risk,
    fit_risk_model,
    held_out_mask,
    predict_risk,
    top_contributions,
)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] * 2 - x[:, 1] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    return x, y


def test_fit_predicts_and_survives_a_json_round_trip() -> None:
    x, y = _data()
    model = fit_risk_model(x, y, ("a", "b", "c"))
    p = predict_risk(model, x)
    assert evaluate_risk(y, p).auc > 0.9
    again = RiskModel.from_document(model.to_document())
    assert np.allclose(predict_risk(again, x), p)
    assert model.coef[0] > 0 > model.coef[1]


def test_contributions_name_the_features_that_push_the_risk_up() -> None:
    model = RiskModel(("a", "b", "c"), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (2.0, -1.0, 0.1), 0.0)
    assert top_contributions(model, [1.0, -3.0, -1.0]) == [("b", 3.0), ("a", 2.0)]
    assert top_contributions(model, [-1.0, 1.0, 0.0]) == []


@pytest.mark.parametrize(
    "document",
    [
        {"kind": "pickle"},
        {
            "kind": "logistic",
            "features": ["a"],
            "mean": [0],
            "scale": [1],
            "coef": [],
            "intercept": 0,
        },
    ],
)
def test_a_malformed_document_is_refused(document: dict[str, object]) -> None:
    with pytest.raises((ValueError, KeyError)):
        RiskModel.from_document(document)


def test_evaluation_reports_brier_and_reliability_bins() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.8, 0.95])
    e = evaluate_risk(y, p, bins=2)
    assert e.auc == 1.0
    assert e.brier == pytest.approx((0.01 + 0.04 + 0.04 + 0.0025) / 4)
    assert [(b.count, b.observed) for b in e.bins] == [(2, 0.0), (2, 1.0)]
    with pytest.raises(ValueError):
        evaluate_risk(np.array([1, 1]), np.array([0.2, 0.3]))


def test_held_out_learners_are_never_on_both_sides() -> None:
    groups = [f"l{i % 10}" for i in range(50)]
    mask = held_out_mask(groups, 0.3)
    held = {g for g, m in zip(groups, mask, strict=True) if m}
    kept = {g for g, m in zip(groups, mask, strict=True) if not m}
    assert len(held) == 3
    assert not held & kept
