"""Verify a tenant: its live read models against a rebuild from its log in a scratch copy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from stride.analytics.projection_job import catch_up, fold_analytics
from stride.events.recorded import recorded_from_payload
from stride.ingest.projector import project_events
from stride.ingest.rebuild import check_log_is_whole
from stride.store import analytics_cursor, event_log
from stride.store.tables import READ_MODELS
from stride.verify.compare import TableDifference, compare_table
from stride.verify.scratch import postgres_scratch, sqlite_scratch

Snapshot = dict[str, list[dict[str, Any]]]

# Columns allowed to differ between a live row and its rebuilt twin. Every read-model column
# derives from events (their times included), so none is: a difference is a real one.
IGNORED_COLUMNS: dict[str, frozenset[str]] = {}


@dataclass(frozen=True)
class TenantVerification:
    tenant_id: str
    events: int
    tables: list[TableDifference]  # only the tables that differ
    error: str | None = None  # why the tenant could not be verified at all

    @property
    def clean(self) -> bool:
        return not self.tables and self.error is None


def snapshot(connection: Connection, tenant_id: str) -> Snapshot:
    """Every read-model row of a tenant, table by table."""
    return {
        table.name: [
            dict(row._mapping)
            for row in connection.execute(select(table).where(table.c.tenant_id == tenant_id))
        ]
        for table in READ_MODELS
    }


def refold(connection: Connection, tenant_id: str, analytics_up_to: int) -> int:
    """Fold the tenant's log into empty read models, the analytics rollups only as far as the
    live cursor (they are folded after the fact); return the events read."""
    read = 0
    for chunk in event_log.iter_events(connection, tenant_id):
        recorded = [
            recorded_from_payload(e.event_id, e.learner_key, e.event_time, e.payload) for e in chunk
        ]
        project_events(connection, tenant_id, recorded)
        folded = [r for r, e in zip(recorded, chunk, strict=True) if e.seq <= analytics_up_to]
        fold_analytics(connection, tenant_id, folded)
        read += len(chunk)
    return read


@contextmanager
def _consistent_read(engine: Engine) -> Iterator[Connection]:
    """One snapshot of the database for the whole comparison, rolled back at the end.

    REPEATABLE READ on PostgreSQL; a SQLite read transaction sees one state of the file (WAL).
    """
    with engine.connect() as plain:
        connection = plain
        if engine.dialect.name == "postgresql":
            connection = plain.execution_options(isolation_level="REPEATABLE READ")
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def verify_tenant(engine: Engine, tenant_id: str, force: bool = False) -> TenantVerification:
    """Compare the tenant's read models with a rebuild from its log. Raises Conflict (see
    `check_log_is_whole`) after retention removed events, unless `force`."""
    # The engagement and usage rollups are folded after the fact: bring them up to date.
    catch_up(engine, tenant_id)
    with _consistent_read(engine) as connection:
        if not force:
            check_log_is_whole(connection, tenant_id)
        live = snapshot(connection, tenant_id)
        cursor = analytics_cursor.current_cursor(connection, tenant_id)
        scratch = postgres_scratch if engine.dialect.name == "postgresql" else sqlite_scratch
        with scratch(connection, tenant_id) as rebuild:
            events = refold(rebuild, tenant_id, cursor)
            rebuilt = snapshot(rebuild, tenant_id)
    differences = []
    for table in READ_MODELS:
        keys = [str(c.name) for c in table.primary_key.columns if c.name != "tenant_id"]
        ignored = IGNORED_COLUMNS.get(table.name, frozenset())
        found = compare_table(table.name, keys, live[table.name], rebuilt[table.name], ignored)
        if not found.clean:
            differences.append(found)
    return TenantVerification(tenant_id, events, differences)
