"""The at-risk list: the rules from day one, with the tenant's risk model's score once one
was fitted and accepted (see docs/at-risk.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from stride.analytics.risk_data import (
    EnrolledLearner,
    OpenLearners,
    load_enrolled,
    load_open,
    open_features,
    planned_share,
)
from stride.analytics.risk_features import feature_matrix
from stride.analytics.risk_fit import ACCEPTED
from stride.analytics.risk_model import RiskModel, predict_risk, top_contributions
from stride.analytics.risk_rules import (
    MIN_ACTIVE_DAYS,
    Candidate,
    Reason,
    ReasonCode,
    behind_plan,
    days_inactive,
    is_candidate,
    rule_reasons,
)
from stride.privacy.consent import learners_with_consent
from stride.privacy.policy import Purpose
from stride.privacy.policy_service import get_policy
from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.progress.learner import LearnerStats
from stride.store.analytics_risk import OpenFilter, StoredRiskModel, load_risk_model, open_consents


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
    model) by the model's score too.

    The database selects the enrollments (not cancelled, active on enough days, and idle unless
    scores may flag them too); only the page's learners get their reasons and contributions
    spelled out (the straightforward definition is `list_at_risk_reference`)."""
    stored = load_risk_model(connection, tenant_id)
    model = usable_model(stored)
    by_score = model is not None and min_score is not None
    idle_before = now - timedelta(days=inactive_days)
    wanted = OpenFilter(MIN_ACTIVE_DAYS, None if by_score else idle_before, program_id)
    found = load_open(connection, tenant_id, now, wanted, with_history=model is not None)
    # Not completed: the rules' candidates (the other conditions are the database's filter).
    enrolled = [i for i, c in enumerate(found.completion) if c[1] is None]
    # Risk is personalization: only learners who consent to it are assessed at all.
    answers = open_consents(connection, tenant_id, wanted, Purpose.PERSONALIZATION.value)
    by_default = get_policy(connection, tenant_id).consent_by_default(Purpose.PERSONALIZATION)
    keys = {found.rows[i].learner_key for i in enrolled}
    consenting = {key for key in keys if answers.get(key, by_default)}
    candidates = [i for i in enrolled if found.rows[i].learner_key in consenting]
    x = open_features(found, candidates, now.date()) if model else None
    scores = predict_risk(model, x).tolist() if model and x is not None and len(candidates) else []
    flagged: list[tuple[float, int, str, str, int, int]] = []
    for n, i in enumerate(candidates):
        r = found.rows[i]
        score = scores[n] if model else None
        risky = score is not None and min_score is not None and score >= min_score
        if r.last_active <= idle_before or risky:
            idle = max((now - r.last_active).days, 0)
            flagged.append((-(score or 0.0), -idle, r.learner_key, r.program_id, i, n))
    flagged.sort()
    page = []
    for _, _, _, _, i, n in flagged[offset : offset + limit]:
        score = scores[n] if model else None
        parts = top_contributions(model, x[n].tolist()) if model and x is not None else []
        page.append(
            _flagged(_candidate(found, i, now), score, parts, now, inactive_days, min_score)
        )
    return AtRiskPage(
        page, len(flagged), inactive_days, _model_state(stored), len(keys - consenting)
    )


def _candidate(found: OpenLearners, index: int, now: datetime) -> Candidate:
    r = found.rows[index]
    completion, completed_at, _ = found.completion[index]
    return Candidate(
        learner_key=r.learner_key,
        program_id=r.program_id,
        enrolled_at=r.enrolled_at,
        active_days=r.active_days,
        last_active=r.last_active,
        completion=completion,
        completed_at=completed_at,
        cancelled_at=None,
        planned_share=planned_share(r.enrolled_at.date(), r.target_date, now.date()),
    )


def _flagged(
    c: Candidate,
    score: float | None,
    parts: list[tuple[str, float]],
    now: datetime,
    inactive_days: int,
    min_score: float | None,
) -> AtRiskLearner:
    """The listed learner with its reasons (the caller knows it is flagged)."""
    reasons = _reasons(c, score, now, inactive_days, min_score)
    assert reasons, "only flagged learners are spelled out"
    return AtRiskLearner(
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


def _reasons(
    c: Candidate, score: float | None, now: datetime, inactive_days: int, min_score: float | None
) -> list[Reason]:
    reasons = rule_reasons(c, now, inactive_days)
    if score is not None and min_score is not None and score >= min_score:
        if not reasons:
            behind = behind_plan(c)
            reasons = [] if behind is None else [behind]
        reasons.insert(
            0,
            Reason(
                ReasonCode.DROPOUT_RISK,
                f"The tenant's risk model gives a {score:.0%} chance of dropping out.",
            ),
        )
    return reasons


def list_at_risk_reference(
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
    """The at-risk list by its straightforward definition: every enrollment read in full and
    checked in Python. `list_at_risk` must equal it (tests hold them together)."""
    stored = load_risk_model(connection, tenant_id)
    model = usable_model(stored)
    by_score = model is not None and min_score is not None

    def keep(enrollment: Enrollment, stats: LearnerStats | None) -> bool:
        if enrollment.status is EnrollmentStatus.CANCELLED or stats is None:
            return False
        idle = (now - stats.last_active).days >= inactive_days
        return stats.active_days >= MIN_ACTIVE_DAYS and (idle or by_score)

    enrolled = [
        c
        for c in load_enrolled(connection, tenant_id, now, program_id=program_id, keep=keep)
        if is_candidate(c.candidate)
    ]
    consenting = learners_with_consent(
        connection, tenant_id, {c.candidate.learner_key for c in enrolled}, Purpose.PERSONALIZATION
    )
    candidates = [c for c in enrolled if c.candidate.learner_key in consenting]
    scored: list[tuple[float | None, list[tuple[str, float]]]] = (
        list(score_learners(model, candidates, now)) if model else [(None, [])] * len(candidates)
    )
    flagged = [
        _flagged(learner.candidate, score, parts, now, inactive_days, min_score)
        for learner, (score, parts) in zip(candidates, scored, strict=True)
        if _reasons(learner.candidate, score, now, inactive_days, min_score)
    ]
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
