"""Schemas of the at-risk and recommendation endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from stride.analytics.recommendations_rules import Kind, Recommendation
from stride.analytics.risk import AtRiskPage
from stride.analytics.risk_fit import RiskFit
from stride.analytics.risk_rules import ReasonCode


class ReasonPublic(BaseModel):
    code: ReasonCode
    detail: str


class ContributionPublic(BaseModel):
    feature: str
    log_odds: float = Field(description="Coefficient x standardized value: its push on the risk")


class AtRiskLearnerPublic(BaseModel):
    learner_key: str = Field(description="The pseudonymous key Stride stores the learner under")
    program_id: str
    days_inactive: int
    last_active: datetime | None
    active_days: int
    completion: float | None = Field(description="None when the catalog lacks the program")
    reasons: list[ReasonPublic]
    score: float | None = Field(description="P(dropout) from an accepted model; else None")
    contributions: list[ContributionPublic] = Field(
        description="The features raising the score most (empty without a score)"
    )


class RiskModelStatePublic(BaseModel):
    status: str = Field(description="none, accepted or rejected (rules only unless accepted)")
    auc: float | None
    fitted_at: datetime | None


class AtRiskPagePublic(BaseModel):
    learners: list[AtRiskLearnerPublic]
    total: int
    limit: int
    offset: int
    inactive_days: int
    model: RiskModelStatePublic
    withheld: int = Field(description="Enrolled learners not assessed: no personalization consent")


class RiskFitRequest(BaseModel):
    floor: float | None = Field(
        default=None, ge=0.5, le=1.0, description="Held-out AUC to reach; default the setting"
    )


class ReliabilityBinPublic(BaseModel):
    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed: float | None


class RiskFitPublic(BaseModel):
    status: str = Field(
        description="accepted (in use), rejected (below the floor, not used) or "
        "insufficient_data (nothing fitted; the previous model stays)"
    )
    detail: str
    floor: float
    auc: float | None
    brier: float | None
    examples: int
    learners: int
    positives: int = Field(description="Learners who dropped out among them")
    reliability: list[ReliabilityBinPublic]


class RecommendationPublic(BaseModel):
    kind: Kind
    reason: str
    activity_id: str | None
    skill_id: str | None


class RecommendationsPublic(BaseModel):
    learner_key: str
    recommendations: list[RecommendationPublic]


def at_risk_public(page: AtRiskPage, limit: int, offset: int) -> AtRiskPagePublic:
    return AtRiskPagePublic(
        learners=[
            AtRiskLearnerPublic(
                learner_key=a.learner_key,
                program_id=a.program_id,
                days_inactive=a.days_inactive,
                last_active=a.last_active,
                active_days=a.active_days,
                completion=a.completion,
                reasons=[ReasonPublic(code=r.code, detail=r.detail) for r in a.reasons],
                score=a.score,
                contributions=[
                    ContributionPublic(feature=name, log_odds=value)
                    for name, value in a.contributions
                ],
            )
            for a in page.learners
        ],
        total=page.total,
        limit=limit,
        offset=offset,
        inactive_days=page.inactive_days,
        model=RiskModelStatePublic(
            status=page.model.status, auc=page.model.auc, fitted_at=page.model.fitted_at
        ),
        withheld=page.withheld,
    )


def fit_public(fit: RiskFit) -> RiskFitPublic:
    e = fit.evaluation
    return RiskFitPublic(
        status=fit.status,
        detail=fit.detail,
        floor=fit.floor,
        auc=e.auc if e else None,
        brier=e.brier if e else None,
        examples=fit.examples,
        learners=fit.learners,
        positives=fit.positives,
        reliability=[
            ReliabilityBinPublic(
                lower=b.lower,
                upper=b.upper,
                count=b.count,
                mean_predicted=b.mean_predicted,
                observed=b.observed,
            )
            for b in (e.bins if e else ())
        ],
    )


def recommendations_public(learner_key: str, found: list[Recommendation]) -> RecommendationsPublic:
    return RecommendationsPublic(
        learner_key=learner_key,
        recommendations=[
            RecommendationPublic(
                kind=r.kind, reason=r.reason, activity_id=r.activity_id, skill_id=r.skill_id
            )
            for r in found
        ],
    )
