"""Ingest benchmark: sustained events/s over HTTP, batch latency, and progress-read latency.

Starts `stride serve` on a fresh database, sends batches of 500 realistic events with several
requests in flight, then times GET /v1/learners/{id}/progress once the events are stored.
With the analytics projection on (the default), it also reports the projection's backlog when
the last batch is answered and how long folding it takes (`analytics_caught_up_s`).

    .venv/bin/python bench/ingest.py                      # 1,000,000 events, SQLite + PostgreSQL
    .venv/bin/python bench/ingest.py --events 200000 --database sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from machine import machine_line
from stride.demo.curriculum import PROGRAM_ID
from stride.demo.generator import demo_learner_ids, generate_demo_events
from stride.demo.service import DEMO_CATALOG

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EVENTS_PER_LEARNER = 250  # fewer than the demo generator yields per learner over 90 days


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_batches(total: int, batch_size: int, seed: int) -> tuple[list[bytes], list[str]]:
    learners = max(1, total // EVENTS_PER_LEARNER + 1)
    events = islice(
        generate_demo_events(seed, learners=learners, days=90, end=datetime.now(UTC)), total
    )
    batches = []
    while batch := list(islice(events, batch_size)):
        batches.append(orjson.dumps({"events": batch}))
    return batches, demo_learner_ids(learners)


class Server:
    """`stride serve` in a child process, on a database of its own."""

    def __init__(self, database_url: str, workers: int = 1) -> None:
        self.env = {**os.environ, "STRIDE_DATABASE_URL": database_url}
        # A master key of the run's own, so no key file is written beside the working copy.
        self.env.setdefault("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
        # The benchmark measures the server, not the per-key rate limit it would hit at once.
        self.env.setdefault("STRIDE_RATE_LIMIT_PER_SECOND", "0")
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def stride(self, *args: str) -> Any:
        out = subprocess.run(
            [sys.executable, "-m", "stride.cli.main", *args, "--json"],
            env=self.env,
            capture_output=True,
            check=True,
        )
        return orjson.loads(out.stdout)

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "stride.cli.main", "serve"),
                *("--port", str(self.port), "--workers", str(self.workers)),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("the server did not become ready within 60 s")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)


async def send_all(base: str, api_key: str, batches: list[bytes], concurrency: int) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    accepted = 0
    queue = iter(batches)
    done = 0
    slice_started = time.perf_counter()
    slice_accepted = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted, done, slice_started, slice_accepted
        for body in queue:
            started = time.perf_counter()
            response = await client.post(f"{base}/v1/events", content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            accepted += response.json()["accepted"]
            done += 1
            if done % 200 == 0:  # the rate of each slice, so a fall as the store grows shows
                now = time.perf_counter()
                rate = (accepted - slice_accepted) / (now - slice_started)
                slice_started, slice_accepted = now, accepted
                print(
                    f"  {done}/{len(batches)} batches, {rate:,.0f} events/s in the last 200",
                    file=sys.stderr,
                    flush=True,
                )

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "events_accepted": accepted,
        "seconds": round(elapsed, 1),
        "events_per_s": round(accepted / elapsed),
        "batch_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "batch_p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


# The learner reads timed once the events are stored: progress, and the catalog-based views.
LEARNING_READS = (
    "skills",
    f"programs/{PROGRAM_ID}",
    "modules/pmf/c2/m3",
    "trends",
    "patterns",
    f"forecast?program={PROGRAM_ID}",
    "sessions",
    "enrollments",
)


def time_reads(base: str, api_key: str, learner_ids: list[str], path: str, reads: int) -> dict:  # type: ignore[type-arg]
    """Latency of GET /v1/learners/{random learner}/{path}, one request at a time."""
    headers = {"Authorization": f"Bearer {api_key}"}
    rng = random.Random(1)
    latencies = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for learner in rng.sample(learner_ids, min(50, len(learner_ids))):  # warm up
            client.get(f"/v1/learners/{learner}/{path}")
        for _ in range(reads):
            learner = rng.choice(learner_ids)
            started = time.perf_counter()
            response = client.get(f"/v1/learners/{learner}/{path}")
            latencies.append(time.perf_counter() - started)
            if response.status_code not in (200, 404):
                response.raise_for_status()
    return {
        "reads": reads,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
    }


def postgres_database(admin_url: str) -> tuple[str, str] | None:
    try:
        admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
        name = f"stride_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # no server: the PostgreSQL run is skipped, and said so
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}".splitlines()[0])
        return None
    url = make_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False), name


def drop_postgres_database(admin_url: str, name: str) -> None:
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def analytics_lag(database_url: str, tenant_id: str, timeout_s: float = 900) -> dict:  # type: ignore[type-arg]
    """The analytics projection's backlog once the last batch is answered (events past its
    cursor), and how long it then takes to fold them: the engagement and usage rollups are
    folded beside ingest (docs/architecture.md), and an analytics read waits for that."""
    engine = create_engine(database_url)
    query = text(
        "SELECT (SELECT max(seq) FROM events WHERE tenant_id = :t),"
        " (SELECT seq FROM analytics_cursors WHERE tenant_id = :t)"
    )
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            last, cursor = connection.execute(query, {"t": tenant_id}).one()
        backlog = (last or 0) - (cursor or 0)
        while (cursor or 0) < (last or 0) and time.perf_counter() - started < timeout_s:
            time.sleep(0.25)
            with engine.connect() as connection:
                cursor = connection.execute(query, {"t": tenant_id}).one()[1]
    finally:
        engine.dispose()
    caught_up = (cursor or 0) >= (last or 0)
    return {
        "analytics_backlog_events": backlog,
        "analytics_caught_up_s": round(time.perf_counter() - started, 1) if caught_up else None,
    }


def run(
    database_url: str, batches: list[bytes], learners: list[str], args: argparse.Namespace
) -> dict:  # type: ignore[type-arg]
    with Server(database_url, args.workers) as server:
        tenant = server.stride("tenants", "create", "bench")
        api_key = tenant["api_key"]
        # The demo curriculum's catalog, so attempts fold into mastery as they arrive.
        server.stride("catalog", "apply", str(DEMO_CATALOG), "--tenant", tenant["tenant_id"])
        figures = asyncio.run(send_all(server.base, api_key, batches, args.concurrency))
        if os.environ.get("STRIDE_ANALYTICS_INTERVAL_SECONDS") != "0":  # the projection is on
            figures.update(analytics_lag(database_url, tenant["tenant_id"]))
        progress = time_reads(server.base, api_key, learners, "progress", args.reads)
        figures.update({f"progress_{name}": value for name, value in progress.items()})
        if args.learning_reads > 0:
            figures["learning_reads"] = {
                path: time_reads(server.base, api_key, learners, path, args.learning_reads)
                for path in LEARNING_READS
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument(
        "--learning-reads", type=int, default=300, help="reads of each catalog-based view"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("STRIDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    args = parser.parse_args()

    print(machine_line())
    started = time.perf_counter()
    batches, learners = build_batches(args.events, args.batch, args.seed)
    print(
        f"prepared {len(batches)} batches of {args.batch} in {time.perf_counter() - started:.0f} s"
    )

    results = {}
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            results["sqlite"] = run(url, batches, learners, args)
            print("sqlite:", orjson.dumps(results["sqlite"]).decode(), flush=True)
    if args.database in ("postgresql", "both"):
        database = postgres_database(args.postgres_url)
        if database is not None:
            url, name = database
            try:
                results["postgresql"] = run(url, batches, learners, args)
                print("postgresql:", orjson.dumps(results["postgresql"]).decode(), flush=True)
            finally:
                drop_postgres_database(args.postgres_url, name)
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
