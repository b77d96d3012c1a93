"""`stride fit risk`: fit a tenant's dropout-risk model from its learners' known outcomes.

Each enrollment whose outcome is known (risk_rules.known_outcome) gives one example per
cut-off day (CUTOFF_DAYS after enrolling) at which the learner was still enrolled and the
outcome still ahead: features as of that day, label "dropped out". Learners are split at
random into a training part and a held-out part (never both); the held-out AUC decides
whether the model is used (at least the floor) or stored as rejected. The stored model is
then refitted on every example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import Engine

from stride.analytics.risk_data import EnrolledLearner, load_enrolled
from stride.analytics.risk_features import FEATURE_NAMES, LearnerHistory, feature_matrix
from stride.analytics.risk_model import (
    Evaluation,
    RiskModel,
    evaluate_risk,
    fit_risk_model,
    held_out_mask,
    predict_risk,
)
from stride.analytics.risk_rules import Outcome, known_outcome
from stride.store.analytics_risk import StoredRiskModel, save_risk_model

CUTOFF_DAYS = (7, 14, 28, 56)
TEST_SHARE = 0.3
MIN_LEARNERS_PER_OUTCOME = 5
ACCEPTED, REJECTED = "accepted", "rejected"
INSUFFICIENT = "insufficient_data"  # nothing fitted or stored; the previous model stays


@dataclass(frozen=True)
class Examples:
    rows: list[tuple[LearnerHistory, date]]
    labels: np.ndarray
    groups: list[str]


@dataclass(frozen=True)
class RiskFit:
    status: str
    floor: float
    evaluation: Evaluation | None  # None when too few outcomes are known
    examples: int
    learners: int
    positives: int  # learners who dropped out
    model: RiskModel | None
    detail: str


def training_examples(enrolled: list[EnrolledLearner], now: datetime) -> Examples:
    """One example per (enrollment with a known outcome, cut-off day still before it)."""
    rows: list[tuple[LearnerHistory, date]] = []
    labels: list[int] = []
    groups: list[str] = []
    for learner in enrolled:
        outcome = known_outcome(learner.candidate, now)
        if outcome is None:
            continue
        for days in CUTOFF_DAYS:
            as_of = (learner.enrollment.enrolled_at + timedelta(days=days)).date()
            if as_of >= outcome.at.date() or as_of >= now.date():
                break
            rows.append((learner.history, as_of))
            labels.append(int(outcome.outcome is Outcome.DROPPED_OUT))
            groups.append(learner.enrollment.learner_key)
    return Examples(rows, np.array(labels, dtype=int), groups)


def _dropouts(examples: Examples) -> int:
    """Learners whose examples are labelled "dropped out"."""
    return len({g for g, y in zip(examples.groups, examples.labels, strict=True) if y == 1})


def _too_few(examples: Examples) -> str | None:
    """Why the examples cannot make a model; None when they can."""
    per_outcome = [
        len({g for g, y in zip(examples.groups, examples.labels, strict=True) if y == label})
        for label in (0, 1)
    ]
    if min(per_outcome) < MIN_LEARNERS_PER_OUTCOME:
        return (
            f"Too few known outcomes to fit a risk model: {per_outcome[1]} learners dropped out "
            f"and {per_outcome[0]} completed; each needs at least {MIN_LEARNERS_PER_OUTCOME}."
        )
    return None


def fit_risk(
    engine: Engine,
    tenant_id: str,
    now: datetime,
    *,
    floor: float,
    on_progress: Callable[[str, int], None] | None = None,
) -> RiskFit:
    """Fit, evaluate on held-out learners and store the tenant's model (rejected below
    `floor`). With too few known outcomes nothing is fitted or stored: the status then says
    INSUFFICIENT and `detail` why."""
    with engine.connect() as connection:
        enrolled = load_enrolled(connection, tenant_id, now)
    if on_progress:
        on_progress("read", len(enrolled))
    examples = training_examples(enrolled, now)
    y = examples.labels
    learners = len(set(examples.groups))
    problem = _too_few(examples)
    test = held_out_mask(examples.groups, TEST_SHARE) if problem is None else None
    if test is not None and (len(set(y[test].tolist())) < 2 or len(set(y[~test].tolist())) < 2):
        problem = "The held-out learners do not include both outcomes; more are needed."
    if problem is not None or test is None:
        return RiskFit(
            INSUFFICIENT,
            floor,
            None,
            len(examples.rows),
            learners,
            _dropouts(examples),
            None,
            problem or "",
        )
    x = feature_matrix(examples.rows)
    held_out = fit_risk_model(x[~test], y[~test], FEATURE_NAMES)
    evaluation = evaluate_risk(y[test], predict_risk(held_out, x[test]))
    model = fit_risk_model(x, y, FEATURE_NAMES)
    if on_progress:
        on_progress("fit", len(enrolled))
    accepted = evaluation.auc >= floor
    fit = RiskFit(
        ACCEPTED if accepted else REJECTED,
        floor,
        evaluation,
        len(examples.rows),
        learners,
        _dropouts(examples),
        model,
        f"Held-out AUC {evaluation.auc:.3f} "
        + ("meets" if accepted else "is below")
        + f" the floor {floor:.2f}.",
    )
    with engine.begin() as connection:
        save_risk_model(connection, tenant_id, _stored(fit, now))
    return fit


def _stored(fit: RiskFit, now: datetime) -> StoredRiskModel:
    e, model = fit.evaluation, fit.model
    assert e is not None and model is not None
    return StoredRiskModel(
        status=fit.status,
        fitted_at=now,
        auc=e.auc,
        brier=e.brier,
        floor=fit.floor,
        examples=fit.examples,
        learners=fit.learners,
        positives=fit.positives,
        model=model.to_document(),
        evaluation={
            "positives": e.positives,
            "negatives": e.negatives,
            "bins": [
                {
                    "lower": b.lower,
                    "upper": b.upper,
                    "count": b.count,
                    "mean_predicted": b.mean_predicted,
                    "observed": b.observed,
                }
                for b in e.bins
            ],
        },
    )
