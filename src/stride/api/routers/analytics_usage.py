"""Usage, adoption, generic metrics and funnels under /v1/analytics (docs/analytics-usage.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from stride.analytics.funnels import FunnelOrder
from stride.analytics.funnels_service import FunnelRequest, get_drop_offs, get_funnel
from stride.analytics.metrics_service import MetricsRequest, get_metrics
from stride.analytics.usage_periods import report_range
from stride.analytics.usage_service import UsageRequest, get_usage
from stride.analytics.usage_views import DropOffsView, FunnelView, MetricsView, UsageView
from stride.api.analytics_freshness import caught_up
from stride.api.deps import EngineDep
from stride.clock import utc_now
from stride.events.types import EVENT_TYPE_PATTERN
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Analyst = Annotated[Principal, Depends(caught_up("analytics:read"))]
Instructor = Annotated[Principal, Depends(caught_up("analytics:learners"))]
Period = Annotated[
    Literal["day", "week", "month"], Query(description="UTC days, ISO weeks, months")
]
From = Annotated[date | None, Query(alias="from", description="First day (default: see docs)")]
To = Annotated[date | None, Query(description="Last day, inclusive (default: today, UTC)")]
EventType = Annotated[str, Query(pattern=EVENT_TYPE_PATTERN, description="e.g. custom.quiz")]
Steps = Annotated[
    list[str],
    Query(
        min_length=1,
        max_length=10,
        description="Ordered steps, `<type>` or `<type>:<activity id>`, repeated (or once, "
        "comma-separated), e.g. steps=activity.started:c1&steps=activity.completed:c1",
    ),
]
Window = Annotated[float, Query(gt=0, le=365, description="Conversion window, days")]
Order = Annotated[FunnelOrder, Query(description="sequential or strict (see docs)")]


@router.get("/usage", response_model=UsageView)
def usage(
    principal: Analyst,
    engine: EngineDep,
    period: Period = "day",
    from_: From = None,
    to: To = None,
    type: Annotated[list[str] | None, Query(max_length=50, description="Exact types")] = None,
    feature: Annotated[
        str | None, Query(pattern=r"^[a-z0-9_.-]{1,79}\.$", description="Type prefix, e.g. custom.")
    ] = None,
    since: Annotated[date | None, Query(description="Adoption: first use on or after")] = None,
) -> UsageView:
    """Events and distinct learners per event type and period; adoption since a date."""
    span = report_range(period, from_, to, utc_now().date())
    request = UsageRequest(span, tuple(type or ()), feature, since)
    with engine.connect() as connection:
        return get_usage(connection, principal.tenant_id, request)


@router.get("/metrics", response_model=MetricsView)
def metrics(
    principal: Analyst,
    engine: EngineDep,
    type: EventType,
    field: Annotated[
        str | None, Query(max_length=200, description="result.score, properties.<name>, ...")
    ] = None,
    breakdown: Annotated[
        str | None, Query(max_length=200, description="platform or properties.<name>")
    ] = None,
    period: Period = "day",
    from_: From = None,
    to: To = None,
) -> MetricsView:
    """Count, learners, sum, mean and percentiles of a numeric field of one event type."""
    span = report_range(period, from_, to, utc_now().date())
    with engine.connect() as connection:
        return get_metrics(
            connection, principal.tenant_id, MetricsRequest(type, span, field, breakdown)
        )


@router.get("/funnels", response_model=FunnelView)
def funnels(
    principal: Analyst,
    engine: EngineDep,
    steps: Steps,
    window_days: Window = 14,
    order: Order = FunnelOrder.SEQUENTIAL,
    from_: From = None,
    to: To = None,
) -> FunnelView:
    """Per step: learners, conversion from start and from the previous step, median times."""
    request = FunnelRequest(_split(steps), window_days, order, from_, to)
    with engine.connect() as connection:
        return get_funnel(connection, principal.tenant_id, request)


@router.get("/funnels/drop-offs", response_model=DropOffsView)
def funnel_drop_offs(
    principal: Instructor,
    engine: EngineDep,
    steps: Steps,
    step: Annotated[int, Query(ge=1, le=9, description="Reached this step, not the next")],
    window_days: Window = 14,
    order: Order = FunnelOrder.SEQUENTIAL,
    from_: From = None,
    to: To = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DropOffsView:
    """Keys of the learners who reached `step` and not the next one, sorted, paginated."""
    request = FunnelRequest(_split(steps), window_days, order, from_, to)
    with engine.connect() as connection:
        return get_drop_offs(connection, principal.tenant_id, request, step, (limit, offset))


def _split(steps: list[str]) -> tuple[str, ...]:
    """`steps=a&steps=b`, or `steps=a,b` when given once."""
    return tuple(steps[0].split(",")) if len(steps) == 1 else tuple(steps)
