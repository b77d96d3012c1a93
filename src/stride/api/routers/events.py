"""POST /v1/events: ingest one event or a batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from stride.api.body import read_json_body
from stride.api.deps import EngineDep, MetricsDep, SettingsDep, require
from stride.api.ingest_body import report_body, split_events
from stride.api.problems import problem
from stride.api.responses import JSONBody
from stride.api.schemas.events import IngestResultPublic
from stride.clock import utc_now
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, RejectReason, TenantScope, ingest_events
from stride.tenancy.service import Principal

router = APIRouter(tags=["events"])

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Event"},
                        {"$ref": "#/components/schemas/EventBatch"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                    ]
                }
            }
        },
    }
}


# A body holding one event answers like a single resource would when that event is refused.
# A lone event refused for who it is about or what it holds, rather than for its form.
_REJECTION_PROBLEMS = {
    RejectReason.CONSENT: (
        403,
        "consent_required",
        "The learner has not consented to analytics; the event was not stored.",
    ),
    RejectReason.PII: (
        422,
        "personal_data",
        "The event holds personal data in a field this tenant's policy rejects it in.",
    ),
}

_SINGLE_EVENT_PROBLEMS = {
    EventStatus.REJECTED: (422, "invalid_event", "The event failed validation."),
    EventStatus.CONFLICT: (
        409,
        "conflict",
        "An event with this id is already stored with other content.",
    ),
}


@router.post(
    "/v1/events",
    response_model=IngestResultPublic,
    summary="Record one event or a batch of up to 1000",
    openapi_extra=_BODY_DOC,
    responses={
        400: {"description": "Malformed JSON"},
        409: {"description": "A single event whose id is stored with other content"},
        413: {"description": "Body or batch too large"},
        415: {"description": "Body is not JSON"},
        422: {"description": "A single event failed validation"},
    },
)
async def post_events(
    request: Request,
    principal: Annotated[Principal, Depends(require("events:write"))],
    engine: EngineDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> Response:
    body = await read_json_body(request, settings.MAX_BODY_BYTES)
    raw_events, single = split_events(body, settings.MAX_BATCH_EVENTS)
    now = utc_now()
    limits = ValidationLimits(now, timedelta(hours=settings.MAX_FUTURE_SKEW_HOURS))
    scope = TenantScope(principal.tenant_id, principal.learner_secret)
    report = await run_in_threadpool(ingest_events, engine, scope, raw_events, limits, now)
    counts = report.counts()
    for status, count in counts.items():
        metrics.events.labels(status.value).inc(count)

    content = report_body(report, counts)
    outcome = report.outcomes[0] if single else None
    if outcome is not None and outcome.reason in _REJECTION_PROBLEMS:
        status_code, code, detail = _REJECTION_PROBLEMS[outcome.reason]
        return problem(
            status_code, code, detail, request.url.path, list(outcome.errors), extra=content
        )
    if outcome is not None and outcome.status in _SINGLE_EVENT_PROBLEMS:
        status_code, code, detail = _SINGLE_EVENT_PROBLEMS[outcome.status]
        return problem(
            status_code, code, detail, request.url.path, list(outcome.errors), extra=content
        )
    return JSONBody(content)
