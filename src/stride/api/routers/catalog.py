"""The tenant's catalog: PUT (JSON or YAML) to apply, GET to read."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from stride.api.body import media_type_of, read_body
from stride.api.deps import EngineDep, SettingsDep, require
from stride.api.problems import UnsupportedMediaType
from stride.catalog import load_catalog_text
from stride.catalog.service import apply_catalog, get_catalog_document
from stride.clock import utc_now
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/catalog", tags=["catalog"])

_MEDIA_TYPES = {
    "application/json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
}

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
        "description": "The whole catalog document (see docs/catalog.md).",
    }
}


class AppliedCatalogPublic(BaseModel):
    version: int
    applied_at: datetime
    activities: int
    skills: int
    dimensions: int
    mastery_refolded: bool
    events_refolded: int


class CatalogPublic(BaseModel):
    version: int
    applied_at: datetime
    catalog: dict[str, Any]


@router.put(
    "",
    response_model=AppliedCatalogPublic,
    summary="Apply the tenant's catalog (replaces it whole; nothing applies if it is invalid)",
    openapi_extra=_BODY_DOC,
    responses={413: {"description": "Body too large"}, 415: {"description": "Not JSON or YAML"}},
)
async def put_catalog(
    request: Request,
    principal: Annotated[Principal, Depends(require("catalog:write"))],
    engine: EngineDep,
    settings: SettingsDep,
) -> AppliedCatalogPublic:
    media_type = media_type_of(request)
    if media_type not in _MEDIA_TYPES:
        raise UnsupportedMediaType(
            "Send the catalog as JSON (application/json) or YAML (application/yaml)."
        )
    body = await read_body(request, settings.MAX_BODY_BYTES)
    document = load_catalog_text(body, content_type=media_type)
    applied = await run_in_threadpool(
        apply_catalog, engine, principal.tenant_id, document, utc_now(), None, principal
    )
    summary = asdict(applied)
    summary.pop("document")
    return AppliedCatalogPublic.model_validate(summary)


@router.get("", response_model=CatalogPublic, summary="The tenant's catalog as applied")
def get_catalog(
    principal: Annotated[Principal, Depends(require("catalog:read"))], engine: EngineDep
) -> CatalogPublic:
    version, applied_at, document = get_catalog_document(engine, principal.tenant_id)
    return CatalogPublic(version=version, applied_at=applied_at, catalog=document)
