"""Repository for webhooks and their delivery outbox."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, false, func, or_, select, update

from stride.store.tables import events, webhook_deliveries, webhooks
from stride.store.upsert import insert_new_returning

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class WebhookRow:
    tenant_id: str
    id: str
    url: str
    event_types: list[str]
    secret: str
    description: str | None
    created_at: datetime
    disabled_at: datetime | None
    cursor_seq: int


@dataclass(frozen=True)
class DeliveryRow:
    tenant_id: str
    id: str
    webhook_id: str
    event_seq: int | None
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class LogEntry:
    """An event of the log the dispatcher looks at, and whether the webhook has it already."""

    seq: int
    event_id: str
    type: str
    learner_key: str
    received_at: datetime
    enqueued: bool


def _webhook(row: Any) -> WebhookRow:
    return WebhookRow(**{name: getattr(row, name) for name in WebhookRow.__dataclass_fields__})


def _delivery(row: Any) -> DeliveryRow:
    return DeliveryRow(**{name: getattr(row, name) for name in DeliveryRow.__dataclass_fields__})


def insert_webhook(connection: Connection, row: WebhookRow) -> None:
    connection.execute(webhooks.insert().values(**row.__dict__))


def list_webhooks(connection: Connection, tenant_id: str) -> list[WebhookRow]:
    query = (
        select(webhooks).where(webhooks.c.tenant_id == tenant_id).order_by(webhooks.c.created_at)
    )
    return [_webhook(row) for row in connection.execute(query)]


def get_webhook(connection: Connection, tenant_id: str, webhook_id: str) -> WebhookRow | None:
    query = select(webhooks).where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
    row = connection.execute(query).first()
    return None if row is None else _webhook(row)


def active_webhooks(
    connection: Connection, tenant_ids: Collection[str] | None = None
) -> list[WebhookRow]:
    """Every tenant's (or these tenants') enabled webhooks (operator mode: the fan-out)."""
    query = select(webhooks).where(webhooks.c.disabled_at.is_(None))
    if tenant_ids is not None:
        query = query.where(webhooks.c.tenant_id.in_(sorted(tenant_ids)))
    return [_webhook(row) for row in connection.execute(query)]


def delete_webhook(connection: Connection, tenant_id: str, webhook_id: str) -> bool:
    """Delete the webhook and its delivery records; False when there was none."""
    connection.execute(
        delete(webhook_deliveries).where(
            webhook_deliveries.c.tenant_id == tenant_id,
            webhook_deliveries.c.webhook_id == webhook_id,
        )
    )
    deleted = connection.execute(
        delete(webhooks).where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
    )
    return deleted.rowcount > 0


def disable_webhook(connection: Connection, tenant_id: str, webhook_id: str, now: datetime) -> None:
    """Stop the webhook and fail its pending deliveries (the receiver said it is gone)."""
    connection.execute(
        update(webhooks)
        .where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
        .values(disabled_at=now)
    )
    connection.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.tenant_id == tenant_id,
            webhook_deliveries.c.webhook_id == webhook_id,
            webhook_deliveries.c.status == PENDING,
        )
        .values(status=FAILED, last_error="webhook disabled: the receiver answered 410 Gone")
    )


def last_event_seq(connection: Connection, tenant_id: str) -> int:
    query = select(func.max(events.c.seq)).where(events.c.tenant_id == tenant_id)
    return int(connection.execute(query).scalar() or 0)


def log_entries_after(
    connection: Connection,
    webhook: WebhookRow,
    types: ColumnElement[bool] | None,
    after: int,
    limit: int,
) -> list[LogEntry]:
    """The tenant's events after log seq `after` of the subscribed `types`, in log order
    (by the (tenant, type, seq) index), each marked when already enqueued for the webhook."""
    d = webhook_deliveries
    joined = events.outerjoin(
        d,
        and_(
            d.c.tenant_id == events.c.tenant_id,
            d.c.webhook_id == webhook.id,
            d.c.event_id == events.c.event_id,
        ),
    )
    query = (
        select(
            events.c.seq,
            events.c.event_id,
            events.c.type,
            events.c.learner_key,
            events.c.received_at,
            d.c.id.is_not(None).label("enqueued"),
        )
        .select_from(joined)
        .where(events.c.tenant_id == webhook.tenant_id, events.c.seq > after)
        .order_by(events.c.seq)
        .limit(limit)
    )
    if types is not None:
        query = query.where(types)
    return [LogEntry(*row) for row in connection.execute(query)]


def type_filter(exact: Collection[str], prefixes: Sequence[str]) -> ColumnElement[bool]:
    """`events.type` in `exact` or starting with one of `prefixes`."""
    clauses: list[ColumnElement[bool]] = []
    if exact:
        clauses.append(events.c.type.in_(sorted(exact)))
    clauses += [events.c.type.startswith(prefix, autoescape=True) for prefix in prefixes]
    return or_(*clauses) if clauses else false()


def enqueue(connection: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert delivery rows; one already there for (webhook, event) is skipped. Returns the
    number inserted."""
    return len(insert_new_returning(connection, webhook_deliveries, rows, "id"))


