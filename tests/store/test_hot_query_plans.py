"""Statements the ingest and projection run per batch, and reads that follow the log, are
index probes or range scans on SQLite, never a read of a whole table of the tenant (which
made them grow with the store: about 100 ms per analytics read at a million events, a sort of
the tenant's log per projection page, a pass over the content rollups per batch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, event, select, text

from stride.store import analytics_cursor
from stride.store.analytics_learning import add_content
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


def test_dropping_content_rows_that_came_to_zero_probes_the_zero_index(
    sqlite_engine: Engine,
) -> None:
    executed: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.startswith("DELETE"):
            executed.append((statement, parameters))

    event.listen(sqlite_engine, "before_cursor_execute", capture)
    try:
        with sqlite_engine.begin() as connection:
            stats = {("a", "activity"): (1, 1, 1, 900_000, 1)}
            add_content(connection, TENANT, stats, {("a", "time", "5m"): 1})
            negative = {key: tuple(-n for n in value) for key, value in stats.items()}
            add_content(connection, TENANT, negative, {("a", "time", "5m"): -1})
            for table in ("content_stats", "content_buckets"):
                left = f"SELECT count(*) FROM {table} WHERE tenant_id = :t"
                assert connection.execute(text(left), {"t": TENANT}).scalar_one() == 0
            raw = connection.connection.driver_connection
            assert raw is not None
            plans = [
                [row[-1] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
                for sql, params in executed
            ]
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", capture)
    assert len(plans) == 4, executed
    for plan in plans:
        assert any(step.endswith("_zero (tenant_id=?)") for step in plan), plan
