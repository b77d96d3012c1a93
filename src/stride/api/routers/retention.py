"""Raw-event retention: run it now for the caller's tenant, and list past runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from stride.api.deps import EngineDep, SettingsDep, require
from stride.clock import utc_now
from stride.privacy.retention import list_runs, run_retention
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/privacy/retention", tags=["privacy"])

Writer = Annotated[Principal, Depends(require("privacy:write"))]
Reader = Annotated[Principal, Depends(require("privacy:read"))]


class RetentionReportPublic(BaseModel):
    run: int | None = Field(description="The run's number; null when nothing had to run")
    cutoff: datetime | None = Field(
        description="Events before this instant were removed; null when the policy keeps "
        "raw events forever"
    )
    events_deleted: int
    files: int = Field(description="Parquet files written (0 without archiving)")
    archived: bool = Field(description="Whether removed events were archived first")
    seconds: float


class RetentionRunPublic(BaseModel):
    run: int
    ran_at: datetime
    cutoff: datetime
    events_deleted: int
    archived: bool


class RetentionRunsPublic(BaseModel):
    runs: list[RetentionRunPublic] = Field(description="The last 100 runs, newest first")


@router.post("/run", response_model=RetentionReportPublic)
def post_retention_run(
    principal: Writer, engine: EngineDep, settings: SettingsDep
) -> RetentionReportPublic:
    """Remove the tenant's raw events older than its policy's `retention.raw_events_days`
    (archiving them first when `retention.archive`); read models are kept. Idempotent."""
    report = run_retention(engine, principal, utc_now(), Path(settings.ARCHIVE_DIR))
    # The archive's server path is the operator's business, not the tenant's.
    return RetentionReportPublic(
        run=report.run_seq,
        cutoff=report.cutoff,
        events_deleted=report.events_deleted,
        files=len(report.files),
        archived=report.archive_dir is not None,
        seconds=round(report.seconds, 3),
    )


@router.get("/runs", response_model=RetentionRunsPublic)
def get_retention_runs(principal: Reader, engine: EngineDep) -> RetentionRunsPublic:
    """Past retention runs of the tenant (API, CLI and the daily job), newest first."""
    with engine.connect() as connection:
        runs = list_runs(connection, principal.tenant_id)
    return RetentionRunsPublic(
        runs=[
            RetentionRunPublic(
                run=r.seq,
                ran_at=r.ran_at,
                cutoff=r.cutoff,
                events_deleted=r.events_deleted,
                archived=r.archive is not None,
            )
            for r in runs
        ]
    )
