"""Webhooks: register, list, delete; their delivery records; a test delivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from stride.api.deps import EngineDep, SettingsDep, require
from stride.api.schemas.webhooks import (
    DeliveriesPublic,
    DeliveryPublic,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
)
from stride.clock import utc_now
from stride.tenancy.service import Principal
from stride.webhooks import service

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

Reader = Annotated[Principal, Depends(require("webhooks:read"))]
Writer = Annotated[Principal, Depends(require("webhooks:write"))]
WebhookId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", response_model=WebhookCreated, status_code=201)
def post_webhook(
    body: WebhookCreate, principal: Writer, engine: EngineDep, settings: SettingsDep
) -> WebhookCreated:
    """Subscribe a URL to event types; events logged from now on are delivered to it, signed
    with the returned `secret` (shown only here). See docs/webhooks.md."""
    request = service.WebhookRequest(body.url, body.event_types, body.description)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    row = service.register_webhook(engine, principal, request, allow_private, utc_now())
    return WebhookCreated(**WebhookPublic.of(row).model_dump(), secret=row.secret)


@router.get("", response_model=WebhooksPublic)
def get_webhooks(principal: Reader, engine: EngineDep) -> WebhooksPublic:
    """The tenant's webhooks, oldest first (secrets are never shown again)."""
    rows = service.list_webhooks(engine, principal.tenant_id)
    return WebhooksPublic(webhooks=[WebhookPublic.of(row) for row in rows])


@router.get("/{webhook_id}", response_model=WebhookPublic)
def get_webhook(webhook_id: WebhookId, principal: Reader, engine: EngineDep) -> WebhookPublic:
    return WebhookPublic.of(service.get_webhook(engine, principal.tenant_id, webhook_id))


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: WebhookId, principal: Writer, engine: EngineDep) -> Response:
    """Delete the webhook and its delivery records; nothing more is sent to it."""
    service.delete_webhook(engine, principal, webhook_id, utc_now())
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesPublic)
def get_deliveries(
    webhook_id: WebhookId,
    principal: Reader,
    engine: EngineDep,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveriesPublic:
    """The webhook's delivery records, newest first (kept 30 days once finished)."""
    rows = service.list_deliveries(engine, principal.tenant_id, webhook_id, status, limit)
    return DeliveriesPublic(deliveries=[DeliveryPublic.of(row) for row in rows])


@router.post("/{webhook_id}/test", response_model=DeliveryPublic, status_code=202)
def post_test(webhook_id: WebhookId, principal: Writer, engine: EngineDep) -> DeliveryPublic:
    """Queue a `webhook.test` delivery: a made-up event, not in the log, sent signed like
    any other (watch it under /deliveries)."""
    row = service.enqueue_test(engine, principal.tenant_id, webhook_id, utc_now())
    return DeliveryPublic.of(row)
