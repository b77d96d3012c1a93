"""The dropout-risk model: logistic regression on standardized features (pure).

A fitted model is a handful of numbers (feature names, scaler mean and scale, coefficients,
intercept), stored as JSON: loading one never executes code, unlike a pickle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

REGULARIZATION_C = 0.5
MAX_ITER = 1000


@dataclass(frozen=True)
class RiskModel:
    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def to_document(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "features": list(self.feature_names),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> RiskModel:
        """Raises ValueError when the document is not a complete logistic model."""
        if document.get("kind") != "logistic":
            raise ValueError("not a logistic risk model")
        names = tuple(str(n) for n in document["features"])
        vectors = [tuple(float(v) for v in document[k]) for k in ("mean", "scale", "coef")]
        if any(len(v) != len(names) for v in vectors):
            raise ValueError("a risk model needs one mean, scale and coefficient per feature")
        mean, scale, coef = vectors
        return cls(names, mean, scale, coef, float(document["intercept"]))


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed: float | None


@dataclass(frozen=True)
class Evaluation:
    auc: float
    brier: float
    positives: int
    negatives: int
    bins: tuple[ReliabilityBin, ...]


def fit_risk_model(
    x: NDArray[np.float64], y: NDArray[np.int_], feature_names: Sequence[str]
) -> RiskModel:
    """Standardize the features and fit an L2-regularized logistic regression.

    Raises ValueError when `y` does not hold both classes.
    """
    if len(set(y.tolist())) < 2:
        raise ValueError("fitting needs both outcomes among the examples")
    # scikit-learn is imported on first use: it would slow every process's start-up.
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=REGULARIZATION_C, max_iter=MAX_ITER)
    model.fit((x - scaler.mean_) / scale, y)
    return RiskModel(
        tuple(feature_names),
        tuple(float(v) for v in scaler.mean_),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in model.coef_[0]),
        float(model.intercept_[0]),
    )


def _standardized(model: RiskModel, x: NDArray[np.float64]) -> NDArray[np.float64]:
    z: NDArray[np.float64] = (x - np.asarray(model.mean)) / np.asarray(model.scale)
    return z


def predict_risk(model: RiskModel, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """P(dropout) per row of `x`."""
    logits = _standardized(model, x) @ np.asarray(model.coef) + model.intercept
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
    return result


def top_contributions(
    model: RiskModel, features: Sequence[float], top: int = 3
) -> list[tuple[str, float]]:
    """The features pushing this learner's risk up most: coefficient x standardized value
    (in log-odds), largest first, positive ones only."""
    z = _standardized(model, np.asarray([features], dtype=np.float64))[0]
    parts = [
        (name, float(c * v)) for name, c, v in zip(model.feature_names, model.coef, z, strict=True)
    ]
    pushing = sorted((p for p in parts if p[1] > 0), key=lambda p: (-p[1], p[0]))
    return pushing[:top]


def evaluate_risk(
    y: NDArray[np.int_], predicted: NDArray[np.float64], bins: int = 10
) -> Evaluation:
    """Held-out AUC, Brier score and a reliability table (equal-width bins of predictions).

    Raises ValueError when `y` does not hold both classes.
    """
    if len(set(y.tolist())) < 2:
        raise ValueError("evaluation needs both outcomes among the held-out examples")
    table = []
    for i in range(bins):
        lower, upper = i / bins, (i + 1) / bins
        inside = (predicted >= lower) & ((predicted < upper) | (i == bins - 1))
        count = int(inside.sum())
        table.append(
            ReliabilityBin(
                lower,
                upper,
                count,
                float(predicted[inside].mean()) if count else None,
                float(y[inside].mean()) if count else None,
            )
        )
    from sklearn.metrics import brier_score_loss, roc_auc_score

    positives = int(y.sum())
    return Evaluation(
        auc=float(roc_auc_score(y, predicted)),
        brier=float(brier_score_loss(y, predicted)),
        positives=positives,
        negatives=len(y) - positives,
        bins=tuple(table),
    )


def held_out_mask(groups: Sequence[str], test_share: float, seed: int = 0) -> NDArray[np.bool_]:
    """Which rows are held out: a random `test_share` of the groups (learners), so no learner
    is on both sides."""
    distinct = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(distinct))
    count = max(1, math.floor(len(distinct) * test_share))
    test = {distinct[i] for i in order[:count]}
    return np.array([g in test for g in groups], dtype=bool)
