"""Analytics benchmark: OULAD activity through the ingest pipeline, then every analytics
endpoint timed at that size.

Loads the Open University's learning-activity log (bench/oulad.py: a student's clicks on one
VLE site on one day are one event, submissions are scored attempts, registrations and
withdrawals are enrollments) for whole course presentations, in time order, through
`ingest_events` in-process (batches of 1,000), on a fresh database. Then it calls every
`GET /v1/analytics/...` operation of the OpenAPI document over the app (in-process HTTP) and
prints p50/p95 per endpoint.

    .venv/bin/python bench/analytics.py --events 1000000 --database sqlite
    .venv/bin/python bench/analytics.py --events 1000000 --database postgresql
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import pyarrow.parquet as pq
from cryptography.fernet import Fernet

os.environ.setdefault("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
os.environ.setdefault("STRIDE_RATE_LIMIT_PER_SECOND", "0")
os.environ.setdefault("STRIDE_RETENTION_INTERVAL_HOURS", "0")
os.environ.setdefault("STRIDE_WEBHOOK_POLL_SECONDS", "0")

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from machine import machine_line
from oulad import DATA, iter_events, load_oulad
from stride.analytics.projection_job import catch_up
from stride.api.app import create_app
from stride.config import Settings
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.store.database import create_db_engine
from stride.store.migrations import upgrade_database
from stride.store.tenants import get_tenant
from stride.tenancy.service import create_tenant

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 1000
STEPS = "enrollment.created,activity.progressed,assessment.submitted"
# Parameters an endpoint needs beyond its defaults, to ask what a program owner would ask.
PARAMS: dict[str, list[dict[str, Any]]] = {
    "/v1/analytics/engagement": [
        {"from": "2014-02-01", "to": "2014-05-01", "period": "day"},
        {"from": "2014-01-01", "to": "2014-12-31", "period": "week"},
        {"from": "2013-01-01", "to": "2014-12-31", "period": "month", "breakdown": "course"},
    ],
    "/v1/analytics/retention": [
        {"from": "2014-01-01", "to": "2014-12-31", "period": "week"},
        {"from": "2013-01-01", "to": "2014-12-31", "period": "month"},
    ],
    "/v1/analytics/lifecycle": [{"from": "2014-01-01", "to": "2014-12-31", "period": "week"}],
    "/v1/analytics/usage": [{"from": "2013-02-01", "to": "2014-12-31", "period": "week"}],
    "/v1/analytics/metrics": [
        {
            "type": "assessment.submitted",
            "field": "result.score",
            "from": "2013-02-01",
            "to": "2014-12-31",
            "period": "month",
        },
        {
            "type": "activity.progressed",
            "field": "properties.clicks",
            "from": "2013-02-01",
            "to": "2014-12-31",
            "period": "week",
        },
    ],
    "/v1/analytics/funnels": [{"steps": STEPS}],
    "/v1/analytics/funnels/drop-offs": [{"steps": STEPS, "step": 2}],
    "/v1/analytics/data-quality": [{}, {"period": "week"}],  # received today: recent periods
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _course_of(event: dict[str, Any]) -> str:
    return str(event["activity"]["id"]).split("/")[0]


def chosen_courses(target: int) -> set[str]:
    """Whole course presentations, largest first, until they hold about `target` events."""
    table = pq.read_table(DATA / "studentVle.parquet", columns=["code_module", "code_presentation"])
    counts: Counter[str] = Counter()
    for module, presentation in zip(
        table.column("code_module").to_pylist(),
        table.column("code_presentation").to_pylist(),
        strict=True,
    ):
        counts[f"{module}-{presentation}"] += 1
    chosen: set[str] = set()
    total = 0
    # Click rows collapse a little (site x day per student): count them as events anyway.
    for course, n in counts.most_common():
        if total >= target:
            break
        chosen.add(course)
        total += n
    return chosen


def oulad_events(target: int) -> list[dict[str, Any]]:
    courses = chosen_courses(target)
    kept = [e for e in iter_events(load_oulad()) if _course_of(e) in courses]
    kept.sort(key=lambda e: (e["timestamp"], e["id"]))
    return kept[:target]


def _batches(events: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(events)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def load(engine: Engine, events: list[dict[str, Any]]) -> tuple[str, str, dict[str, Any]]:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        created = create_tenant(connection, "oulad", now)
        tenant = get_tenant(connection, created.tenant_id)
    assert tenant is not None
    scope = TenantScope(tenant.id, tenant.learner_secret)
    # Historical data: the validator's clock is the data's own end, not today.
    limits = ValidationLimits(datetime(2015, 7, 1, tzinfo=UTC), timedelta(hours=24))
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for n, batch in enumerate(_batches(events), start=1):
        report = ingest_events(engine, scope, batch, limits, now)
        for status, count in report.counts().items():
            statuses[status.value] += count
        if n % 100 == 0:
            rate = n * BATCH / (time.perf_counter() - started)
            print(f"  {n * BATCH:,} events, {rate:,.0f}/s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    # The engagement and usage rollups are folded beside ingest: time that fold on its own.
    folding = time.perf_counter()
    folded = catch_up(engine, created.tenant_id)
    fold_seconds = time.perf_counter() - folding
    loaded = {
        "events": len(events),
        "statuses": dict(statuses),
        "seconds": round(seconds, 1),
        "events_per_s": round(len(events) / seconds),
        "analytics_projection": {
            "events": folded,
            "seconds": round(fold_seconds, 1),
            "events_per_s": round(folded / fold_seconds) if fold_seconds else None,
        },
    }
    return created.tenant_id, created.api_key, loaded


def analytics_routes(client: TestClient) -> list[str]:
    spec = client.get("/openapi.json").json()
    return sorted(
        path
        for path, operations in spec["paths"].items()
        if path.startswith("/v1/analytics/") and "get" in operations and "{" not in path
    )


def time_endpoints(client: TestClient, api_key: str, reads: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_key}"}
    results: dict[str, Any] = {}
    for path in analytics_routes(client):
        for params in PARAMS.get(path, [{}]):
            label = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
            first = client.get(path, params=params, headers=headers)
            if first.status_code != 200:
                results[label] = {"status": first.status_code, "body": first.text[:300]}
                continue
            timings = []
            for _ in range(reads):
                started = time.perf_counter()
                response = client.get(path, params=params, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
            results[label] = {
                "reads": reads,
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 95), 1),
            }
    return results


def postgres_engine(admin_url: str) -> tuple[Engine, str, str] | None:
    name = f"stride_bench_analytics_{os.getpid()}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as error:  # no server: say so and skip
        print(f"PostgreSQL skipped: {error.__class__.__name__}: {error}", file=sys.stderr)
        return None
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return create_db_engine(url), url, name


def run(database: str, events: list[dict[str, Any]], reads: int, postgres_url: str) -> Any:
    cleanup: Any = None
    if database == "sqlite":
        folder = tempfile.mkdtemp(prefix="stride-analytics-")
        url = f"sqlite:///{folder}/bench.db"
        engine = create_db_engine(url)
    else:
        made = postgres_engine(postgres_url)
        if made is None:
            return {"skipped": "no PostgreSQL server answered"}
        engine, url, name = made

        def cleanup() -> None:
            admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()

    try:
        upgrade_database(engine)
        _, api_key, loaded = load(engine, events)
        app = create_app(Settings(DATABASE_URL=url), engine=engine)
        # The events stay in memory for the next database: out of the collector's sight, or a
        # full collection of that heap (~250 ms) lands in whichever read triggers it.
        gc.collect()
        gc.freeze()
        with TestClient(app) as client:
            timed = time_endpoints(client, api_key, reads)
        gc.unfreeze()
        return {"load": loaded, "endpoints": timed}
    finally:
        engine.dispose()
        if cleanup is not None:
            cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("STRIDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    args = parser.parse_args()
    print(machine_line())
    started = time.perf_counter()
    events = oulad_events(args.events)
    learners = len({e["learner"] for e in events})
    print(
        f"prepared {len(events):,} OULAD events of {learners:,} learners "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = {db: run(db, events, args.reads, args.postgres_url) for db in databases}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
