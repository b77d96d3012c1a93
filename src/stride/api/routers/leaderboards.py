"""Weekly leaderboards of a tenant, program or cohort."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from stride.api.deps import EngineDep, learner_key_for, require
from stride.clock import utc_now
from stride.errors import PermissionDenied
from stride.learners.leaderboards import LeaderboardRequest, LeaderboardView, get_leaderboard
from stride.tenancy.audit import ReadAuditBuffer
from stride.tenancy.roles import STAFF, Role
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/leaderboards", tags=["leaderboards"])

Reader = Annotated[Principal, Depends(require("leaderboards:read"))]


def _whose_rank(request: Request, principal: Principal, learner: str | None) -> str | None:
    """A learner token gets its own rank; staff may name a learner (an audited read of that
    learner's data); analysts see aggregates only."""
    if learner is None:
        return principal.learner_key
    if principal.role is Role.ANALYST:
        raise PermissionDenied("Analysts see leaderboards without one learner's rank.")
    key = learner_key_for(principal, learner)
    if principal.role in STAFF:
        buffer: ReadAuditBuffer = request.app.state.read_audit
        buffer.record(principal, "learner.read", router.prefix, key)
    return key


@router.get("", response_model=LeaderboardView)
def get_board(
    http: Request,
    principal: Reader,
    engine: EngineDep,
    period: Literal["week"] = "week",
    week: Annotated[date | None, Query(description="Any day of the week; default: now")] = None,
    program: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    cohort: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-W\d{2}$", description="ISO week of enrollment, e.g. 2026-W47"),
    ] = None,
    top: Annotated[int | None, Query(ge=1, le=100)] = None,
    learner: Annotated[
        str | None, Query(min_length=1, max_length=256, description="Whose rank to add")
    ] = None,
) -> LeaderboardView:
    """Top entries by points with competition ranking (1, 2, 2, 4), opted-in learners only."""
    request = LeaderboardRequest(week, program, cohort, top, _whose_rank(http, principal, learner))
    with engine.connect() as connection:
        return get_leaderboard(connection, principal.tenant_id, request, utc_now())
