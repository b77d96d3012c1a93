"""Reads that follow a tenant's log from a cursor are a range scan of (tenant_id, seq), never a
read of the tenant's whole log (which made them grow with the log: about 100 ms per analytics
read at a million events on SQLite, and a sort of the tenant's log per projection page)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, select, text

from stride.store import analytics_cursor
from stride.store.tables import events

TENANT = "00000000-0000-4000-8000-00000000c0de"


def _plan(engine: Engine, query: Select[Any]) -> str:
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
    return "\n".join(str(row[-1]) for row in rows)


def test_the_projection_probe_and_pages_range_scan_the_tenant_seq_index(
    sqlite_engine: Engine,
) -> None:
    behind = (
        select(events.c.seq)
        .where(events.c.tenant_id == TENANT, events.c.seq > analytics_cursor._cursor_of(TENANT))
        .limit(1)
    )
    page = (
        select(events)
        .where(events.c.tenant_id == TENANT, events.c.seq > 41)
        .order_by(events.c.seq)
        .limit(1000)
    )
    for query in (behind, page):
        plan = _plan(sqlite_engine, query)
        assert "ix_events_tenant_seq (tenant_id=? AND seq>?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
