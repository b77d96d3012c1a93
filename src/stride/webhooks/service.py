"""Register, list and delete a tenant's webhooks; read their deliveries; send a test."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from stride.errors import NotFound
from stride.store import webhooks as store
from stride.store.transactions import write_transaction
from stride.store.webhooks import PENDING, DeliveryRow, WebhookRow
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal
from stride.webhooks.signing import new_secret
from stride.webhooks.subscriptions import TEST_EVENT_TYPE, check_event_types
from stride.webhooks.urls import check_url


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    event_types: list[str]
    description: str | None = None


def register_webhook(
    engine: Engine,
    principal: Principal,
    request: WebhookRequest,
    allow_private: bool,
    now: datetime,
) -> WebhookRow:
    """Store a new webhook (its secret is in the returned row, to be shown once).

    It receives events logged from now on: its cursor starts at the tenant's last log seq.
    Raises InvalidInput for a refused URL or unknown event types.
    """
    url = check_url(request.url, allow_private)
    event_types = check_event_types(request.event_types)
    webhook_id = str(uuid.uuid4())
    with write_transaction(engine) as connection:
        row = WebhookRow(
            tenant_id=principal.tenant_id,
            id=webhook_id,
            url=url,
            event_types=event_types,
            secret=new_secret(),
            description=request.description,
            created_at=now,
            disabled_at=None,
            cursor_seq=store.last_event_seq(connection, principal.tenant_id),
        )
        store.insert_webhook(connection, row)
        audit(connection, principal, "webhook.create", f"webhooks/{webhook_id}", now=now)
    return row


def list_webhooks(engine: Engine, tenant_id: str) -> list[WebhookRow]:
    with engine.connect() as connection:
        return store.list_webhooks(connection, tenant_id)


def get_webhook(engine: Engine, tenant_id: str, webhook_id: str) -> WebhookRow:
    """The webhook; raises NotFound when the tenant has none with this id."""
    with engine.connect() as connection:
        return _existing(store.get_webhook(connection, tenant_id, webhook_id), webhook_id)


def delete_webhook(engine: Engine, principal: Principal, webhook_id: str, now: datetime) -> None:
    """Delete the webhook and its delivery records; raises NotFound."""
    with write_transaction(engine) as connection:
        if not store.delete_webhook(connection, principal.tenant_id, webhook_id):
            raise _missing(webhook_id)
        audit(connection, principal, "webhook.delete", f"webhooks/{webhook_id}", now=now)


def list_deliveries(
    engine: Engine, tenant_id: str, webhook_id: str, status: str | None, limit: int
) -> list[DeliveryRow]:
    """The webhook's newest delivery records first; raises NotFound."""
    with engine.connect() as connection:
        _existing(store.get_webhook(connection, tenant_id, webhook_id), webhook_id)
        return store.list_deliveries(connection, tenant_id, webhook_id, status, limit)


def enqueue_test(engine: Engine, tenant_id: str, webhook_id: str, now: datetime) -> DeliveryRow:
    """Queue a `webhook.test` delivery (an event made up for the test, not in the log);
    raises NotFound."""
    delivery = DeliveryRow(
        tenant_id=tenant_id,
        id=str(uuid.uuid4()),
        webhook_id=webhook_id,
        event_seq=None,
        event_id=str(uuid.uuid4()),
        event_type=TEST_EVENT_TYPE,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        last_status_code=None,
        last_error=None,
        created_at=now,
        delivered_at=None,
    )
    with write_transaction(engine) as connection:
        _existing(store.get_webhook(connection, tenant_id, webhook_id), webhook_id)
        store.enqueue(connection, [{**delivery.__dict__, "learner_key": None}])
    return delivery


def _existing(row: WebhookRow | None, webhook_id: str) -> WebhookRow:
    if row is None:
        raise _missing(webhook_id)
    return row


def _missing(webhook_id: str) -> NotFound:
    return NotFound(f"No webhook with id {webhook_id!r} in this tenant.")
