"""Analytics endpoints under /v1/analytics (see docs/analytics.md): data quality."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from stride.analytics.anomalies import (
    DEFAULT_HISTORY_WEEKS,
    DEFAULT_THRESHOLD,
    MIN_HISTORY_WEEKS,
)
from stride.analytics.quality import QualityRequest, get_data_quality
from stride.analytics.quality_periods import Period
from stride.analytics.quality_views import DataQualityView
from stride.api.deps import EngineDep, require
from stride.clock import utc_now
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Analyst = Annotated[Principal, Depends(require("analytics:read"))]


@router.get("/data-quality", response_model=DataQualityView, response_model_by_alias=True)
def get_quality(
    principal: Analyst,
    engine: EngineDep,
    period: Annotated[
        Period, Query(description="Group days by UTC day, ISO week or month")
    ] = "day",
    from_: Annotated[
        date | None,
        Query(alias="from", description="First UTC day; default: 30 days, 12 weeks or 12 months"),
    ] = None,
    to: Annotated[
        date | None, Query(description="Last UTC day (inclusive); default: today")
    ] = None,
    threshold: Annotated[
        float, Query(gt=0, le=100, description="|z| from which an hour is an anomaly")
    ] = DEFAULT_THRESHOLD,
    history_weeks: Annotated[
        int,
        Query(ge=MIN_HISTORY_WEEKS, le=52, description="Past weeks an hour is compared with"),
    ] = DEFAULT_HISTORY_WEEKS,
) -> DataQualityView:
    """Accepted, duplicate, conflict and rejected events (by reason), lateness, clock skew, PII
    findings per period, and hourly volume anomalies (docs/data-quality.md)."""
    request = QualityRequest(period, from_, to, threshold, history_weeks)
    with engine.connect() as connection:
        return get_data_quality(connection, principal.tenant_id, request, utc_now())
