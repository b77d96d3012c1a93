"""Funnel reads at a given number of learners: the read that grows with the learners it covers.

Writes the funnel rollup (funnel_steps) of N learners straight into a fresh database, with
lists the size OULAD gives (every learner enrolled once; 90% clicked, up to 14 stored days;
80% of those submitted, up to 7), then times the three-step funnel and its drop-off list
in-process, as GET /v1/analytics/funnels and /funnels/drop-offs compute them.

    .venv/bin/python bench/funnels.py --learners 30000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from machine import machine_line
from stride.analytics.funnels_service import FunnelRequest, get_drop_offs, get_funnel
from stride.store.database import create_db_engine
from stride.store.migrations import upgrade_database
from stride.store.tables import funnel_steps

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STEPS = ("enrollment.created", "activity.progressed", "assessment.submitted")
DAY_MS = 86_400_000
TENANT = "00000000-0000-4000-8000-0000000f0001"


def funnel_rows(learners: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(learners):
        key = uuid.UUID(int=rng.getrandbits(128)).hex * 2  # 64 characters, like a learner key
        start = 1_380_000_000_000 + rng.randrange(400) * DAY_MS
        stored = {STEPS[0]: [start]}
        if rng.random() < 0.9:
            stored[STEPS[1]] = sorted({start + rng.randrange(240) * DAY_MS for _ in range(14)})
            if rng.random() < 0.8:
                stored[STEPS[2]] = sorted(
                    {start + rng.randrange(10, 240) * DAY_MS for _ in range(7)}
                )
        rows += [
            {"tenant_id": TENANT, "step": step, "learner_key": key, "times": times}
            for step, times in stored.items()
        ]
    return rows


def time_reads(engine: Engine, rows: list[dict[str, Any]], reads: int) -> dict[str, Any]:
    upgrade_database(engine)
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(funnel_steps), rows[start : start + 5000])
    request = FunnelRequest(STEPS)
    calls: dict[str, Callable[[Connection], object]] = {
        "funnel": lambda c: get_funnel(c, TENANT, request),
        "drop-offs": lambda c: get_drop_offs(c, TENANT, request, 2, (100, 0)),
    }
    figures = {}
    for name, call in calls.items():
        with engine.connect() as connection:
            call(connection)
            timings = []
            for _ in range(reads):
                started = time.perf_counter()
                call(connection)
                timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        figures[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))], 1),
        }
    return figures


def on_postgres(admin_url: str, rows: list[dict[str, Any]], reads: int) -> dict[str, Any]:
    name = f"stride_bench_funnels_{os.getpid()}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # no server: say so and skip
        return {"skipped": f"{error.__class__.__name__}: {error}"}
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    try:
        return time_reads(engine, rows, reads)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=30_000)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("STRIDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    args = parser.parse_args()
    print(machine_line(), file=sys.stderr)
    rows = funnel_rows(args.learners, args.seed)
    folder = tempfile.mkdtemp(prefix="stride-funnels-")
    result = {
        "learners": args.learners,
        "sqlite": time_reads(create_db_engine(f"sqlite:///{folder}/funnels.db"), rows, args.reads),
        "postgresql": on_postgres(args.postgres_url, rows, args.reads),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
