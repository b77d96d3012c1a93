"""The at-risk list: the rules from day one, with the tenant's risk model's score once one
was fitted and accepted (see docs/at-risk.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from stride.analytics.risk_data import EnrolledLearner, load_enrolled
from stride.analytics.risk_features import feature_matrix
from stride.analytics.risk_fit import ACCEPTED
from stride.analytics.risk_model import RiskModel, predict_risk, top_contributions
from stride.analytics.risk_rules import (
    MIN_ACTIVE_DAYS,
    Reason,
    ReasonCode,
    behind_plan,
    days_inactive,
    is_candidate,
    rule_reasons,
)
from stride.privacy.consent import learners_with_consent
from stride.privacy.policy import Purpose
from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.progress.learner import LearnerStats
from stride.store.analytics_risk import StoredRiskModel, load_risk_model


@dataclass(frozen=True)
class AtRiskLearner:
    learner_key: str
    program_id: str
    days_inactive: int
    last_active: datetime | None
    active_days: int
    completion: float | None
    reasons: list[Reason]
    score: float | None
    contributions: list[tuple[str, float]]


@dataclass(frozen=True)
class ModelState:
    status: str  # "none", "accepted" or "rejected"
    auc: float | None
    fitted_at: datetime | None


@dataclass(frozen=True)
class AtRiskPage:
    learners: list[AtRiskLearner]
    total: int
    inactive_days: int
    model: ModelState
    withheld: int  # learners left out because they do not consent to personalization


def usable_model(stored: StoredRiskModel | None) -> RiskModel | None:
    """The stored model when it met its floor; None otherwise (the rules alone then)."""
    if stored is None or stored.status != ACCEPTED:
        return None
    return RiskModel.from_document(stored.model)


def _model_state(stored: StoredRiskModel | None) -> ModelState:
    if stored is None:
        return ModelState("none", None, None)
    return ModelState(stored.status, stored.auc, stored.fitted_at)


def score_learners(
    model: RiskModel, learners: list[EnrolledLearner], now: datetime
) -> list[tuple[float, list[tuple[str, float]]]]:
    """(P(dropout), top contributing features) per learner, as of today."""
    if not learners:
        return []
    x = feature_matrix([(learner.history, now.date()) for learner in learners])
    scores = predict_risk(model, x)
    return [
        (float(p), top_contributions(model, row.tolist())) for p, row in zip(scores, x, strict=True)
    ]


def list_at_risk(
    connection: Connection,
    tenant_id: str,
    now: datetime,
    *,
    inactive_days: int,
    program_id: str | None = None,
    min_score: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AtRiskPage:
    """Flagged learners, riskiest first: by the rules, and (with `min_score` and an accepted
    model) by the model's score too."""
    stored = load_risk_model(connection, tenant_id)
    model = usable_model(stored)
    by_score = model is not None and min_score is not None

    def keep(enrollment: Enrollment, stats: LearnerStats | None) -> bool:
        # Cheap checks on the totals first, so only possible candidates are read in full.
        if enrollment.status is EnrollmentStatus.CANCELLED or stats is None:
            return False
        idle = (now - stats.last_active).days >= inactive_days
        return stats.active_days >= MIN_ACTIVE_DAYS and (idle or by_score)

    enrolled = [
        c
        for c in load_enrolled(
            connection,
            tenant_id,
            now,
            program_id=program_id,
            keep=keep,
            with_days=model is not None,
        )
        if is_candidate(c.candidate)
    ]
    # Risk is personalization: only learners who consent to it are assessed at all.
    consenting = learners_with_consent(
        connection, tenant_id, {c.candidate.learner_key for c in enrolled}, Purpose.PERSONALIZATION
    )
    candidates = [c for c in enrolled if c.candidate.learner_key in consenting]
    scored: list[tuple[float | None, list[tuple[str, float]]]] = (
        list(score_learners(model, candidates, now)) if model else [(None, [])] * len(candidates)
    )
    flagged: list[AtRiskLearner] = []
    for learner, (score, parts) in zip(candidates, scored, strict=True):
        reasons = rule_reasons(learner.candidate, now, inactive_days)
        if score is not None and min_score is not None and score >= min_score:
            if not reasons:
                behind = behind_plan(learner.candidate)
                reasons = [] if behind is None else [behind]
            reasons.insert(
                0,
                Reason(
                    ReasonCode.DROPOUT_RISK,
                    f"The tenant's risk model gives a {score:.0%} chance of dropping out.",
                ),
            )
        if not reasons:
            continue
        c = learner.candidate
        flagged.append(
            AtRiskLearner(
                c.learner_key,
                c.program_id,
                days_inactive(c, now),
                c.last_active,
                c.active_days,
                c.completion,
                reasons,
                score,
                parts if score is not None else [],
            )
        )
    flagged.sort(key=lambda a: (-(a.score or 0.0), -a.days_inactive, a.learner_key, a.program_id))
    withheld = len({c.candidate.learner_key for c in enrolled} - consenting)
    return AtRiskPage(
        flagged[offset : offset + limit],
        len(flagged),
        inactive_days,
        _model_state(stored),
        withheld,
    )


def learner_risk(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> float | None:
    """The learner's highest dropout risk over their open enrollments; None without an
    accepted model or an open enrollment."""
    model = usable_model(load_risk_model(connection, tenant_id))
    if model is None:
        return None
    open_ = [
        e
        for e in load_enrolled(connection, tenant_id, now, learner_key=learner_key)
        if e.candidate.cancelled_at is None and e.candidate.completed_at is None
    ]
    return max((p for p, _ in score_learners(model, open_, now)), default=None)
