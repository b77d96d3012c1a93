"""Analytics projection benchmark: how fast the engagement and usage rollups are folded.

Builds a fresh store (SQLite, or a PostgreSQL database of its own) with the demo curriculum,
records `--stored` demo events through the ingest pipeline and folds them (the store as a
running server would have it), then records `--pending` more and times the projection's
catch-up over them: events/s, and the process's CPU seconds (the rest is the database's
time). Then it times the two pure folds alone on the first page of the pending events
(`fold_engagement`, `fold_usage`; best of `--repeat`), which no database noise reaches: the
figure to compare when changing the folds.

    .venv/bin/python bench/projection.py                               # SQLite
    .venv/bin/python bench/projection.py --database postgresql --stored 200000 --pending 50000
    .venv/bin/python bench/projection.py --source xapi --stored 20000 --pending 20000

`--source xapi` records Moodle-like xAPI statements (bench/xapi.py's) in batches of 400
instead of demo events, each of which becomes an event with the statement's context.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet
from sqlalchemy import Engine

import xapi
from demo_tenant import demo_tenant
from ingest import DEFAULT_POSTGRES_URL, drop_postgres_database, postgres_database
from machine import machine_line
from stride.analytics import projection_job
from stride.analytics.engagement_projector import fold_engagement, read_engagement_inputs
from stride.analytics.usage_fold import fold_usage
from stride.bootstrap import open_engine
from stride.config import Settings
from stride.demo.generator import generate_demo_events
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.runtime import tune_gc
from stride.store import analytics_cursor as cursors
from stride.store.learners import load_timezones
from stride.store.tenant_context import tenant_context
from stride.xapi.preparation import XapiScope
from stride.xapi.service import record_statements

EVENTS_PER_LEARNER = 250  # as bench/ingest.py
GROUP = 2000  # events per ingest call, as four requests of 500 make one group
XAPI_GROUP = 400  # statements per call, as four requests of 100 make one group
XAPI_LEARNERS = 2000  # as bench/xapi.py
AUTHORITY = {"objectType": "Agent", "account": {"homePage": xapi.LMS, "name": "bench"}}


def record(engine: Engine, stored: int, pending: int, seed: int, source: str) -> str:
    """A tenant with the demo catalog, `stored` events recorded and folded, `pending` more
    recorded only; returns the tenant id."""
    now = datetime.now(UTC)
    tenant = demo_tenant(engine)
    total = stored + pending
    if source == "xapi":
        rng = random.Random(seed)
        items: Iterator[Any] = (xapi.statement(rng, XAPI_LEARNERS, now) for _ in range(total))
        size = XAPI_GROUP
        scope = XapiScope(tenant.id, tenant.learner_secret, AUTHORITY)

        def store(group: list[Any], limits: ValidationLimits) -> None:
            record_statements(engine, scope, group, "1.0.3", limits)

    else:
        learners = total // EVENTS_PER_LEARNER + 1
        items = islice(generate_demo_events(seed, learners=learners, days=90, end=now), total)
        size = GROUP
        tenant_scope = TenantScope(tenant.id, tenant.learner_secret)

        def store(group: list[Any], limits: ValidationLimits) -> None:
            ingest_events(engine, tenant_scope, group, limits, limits.now)

    recorded = 0
    started = time.perf_counter()
    while group := list(islice(items, min(size, stored - recorded) if recorded < stored else size)):
        store(group, ValidationLimits(datetime.now(UTC), timedelta(hours=24)))
        recorded += len(group)
        if recorded == stored:
            projection_job.catch_up(engine, tenant.id)
            took = time.perf_counter() - started
            print(f"  {stored:,} events recorded and folded in {took:.0f} s")
    print(f"  {pending:,} more recorded, not folded ({time.perf_counter() - started:.0f} s in all)")
    return tenant.id


def time_pure_folds(engine: Engine, tenant_id: str, repeat: int) -> dict[str, Any]:
    """Best-of-`repeat` CPU seconds of the two folds over the first pending page."""
    page_size = projection_job.page_for(engine.dialect.name)
    with tenant_context(tenant_id), engine.connect() as connection:
        cursor = cursors.current_cursor(connection, tenant_id)
        page = cursors.events_after(connection, tenant_id, cursor, page_size)
        events = [projection_job._recorded(e) for e in page]
        by_learner = projection_job._by_learner(events)
        timezones = load_timezones(connection, tenant_id, by_learner.keys())
        inputs = read_engagement_inputs(connection, tenant_id, by_learner, timezones)

    def best(fold: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            started = time.process_time()
            fold()
            times.append(time.process_time() - started)
        return round(min(times), 3)

    return {
        "page_events": len(events),
        "page_learners": len(by_learner),
        "window_rows": len(inputs.window_rows),
        "fold_engagement_cpu_s": best(lambda: fold_engagement(inputs, by_learner, timezones)),
        "fold_usage_cpu_s": best(lambda: fold_usage(events)),
    }


def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = open_engine(Settings(DATABASE_URL=url))
    try:
        tenant_id = record(engine, args.stored, args.pending, args.seed, args.source)
        folds = time_pure_folds(engine, tenant_id, args.repeat)
        started, cpu = time.perf_counter(), time.process_time()
        folded = projection_job.catch_up(engine, tenant_id)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        engine.dispose()
    return {
        "source": args.source,
        "stored": args.stored,
        "folded": folded,
        "seconds": round(seconds, 1),
        "events_per_s": round(folded / seconds),
        "projection_cpu_s": round(cpu, 1),
        **folds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--source", choices=["demo", "xapi"], default="demo")
    parser.add_argument("--stored", type=int, default=100_000, help="events folded before")
    parser.add_argument("--pending", type=int, default=25_000, help="events the run folds")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each pure fold")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("STRIDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    args = parser.parse_args()
    # The run's own master key, so no key file is written beside the working copy.
    os.environ.setdefault("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
    tune_gc()  # as the projection process runs
    print(machine_line())
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            result = measure(f"sqlite:///{Path(folder) / 'projection.db'}", args)
    else:
        database = postgres_database(args.postgres_url)
        if database is None:
            sys.exit(1)
        url, name = database
        try:
            result = measure(url, args)
        finally:
            drop_postgres_database(args.postgres_url, name)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
