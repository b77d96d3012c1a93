"""Streamed exports of events and read models (docs/exports.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import StreamingResponse

from stride.api.deps import EngineDep, SettingsDep, require
from stride.clock import utc_now
from stride.exports.datasets import DatasetName, dataset_named
from stride.exports.filters import parse_filter
from stride.exports.service import audit_export, plan_export, stream_export
from stride.exports.writers import MEDIA_TYPES, ExportFormat
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/exports", tags=["exports"])

Exporter = Annotated[Principal, Depends(require("exports:read"))]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The rows, streamed: JSON Lines, CSV, Parquet, or xAPI statements",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in sorted(set(MEDIA_TYPES.values()))
        },
    },
}


@router.get(
    "/{dataset}",
    response_class=StreamingResponse,
    responses=_RESPONSES,
    summary="Export a dataset (events or a read model), streamed; audited",
)
def export_dataset(
    dataset: DatasetName,
    request: Request,
    principal: Exporter,
    engine: EngineDep,
    settings: SettingsDep,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSONL,
    first_day: Annotated[date | None, Query(alias="from", description="First UTC day")] = None,
    last_day: Annotated[
        date | None, Query(alias="to", description="Last UTC day, inclusive")
    ] = None,
    program: Annotated[
        str | None, Query(max_length=256, description="A program id: rows of its activities")
    ] = None,
    types: Annotated[
        list[str] | None, Query(alias="type", description="Event types (events only), repeated")
    ] = None,
    purpose: Annotated[
        str, Query(description="analytics, or research: only learners consenting to research")
    ] = "analytics",
) -> StreamingResponse:
    """Rows of learners who consent to `purpose` now, by pseudonymous learner key."""
    where = parse_filter(
        dataset_named(dataset.value),
        first_day=first_day,
        last_day=last_day,
        program=program,
        types=types or (),
        purpose=purpose,
    )
    base_iri = (settings.PUBLIC_URL or str(request.base_url)).rstrip("/")
    plan = plan_export(engine, principal.tenant_id, dataset.value, export_format, where, base_iri)
    audit_export(engine, principal, plan, utc_now())
    headers = {
        "Content-Disposition": f'attachment; filename="{plan.filename}"',
        "Cache-Control": "no-store",  # learner-level data: no cache may keep a copy
    }
    return StreamingResponse(
        stream_export(engine, plan), media_type=MEDIA_TYPES[export_format], headers=headers
    )
