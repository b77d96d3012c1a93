"""Repository for the append-only audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from stride.store.tables import audit_log


@dataclass(frozen=True)
class AuditRow:
    tenant_id: str
    at: datetime
    key_id: str
    role: str
    action: str
    resource: str
    subject: str | None
    detail: dict[str, Any] | None
    seq: int | None = None


def append_audit(connection: Connection, rows: Sequence[AuditRow]) -> None:
    if rows:
        connection.execute(
            audit_log.insert(),
            [{k: v for k, v in row.__dict__.items() if k != "seq"} for row in rows],
        )


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    key_id: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_seq: int | None = None


def query_audit(
    connection: Connection, tenant_id: str, where: AuditFilter, limit: int
) -> list[AuditRow]:
    """Entries oldest first, from after `after_seq` (a cursor), at most `limit`."""
    query = select(audit_log).where(audit_log.c.tenant_id == tenant_id)
    if where.action is not None:
        query = query.where(audit_log.c.action == where.action)
    if where.key_id is not None:
        query = query.where(audit_log.c.key_id == where.key_id)
    if where.subject is not None:
        query = query.where(audit_log.c.subject == where.subject)
    if where.since is not None:
        query = query.where(audit_log.c.at >= where.since)
    if where.until is not None:
        query = query.where(audit_log.c.at < where.until)
    if where.after_seq is not None:
        query = query.where(audit_log.c.seq > where.after_seq)
    rows = connection.execute(query.order_by(audit_log.c.seq).limit(limit))
    return [AuditRow(**row._mapping) for row in rows]
