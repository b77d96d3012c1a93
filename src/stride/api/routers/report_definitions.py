"""Custom reports: saved definitions, running them, and their runs (docs/reports.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from stride.api.deps import EngineDep, SettingsDep, require
from stride.api.schemas.report_definitions import (
    ReportDefinitionCreate,
    ReportDefinitionCreated,
    ReportDefinitionPublic,
    ReportDefinitionsPublic,
    ReportRunPublic,
    ReportRunsPublic,
    RunStatus,
)
from stride.clock import utc_now
from stride.config import Settings
from stride.reports import custom_reports as service
from stride.reports.schedule_job import ReportJob
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Reader = Annotated[Principal, Depends(require("analytics:read"))]
Writer = Annotated[Principal, Depends(require("reports:write"))]
ReportId = Annotated[str, Path(min_length=1, max_length=64)]
RunId = Annotated[str, Path(min_length=1, max_length=64)]


def _request(body: ReportDefinitionCreate) -> service.DefinitionRequest:
    return service.DefinitionRequest(**body.model_dump())


def _rules(settings: Settings) -> service.DeliveryRules:
    return service.DeliveryRules(
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS, tuple(settings.REPORT_DIRECTORIES)
    )


@router.post("/definitions", response_model=ReportDefinitionCreated, status_code=201)
def post_definition(
    body: ReportDefinitionCreate, principal: Writer, engine: EngineDep, settings: SettingsDep
) -> ReportDefinitionCreated:
    """Save a custom report; with `cron` it runs on schedule, with `delivery` it is sent."""
    row = service.create_definition(engine, principal, _request(body), _rules(settings), utc_now())
    return ReportDefinitionCreated(**ReportDefinitionPublic.of(row).model_dump(), secret=row.secret)


@router.get("/definitions", response_model=ReportDefinitionsPublic)
def get_definitions(principal: Reader, engine: EngineDep) -> ReportDefinitionsPublic:
    rows = service.list_definitions(engine, principal.tenant_id)
    return ReportDefinitionsPublic(definitions=[ReportDefinitionPublic.of(r) for r in rows])


@router.get("/definitions/{report_id}", response_model=ReportDefinitionPublic)
def get_definition(
    report_id: ReportId, principal: Reader, engine: EngineDep
) -> ReportDefinitionPublic:
    return ReportDefinitionPublic.of(service.get_definition(engine, principal.tenant_id, report_id))


@router.put("/definitions/{report_id}", response_model=ReportDefinitionPublic)
def put_definition(
    report_id: ReportId,
    body: ReportDefinitionCreate,
    principal: Writer,
    engine: EngineDep,
    settings: SettingsDep,
) -> ReportDefinitionPublic:
    """Replace the definition (a webhook delivery keeps its signing secret)."""
    row = service.update_definition(
        engine, principal, report_id, _request(body), _rules(settings), utc_now()
    )
    return ReportDefinitionPublic.of(row)


@router.delete("/definitions/{report_id}", status_code=204)
def delete_definition(report_id: ReportId, principal: Writer, engine: EngineDep) -> Response:
    """Delete the definition and its runs."""
    service.delete_definition(engine, principal, report_id, utc_now())
    return Response(status_code=204)


@router.post("/definitions/{report_id}/run", response_model=ReportRunPublic, status_code=201)
def post_run(report_id: ReportId, principal: Writer, request: Request) -> ReportRunPublic:
    """Run the report now: rendered, stored and delivered (a failed delivery is retried)."""
    job: ReportJob = request.app.state.reports
    return ReportRunPublic.of(job.runner.run_now(principal.tenant_id, report_id, utc_now()))


@router.get("/runs", response_model=ReportRunsPublic)
def get_runs(
    principal: Reader,
    engine: EngineDep,
    report: Annotated[str | None, Query(max_length=64)] = None,
    status: RunStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReportRunsPublic:
    """The tenant's report runs, newest first."""
    page = service.list_runs(engine, principal.tenant_id, report, status, cursor, limit)
    return ReportRunsPublic(
        runs=[ReportRunPublic.of(r) for r in page.runs], next_cursor=page.next_cursor
    )


@router.get("/runs/{run_id}", response_model=ReportRunPublic)
def get_run(run_id: RunId, principal: Reader, engine: EngineDep) -> ReportRunPublic:
    return ReportRunPublic.of(service.get_run(engine, principal.tenant_id, run_id))


@router.get("/runs/{run_id}/output", responses={200: {"content": {"application/pdf": {}}}})
def get_output(run_id: RunId, principal: Reader, engine: EngineDep) -> Response:
    """The run's stored output, with its media type."""
    content, media_type = service.run_output(engine, principal.tenant_id, run_id)
    headers = {"Content-Disposition": f'attachment; filename="report-{run_id[:36]}"'}
    return Response(content, media_type=media_type, headers=headers)
