"""Repository for saved report definitions and their runs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, null, or_, select, update

from stride.store.tables import report_definitions, report_runs
from stride.store.upsert import insert_new_returning

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
SCHEDULE, MANUAL = "schedule", "manual"


@dataclass(frozen=True)
class DefinitionRow:
    tenant_id: str
    id: str
    name: str
    definition: dict[str, Any]
    cron: str | None
    delivery: dict[str, Any] | None
    secret: str | None
    format: str
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class RunRow:
    tenant_id: str
    id: str
    report_id: str
    trigger: str
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error: str | None
    output: bytes | None
    output_path: str | None
    content_type: str | None


def _definition(row: Any) -> DefinitionRow:
    return DefinitionRow(**{n: getattr(row, n) for n in DefinitionRow.__dataclass_fields__})


def _run(row: Any) -> RunRow:
    return RunRow(**{n: getattr(row, n) for n in RunRow.__dataclass_fields__})


def insert_definition(connection: Connection, row: DefinitionRow) -> None:
    connection.execute(report_definitions.insert().values(**row.__dict__))


def replace_definition(connection: Connection, row: DefinitionRow) -> bool:
    """Overwrite every field but the id and creation time; False when there was none."""
    d = report_definitions
    values = {k: v for k, v in row.__dict__.items() if k not in ("tenant_id", "id", "created_at")}
    result = connection.execute(
        update(d).where(d.c.tenant_id == row.tenant_id, d.c.id == row.id).values(**values)
    )
    return result.rowcount > 0


def get_definition(connection: Connection, tenant_id: str, report_id: str) -> DefinitionRow | None:
    d = report_definitions
    row = connection.execute(
        select(d).where(d.c.tenant_id == tenant_id, d.c.id == report_id)
    ).first()
    return None if row is None else _definition(row)


def list_definitions(connection: Connection, tenant_id: str) -> list[DefinitionRow]:
    d = report_definitions
    query = select(d).where(d.c.tenant_id == tenant_id).order_by(d.c.created_at, d.c.id)
    return [_definition(row) for row in connection.execute(query)]


def delete_definition(connection: Connection, tenant_id: str, report_id: str) -> bool:
    """Delete the definition and its runs; False when there was none."""
    r, d = report_runs, report_definitions
    connection.execute(delete(r).where(r.c.tenant_id == tenant_id, r.c.report_id == report_id))
    result = connection.execute(delete(d).where(d.c.tenant_id == tenant_id, d.c.id == report_id))
    return result.rowcount > 0


def scheduled_definitions(
    connection: Connection, tenant_ids: Collection[str] | None = None
) -> list[DefinitionRow]:
    """Every tenant's (or these tenants') enabled definitions with a cron (operator mode)."""
    d = report_definitions
    query = select(d).where(d.c.enabled.is_(True), d.c.cron.is_not(None))
    if tenant_ids is not None:
        query = query.where(d.c.tenant_id.in_(sorted(tenant_ids)))
    return [_definition(row) for row in connection.execute(query)]


def last_scheduled(connection: Connection, tenant_id: str, report_id: str) -> datetime | None:
    """The latest scheduled time already claimed for the report."""
    r = report_runs
    query = select(func.max(r.c.scheduled_for)).where(
        r.c.tenant_id == tenant_id, r.c.report_id == report_id, r.c.trigger == SCHEDULE
    )
    found: datetime | None = connection.execute(query).scalar()
    return found


def claim_run(connection: Connection, row: RunRow) -> bool:
    """Insert the run unless its (report, scheduled_for) is taken: True for the one caller
    (of however many processes) that claimed it."""
    return bool(insert_new_returning(connection, report_runs, [row.__dict__], "id"))


def get_run(connection: Connection, tenant_id: str, run_id: str) -> RunRow | None:
    r = report_runs
    row = connection.execute(select(r).where(r.c.tenant_id == tenant_id, r.c.id == run_id)).first()
    return None if row is None else _run(row)


def list_runs(
    connection: Connection,
    tenant_id: str,
    report_id: str | None,
    status: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[RunRow]:
    """Runs newest first (by scheduled time, then id), after the keyset `after`."""
    r = report_runs
    columns = [c for c in r.c if c.name != "output"]  # pages list runs, not their outputs
    query = select(*columns, null().label("output")).where(r.c.tenant_id == tenant_id)
    if report_id is not None:
        query = query.where(r.c.report_id == report_id)
    if status is not None:
        query = query.where(r.c.status == status)
    if after is not None:
        at, run_id = after
        query = query.where(
            or_(r.c.scheduled_for < at, (r.c.scheduled_for == at) & (r.c.id < run_id))
        )
    query = query.order_by(r.c.scheduled_for.desc(), r.c.id.desc()).limit(limit)
    return [_run(row) for row in connection.execute(query)]


def due_runs(
    connection: Connection,
    now: datetime,
    limit: int,
    claim: bool = False,
    tenant_ids: Collection[str] | None = None,
) -> list[RunRow]:
    """Pending runs whose next attempt has come, oldest due first; with `claim` on
    PostgreSQL the rows stay locked, and rows another process holds are skipped."""
    r = report_runs
    query = (
        select(r)
        .where(r.c.status == PENDING, r.c.next_attempt_at <= now)
        .order_by(r.c.next_attempt_at)
        .limit(limit)
    )
    if tenant_ids is not None:
        query = query.where(r.c.tenant_id.in_(sorted(tenant_ids)))
    if claim and connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [_run(row) for row in connection.execute(query)]


def lease(connection: Connection, runs: Collection[RunRow], until: datetime) -> None:
    """No other runner takes these runs before `until`."""
    r = report_runs
    for run in runs:
        connection.execute(
            update(r)
            .where(r.c.tenant_id == run.tenant_id, r.c.id == run.id)
            .values(next_attempt_at=until)
        )


def update_run(connection: Connection, run: RunRow, values: dict[str, Any]) -> None:
    r = report_runs
    connection.execute(
        update(r).where(r.c.tenant_id == run.tenant_id, r.c.id == run.id).values(**values)
    )
