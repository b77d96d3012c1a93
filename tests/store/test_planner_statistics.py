"""PostgreSQL's planner statistics are kept fresh by Stride itself (store/statistics.py), so
a young table's key probes use its primary key even where autovacuum is off or slow."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from stride.api.app import create_app
from stride.config import Settings
from stride.store import statistics
from stride.store.bulk import _select_plan
from stride.store.statistics import StatisticsJob, analyze_stale_tables, stale_tables
from stride.store.tables import usage_first_use

pytestmark = pytest.mark.postgres

TYPES = ("activity.started", "activity.completed", "session.started")


def _fill_first_use(engine: Engine, learners: int) -> str:
    """A tenant whose learners each used every type, enough of them to change a fifth of the
    table at least (other tests share it); the rows' changes reported at once."""
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM usage_first_use")).scalar_one()
    learners = max(learners, stored // len(TYPES) // 5 + 100)
    tenant_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    rows = [
        {"tenant_id": tenant_id, "learner_key": f"{n:064x}", "type": kind, "first_at": now}
        for n in range(learners)
        for kind in TYPES
    ]
    with engine.begin() as connection:
        connection.execute(insert(usage_first_use), rows)
        connection.execute(text("SELECT pg_stat_force_next_flush()"))
    return tenant_id


def _wait_until_stale(engine: Engine, table: str) -> None:
    """The inserting session reports its changes when it goes idle: wait for that."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if table in stale_tables(connection):
                return
        time.sleep(0.1)
    raise AssertionError(f"{table} never showed as changed since its last ANALYZE")


def _last_analyze(engine: Engine, table: str) -> datetime | None:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        ).scalar()


def _probe_plan(engine: Engine, tenant_id: str) -> str:
    """EXPLAIN of the batch read of first uses by (learner, type), as the projection runs it."""
    plan = _select_plan(
        engine.dialect,
        usage_first_use,
        ("learner_key", "type", "first_at"),
        ("learner_key", "type"),
    )
    wanted = orjson.dumps([[f"{n:064x}", TYPES[n % 3]] for n in range(50)]).decode()
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN {plan.sql}", (wanted, tenant_id)).scalars()
        return "\n".join(rows)


def test_changed_tables_are_analyzed_and_probes_then_use_the_primary_key(
    postgres_engine: Engine,
) -> None:
    tenant_id = _fill_first_use(postgres_engine, learners=3000)
    _wait_until_stale(postgres_engine, "usage_first_use")

    analyzed = analyze_stale_tables(postgres_engine)

    assert "usage_first_use" in analyzed
    assert _last_analyze(postgres_engine, "usage_first_use") is not None
    with postgres_engine.connect() as connection:
        assert "usage_first_use" not in stale_tables(connection)
    assert "pk_usage_first_use" in _probe_plan(postgres_engine, tenant_id)


def test_one_process_analyzes_at_a_time(postgres_engine: Engine) -> None:
    _fill_first_use(postgres_engine, learners=100)
    _wait_until_stale(postgres_engine, "usage_first_use")
    lock = text("SELECT pg_advisory_lock(:k)")
    with postgres_engine.connect() as holder:
        holder.execute(lock, {"k": statistics._LOCK_ID})
        assert analyze_stale_tables(postgres_engine) == []
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": statistics._LOCK_ID})
    assert "usage_first_use" in analyze_stale_tables(postgres_engine)


def test_the_job_analyzes_in_the_background(postgres_engine: Engine) -> None:
    _fill_first_use(postgres_engine, learners=100)
    _wait_until_stale(postgres_engine, "usage_first_use")
    before = _last_analyze(postgres_engine, "usage_first_use")
    job = StatisticsJob(postgres_engine, interval_s=0.05)
    job.start()
    try:
        deadline = time.monotonic() + 15
        while _last_analyze(postgres_engine, "usage_first_use") == before:
            assert time.monotonic() < deadline, "the job never analyzed the changed table"
            time.sleep(0.05)
    finally:
        job.stop()


def test_every_server_process_runs_the_job(postgres_engine: Engine) -> None:
    app = create_app(Settings(DATABASE_URL=str(postgres_engine.url)), engine=postgres_engine)
    with TestClient(app):
        assert "stride-statistics" in {thread.name for thread in threading.enumerate()}
    assert "stride-statistics" not in {thread.name for thread in threading.enumerate()}


def test_sqlite_needs_no_job(sqlite_engine: Engine) -> None:
    job = StatisticsJob(sqlite_engine, interval_s=0.05)
    job.start()
    assert "stride-statistics" not in {thread.name for thread in threading.enumerate()}
    job.stop()
    assert analyze_stale_tables(sqlite_engine) == []
