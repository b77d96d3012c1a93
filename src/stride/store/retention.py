"""Repository for raw-event retention: expired events in chunks, their deletion, the run log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select, update

from stride.store.tables import events, retention_runs


@dataclass(frozen=True)
class ExpiredEvent:
    """One event row as the archive keeps it."""

    seq: int
    tenant_id: str
    event_id: str
    learner_key: str
    type: str
    event_time: datetime
    received_at: datetime
    content_hash: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class RetentionRun:
    seq: int
    tenant_id: str
    ran_at: datetime
    cutoff: datetime
    events_deleted: int
    archive: str | None


def lock_expired_events(
    connection: Connection, tenant_id: str, cutoff: datetime, limit: int
) -> list[ExpiredEvent]:
    """Up to `limit` of the tenant's events older than `cutoff`, oldest in the log first.

    On PostgreSQL the rows stay locked until the transaction ends and rows another run holds
    are skipped, so concurrent runs take different chunks; SQLite has one writer anyway.
    """
    query = (
        select(
            events.c.seq,
            events.c.tenant_id,
            events.c.event_id,
            events.c.learner_key,
            events.c.type,
            events.c.event_time,
            events.c.received_at,
            events.c.content_hash,
            events.c.payload,
        )
        .where(events.c.tenant_id == tenant_id, events.c.event_time < cutoff)
        .order_by(events.c.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [ExpiredEvent(**row._mapping) for row in connection.execute(query)]


def delete_events(connection: Connection, tenant_id: str, seqs: Sequence[int]) -> int:
    """Delete the tenant's events with these log positions; return how many were there."""
    if not seqs:
        return 0
    result = connection.execute(
        delete(events).where(events.c.tenant_id == tenant_id, events.c.seq.in_(list(seqs)))
    )
    return int(result.rowcount)


def start_run(
    connection: Connection,
    tenant_id: str,
    ran_at: datetime,
    cutoff: datetime,
    archive: str | None,
) -> int:
    """Record a run with nothing deleted yet; return its sequence number."""
    result = connection.execute(
        retention_runs.insert()
        .values(
            tenant_id=tenant_id, ran_at=ran_at, cutoff=cutoff, events_deleted=0, archive=archive
        )
        .returning(retention_runs.c.seq)
    )
    return int(result.scalar_one())


def add_deleted(connection: Connection, run_seq: int, deleted: int) -> None:
    """Count a chunk's deletions on its run, in the chunk's own transaction."""
    connection.execute(
        update(retention_runs)
        .where(retention_runs.c.seq == run_seq)
        .values(events_deleted=retention_runs.c.events_deleted + deleted)
    )


def list_runs(connection: Connection, tenant_id: str, limit: int = 100) -> list[RetentionRun]:
    """The tenant's runs, newest first."""
    rows = connection.execute(
        select(retention_runs)
        .where(retention_runs.c.tenant_id == tenant_id)
        .order_by(retention_runs.c.seq.desc())
        .limit(limit)
    )
    return [RetentionRun(**row._mapping) for row in rows]


def has_deleted_events(connection: Connection, tenant_id: str) -> bool:
    """Whether any retention run removed events of the tenant (the log is no longer whole)."""
    query = select(
        exists().where(retention_runs.c.tenant_id == tenant_id, retention_runs.c.events_deleted > 0)
    )
    return bool(connection.execute(query).scalar())
