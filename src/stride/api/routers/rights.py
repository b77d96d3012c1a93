"""The learner's rights: export everything held on them (GDPR art. 15, 20), or erase it (17)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from stride.api.deps import EngineDep, learner_key_for, require
from stride.api.schemas.rights import ErasurePublic, LearnerExportPublic
from stride.clock import utc_now
from stride.learners.export_formats import FILENAMES, MEDIA_TYPES, ExportFormat, render
from stride.learners.rights import erase_and_audit, export_and_audit
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/learners", tags=["learner rights"])

Exporter = Annotated[Principal, Depends(require("learners:export"))]
Eraser = Annotated[Principal, Depends(require("learners:erase"))]
LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]

_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The learner's data: one JSON document, or a ZIP of one CSV per table",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    },
    404: {"description": "The tenant holds nothing on this learner"},
    413: {"description": "Too many rows to export over the API; use `stride learners export`"},
}


@router.get(
    "/{learner_id}/export",
    response_model=LearnerExportPublic,
    responses=_EXPORT_RESPONSES,
    summary="Export every row held on the learner (access and portability)",
)
def get_export(
    learner_id: LearnerId,
    principal: Exporter,
    engine: EngineDep,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSON,
) -> Response:
    """Events in log order and every other learner-tied table; the export is audited."""
    export = export_and_audit(
        engine, principal, learner_key_for(principal, learner_id), utc_now(), export_format.value
    )
    # Personal data: no cache (browser or proxy) may keep a copy.
    headers = {"Cache-Control": "no-store"}
    if export_format is ExportFormat.ZIP:
        headers["Content-Disposition"] = f'attachment; filename="{FILENAMES[export_format]}"'
    return Response(
        render(export, export_format), media_type=MEDIA_TYPES[export_format], headers=headers
    )


@router.delete(
    "/{learner_id}",
    response_model=ErasurePublic,
    summary="Erase every row held on the learner (idempotent)",
)
def delete_learner(learner_id: LearnerId, principal: Eraser, engine: EngineDep) -> ErasurePublic:
    """Deletes the learner's events (derived ones too) and read models in one transaction,
    and records the erasure in the audit log. Erasing again answers zero counts."""
    report = erase_and_audit(engine, principal, learner_key_for(principal, learner_id), utc_now())
    return ErasurePublic(erased_at=report.erased_at, tables=report.deleted, total=report.total)
