"""Fan-out: turn the log's new events into delivery rows, one per (webhook, event).

Ingest never knows about webhooks: this step reads the log after the fact, from each
webhook's cursor, by the (tenant, type, seq) index. The outbox's unique key makes enqueueing
exactly-once, however many dispatchers run or how often they look again.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Engine

from stride.store import webhooks as store
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction
from stride.store.webhooks import PENDING, LogEntry, WebhookRow
from stride.webhooks.subscriptions import subscription

log = structlog.get_logger()

PAGE = 500
MAX_PAGES = 20  # per webhook and round, so one busy subscription cannot stall the others


def fan_out(
    engine: Engine,
    now: datetime,
    settled_before: datetime | None,
    tenant_ids: Collection[str] | None = None,
) -> int:
    """Enqueue every webhook's (or these tenants') new events; returns the number of
    deliveries created.

    `settled_before`: the cursor passes only events received before it (PostgreSQL, where
    sequence numbers commit out of order); None when the log commits in order (SQLite).
    """
    with tenant_context(None), engine.connect() as connection:
        hooks = store.active_webhooks(connection, tenant_ids)
    created = 0
    for hook in hooks:
        try:
            with tenant_context(hook.tenant_id):
                created += _fan_out_webhook(engine, hook, now, settled_before)
        except Exception:  # one webhook's trouble must not hold back the others
            log.exception("webhook fan-out failed", webhook_id=hook.id, tenant_id=hook.tenant_id)
    return created


def _fan_out_webhook(
    engine: Engine, hook: WebhookRow, now: datetime, settled_before: datetime | None
) -> int:
    wanted = subscription(hook.event_types)
    types = None if wanted.everything else store.type_filter(wanted.exact, wanted.prefixes)
    rows: list[dict[str, Any]] = []
    after = cursor = hook.cursor_seq
    settled = True
    for _ in range(MAX_PAGES):
        with engine.connect() as connection:
            entries = store.log_entries_after(connection, hook, types, after, PAGE)
        rows += [_delivery_row(hook, entry, now) for entry in entries if not entry.enqueued]
        for entry in entries:
            # The cursor stops at the first event that might still have unseen elders.
            settled = settled and (settled_before is None or entry.received_at < settled_before)
            if settled:
                cursor = entry.seq
        if len(entries) < PAGE:
            break
        after = entries[-1].seq
    if not rows and cursor == hook.cursor_seq:
        return 0  # nothing to write: no write transaction (SQLite's lock stays free)
    with write_transaction(engine) as connection:
        created = store.enqueue(connection, rows)
        store.advance_cursor(connection, hook.tenant_id, hook.id, cursor)
    return created


def _delivery_row(hook: WebhookRow, entry: LogEntry, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": hook.tenant_id,
        "id": str(uuid.uuid4()),
        "webhook_id": hook.id,
        "event_seq": entry.seq,
        "event_id": entry.event_id,
        "event_type": entry.type,
        "learner_key": entry.learner_key,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_status_code": None,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
    }
