"""Analytics endpoints under /v1/analytics (see docs/analytics.md): engagement, retention and
lifecycle, read from the rollups kept at ingest."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from stride.analytics.engagement_schemas import EngagementPublic, LifecyclePublic, RetentionPublic
from stride.analytics.engagement_service import (
    Breakdown,
    get_engagement,
    get_lifecycle,
    resolve_range,
)
from stride.analytics.periods import Kind
from stride.analytics.retention_fold import ANY, RETENTION_EVENT_TYPES
from stride.analytics.retention_service import (
    DEFAULT_COHORTS,
    MAX_COHORTS,
    Entry,
    RetentionQuery,
    get_retention,
)
from stride.api.analytics_freshness import caught_up
from stride.api.deps import EngineDep
from stride.clock import utc_now
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Analyst = Annotated[Principal, Depends(caught_up("analytics:read"))]
Period = Annotated[Kind, Query(description="Periods of learners' local days")]
From = Annotated[
    date | None, Query(alias="from", description="First local day; default: a recent span")
]
To = Annotated[date | None, Query(description="Last local day (inclusive); default: today")]
# "any" (any activity) or one of the event types retention is kept for.
_EVENT = "^(?:" + "|".join(sorted({"any", *RETENTION_EVENT_TYPES})).replace(".", "\\.") + ")$"
EventParam = Annotated[
    str,
    Query(
        pattern=_EVENT, description="`any`, or one of: " + ", ".join(sorted(RETENTION_EVENT_TYPES))
    ),
]


ProgramParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=256,
        description="A program's activity id: only its learners' activity in it",
    ),
]


def _event(name: str) -> str:
    return ANY if name == "any" else name


@router.get("/engagement", response_model=EngagementPublic)
def engagement(
    principal: Analyst,
    engine: EngineDep,
    period: Period = "day",
    from_: From = None,
    to: To = None,
    breakdown: Annotated[
        Breakdown | None, Query(description="Also per program, course or platform")
    ] = None,
) -> EngagementPublic:
    """DAU, WAU, MAU, stickiness, sessions and time invested per period (at most 92 days,
    53 weeks or 24 months); groups below the tenant's min_group_size are withheld."""
    today = utc_now().date()
    span = resolve_range(period, from_, to, today)
    with engine.connect() as connection:
        report = get_engagement(connection, principal.tenant_id, span, breakdown, today)
    return EngagementPublic.model_validate(report)


@router.get("/retention", response_model=RetentionPublic)
def retention(
    principal: Analyst,
    engine: EngineDep,
    period: Period = "week",
    from_: Annotated[
        date | None, Query(alias="from", description="First cohort's day; default: recent")
    ] = None,
    to: Annotated[date | None, Query(description="Last cohort's day; default: today")] = None,
    start_event: EventParam = "any",
    return_event: EventParam = "any",
    entry: Annotated[
        Entry, Query(description="`first`: a learner's first start period only; `recurring`")
    ] = "first",
    mode: Annotated[
        Literal["on", "on_or_after"],
        Query(alias="return", description="Returned in the period, or in it or later"),
    ] = "on",
    program: ProgramParam = None,
) -> RetentionPublic:
    """Cohorts by start period: size (period 0) and learners who returned in each later
    period, with a weighted mean row; cohorts below min_group_size are withheld. With
    `program`, of any activity in that program only."""
    today = utc_now().date()
    span = resolve_range(period, from_, to, today, DEFAULT_COHORTS, MAX_COHORTS)
    query = RetentionQuery(span, _event(start_event), _event(return_event), entry, mode, program)
    with engine.connect() as connection:
        report = get_retention(connection, principal.tenant_id, query, today)
    return RetentionPublic.model_validate(report)


@router.get("/lifecycle", response_model=LifecyclePublic)
def lifecycle(
    principal: Analyst,
    engine: EngineDep,
    period: Period = "week",
    from_: From = None,
    to: To = None,
    program: ProgramParam = None,
) -> LifecyclePublic:
    """New, returning, resurrecting and dormant learners per period (docs/analytics.md), of
    everyone or of one program's learners (withheld below min_group_size)."""
    today = utc_now().date()
    span = resolve_range(period, from_, to, today)
    with engine.connect() as connection:
        report = get_lifecycle(connection, principal.tenant_id, span, today, program)
    return LifecyclePublic.model_validate(report)