def advance_cursor(connection: Connection, tenant_id: str, webhook_id: str, seq: int) -> None:
    # Only forward: another process may have moved it further meanwhile.
    connection.execute(
        update(webhooks)
        .where(
            webhooks.c.tenant_id == tenant_id,
            webhooks.c.id == webhook_id,
            webhooks.c.cursor_seq < seq,
        )
        .values(cursor_seq=seq)
    )


def due_deliveries(
    connection: Connection,
    now: datetime,
    limit: int,
    claim: bool = False,
    tenant_ids: Collection[str] | None = None,
) -> list[DeliveryRow]:
    """Pending deliveries of every tenant whose time has come, oldest due first.

    With `claim` on PostgreSQL the rows stay locked until the transaction ends, and rows
    another process holds are skipped, so concurrent dispatchers claim different deliveries.
    """
    d = webhook_deliveries
    query = (
        select(d)
        .where(d.c.status == PENDING, d.c.next_attempt_at <= now)
        .order_by(d.c.next_attempt_at)
        .limit(limit)
    )
    if tenant_ids is not None:
        query = query.where(d.c.tenant_id.in_(sorted(tenant_ids)))
    if claim and connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [_delivery(row) for row in connection.execute(query)]


def postpone(connection: Connection, deliveries: Sequence[DeliveryRow], until: datetime) -> None:
    """Lease claimed deliveries: no other dispatcher takes them before `until`."""
    d = webhook_deliveries
    for tenant_id in {row.tenant_id for row in deliveries}:
        ids = [row.id for row in deliveries if row.tenant_id == tenant_id]
        connection.execute(
            update(d)
            .where(d.c.tenant_id == tenant_id, d.c.id.in_(ids))
            .values(next_attempt_at=until)
        )


def record_attempt(connection: Connection, delivery: DeliveryRow, values: dict[str, Any]) -> None:
    d = webhook_deliveries
    connection.execute(
        update(d)
        .where(d.c.tenant_id == delivery.tenant_id, d.c.id == delivery.id, d.c.status == PENDING)
        .values(**values)
    )


def event_payload(
    connection: Connection, tenant_id: str, seq: int
) -> tuple[str, dict[str, Any]] | None:
    """The logged event's learner key and payload; None when it is gone (retention, erasure)."""
    query = select(events.c.learner_key, events.c.payload).where(
        events.c.tenant_id == tenant_id, events.c.seq == seq
    )
    row = connection.execute(query).first()
    return None if row is None else (row.learner_key, dict(row.payload))


def list_deliveries(
    connection: Connection, tenant_id: str, webhook_id: str, status: str | None, limit: int
) -> list[DeliveryRow]:
    d = webhook_deliveries
    query = (
        select(d)
        .where(d.c.tenant_id == tenant_id, d.c.webhook_id == webhook_id)
        .order_by(d.c.created_at.desc(), d.c.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(d.c.status == status)
    return [_delivery(row) for row in connection.execute(query)]


def delete_finished_before(connection: Connection, cutoff: datetime) -> int:
    """Delete every tenant's delivered and failed records created before `cutoff`."""
    d = webhook_deliveries
    result = connection.execute(
        delete(d).where(d.c.status.in_((DELIVERED, FAILED)), d.c.created_at < cutoff)
    )
    return int(result.rowcount)
