"""Learner and tenant reports (docs/reports.md): JSON, HTML, PDF and CSV.

The endpoints are sync: gathering reads the database and rendering (PDF, charts) is CPU
work, so FastAPI runs them in its thread pool, never on the event loop.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from stride.api.analytics_freshness import caught_up
from stride.api.deps import EngineDep, LearnerReader, learner_key_for
from stride.clock import utc_now
from stride.reports.formats import (
    LearnerFormat,
    Rendered,
    TenantFormat,
    file_name,
    render_learner,
    render_tenant,
)
from stride.reports.learner_report import build_learner_report
from stride.reports.periods import ReportKind
from stride.reports.schemas import LearnerReportPublic, TenantReportPublic
from stride.reports.tenant_report import SummaryDefinition, build_tenant_report
from stride.tenancy.service import Principal

router = APIRouter(tags=["reports"])

Analyst = Annotated[Principal, Depends(caught_up("analytics:read"))]
LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]
PeriodParam = Annotated[ReportKind, Query(description="`week` (Monday to Sunday) or `month`")]
EndParam = Annotated[
    date | None,
    Query(
        description="A day of the period to report (1900-01-01..2999-12-31); default: the "
        "last full period"
    ),
]
OTHER_FORMATS = {
    200: {
        "content": {
            "text/html": {},
            "application/pdf": {},
            "text/csv": {"description": "format=csv (learner reports only)"},
        }
    }
}


# The page's own style and inlined charts, and nothing else (no script, no fetch).
HTML_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _download(rendered: Rendered, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if rendered.extension == "html":
        headers = {
            "Content-Disposition": f'inline; filename="{name}"',
            "Content-Security-Policy": HTML_POLICY,
        }
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)


@router.get(
    "/v1/learners/{learner_id}/reports",
    response_model=LearnerReportPublic,
    responses=OTHER_FORMATS,  # type: ignore[arg-type]
)
def get_learner_report(
    learner_id: LearnerId,
    principal: LearnerReader,
    engine: EngineDep,
    period: PeriodParam = "week",
    end: EndParam = None,
    fmt: Annotated[LearnerFormat, Query(alias="format")] = "json",
) -> LearnerReportPublic | Response:
    """The learner's weekly or monthly report: summary against the previous period,
    achievements, improvements, challenges, recommendations and suggested goals."""
    key = learner_key_for(principal, learner_id)
    with engine.connect() as connection:
        report = build_learner_report(
            connection, principal.tenant_id, key, learner_id, period, end, utc_now()
        )
    if fmt == "json":
        return LearnerReportPublic.model_validate(report)
    name = file_name(f"learner-{period}", report.period.start.isoformat(), fmt)
    return _download(render_learner(report, fmt), name)


@router.get(
    "/v1/reports/summary",
    response_model=TenantReportPublic,
    responses=OTHER_FORMATS,  # type: ignore[arg-type]
)
def get_summary(
    principal: Analyst,
    engine: EngineDep,
    period: PeriodParam = "week",
    end: EndParam = None,
    fmt: Annotated[TenantFormat, Query(alias="format")] = "json",
) -> TenantReportPublic | Response:
    """The tenant's executive summary: engagement, retention, completions, certificates,
    outcomes and the at-risk count, against the previous period, with highlights."""
    definition = SummaryDefinition(kind=period, end=end)
    with engine.connect() as connection:
        report = build_tenant_report(connection, principal.tenant_id, definition, utc_now())
    if fmt == "json":
        return TenantReportPublic.model_validate(report)
    name = file_name(f"summary-{period}", report.period.start.isoformat(), fmt)
    return _download(render_tenant(report, fmt), name)
