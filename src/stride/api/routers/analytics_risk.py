"""Analytics endpoints under /v1/analytics (see docs/analytics.md): at-risk learners, the
dropout-risk model and recommendations (docs/at-risk.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from stride.analytics.recommendations import learner_recommendations
from stride.analytics.risk import list_at_risk
from stride.analytics.risk_fit import fit_risk
from stride.analytics.risk_rules import DEFAULT_INACTIVE_DAYS
from stride.api.deps import EngineDep, LearnerReader, SettingsDep, learner_key_for, require
from stride.api.schemas.analytics_risk import (
    AtRiskPagePublic,
    RecommendationsPublic,
    RiskFitPublic,
    RiskFitRequest,
    at_risk_public,
    fit_public,
    recommendations_public,
)
from stride.clock import utc_now
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

LearnerLists = Annotated[Principal, Depends(require("analytics:learners"))]
Fitter = Annotated[Principal, Depends(require("analytics:fit"))]


@router.get("/at-risk", response_model=AtRiskPagePublic)
def get_at_risk(
    principal: LearnerLists,
    engine: EngineDep,
    inactive_days: Annotated[
        int, Query(ge=1, le=365, description="Days without activity that flag a learner")
    ] = DEFAULT_INACTIVE_DAYS,
    program: Annotated[
        str | None, Query(min_length=1, max_length=256, description="Program or course id")
    ] = None,
    min_score: Annotated[
        float | None,
        Query(ge=0, le=1, description="Also flag learners the accepted model scores this high"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AtRiskPagePublic:
    """Enrolled learners, active beyond a first visit and not done, who stopped (no activity
    for `inactive_days`), each with its reasons; with the tenant's accepted risk model, their
    dropout risk and the features behind it, riskiest first."""
    with engine.connect() as connection:
        page = list_at_risk(
            connection,
            principal.tenant_id,
            utc_now(),
            inactive_days=inactive_days,
            program_id=program,
            min_score=min_score,
            limit=limit,
            offset=offset,
        )
    return at_risk_public(page, limit, offset)


@router.post("/at-risk/fit", response_model=RiskFitPublic)
def post_fit(
    principal: Fitter, engine: EngineDep, settings: SettingsDep, body: RiskFitRequest | None = None
) -> RiskFitPublic:
    """Fit the tenant's dropout-risk model (as `stride fit risk`); below the AUC floor it is
    stored as rejected and the at-risk list keeps to its rules; with too few known outcomes,
    nothing is fitted (status insufficient_data)."""
    floor = body.floor if body and body.floor is not None else settings.RISK_AUC_FLOOR
    return fit_public(fit_risk(engine, principal.tenant_id, utc_now(), floor=floor))


@router.get("/recommendations/{learner_id}", response_model=RecommendationsPublic)
def get_recommendations(
    learner_id: Annotated[str, Path(min_length=1, max_length=256)],
    principal: LearnerReader,
    engine: EngineDep,
) -> RecommendationsPublic:
    """What the learner could do next, each with its reason (staff, or the learner's own
    token; needs the learner's personalization consent)."""
    key = learner_key_for(principal, learner_id)
    with engine.connect() as connection:
        found = learner_recommendations(connection, principal.tenant_id, key, utc_now())
    return recommendations_public(key, found)
