"""Live-stream benchmark: time from an ingest response to the `progress.updated` it causes.

Starts `stride serve` (one process on SQLite, two on PostgreSQL), opens 100 SSE subscribers
(per-learner streams and tenant feeds), posts one event at a time for those learners at a
steady rate, and reports p50/p99 of (message received - ingest response received) over every
subscriber that gets the message. Targets: p99 < 250 ms on SQLite, < 500 ms on PostgreSQL.

    .venv/bin/python bench/realtime.py                          # both databases
    .venv/bin/python bench/realtime.py --seconds 5 --rate 10 --database sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.fernet import Fernet

from ingest import (
    DEFAULT_POSTGRES_URL,
    Server,
    drop_postgres_database,
    percentile,
    postgres_database,
)
from machine import machine_line


@dataclass
class Timings:
    # (learner id, events the learner has after the post) -> when its ingest response came
    responded: dict[tuple[str, int], float] = field(default_factory=dict)
    # (learner id, events in the message, subscriber kind) -> when a subscriber received it
    received: list[tuple[str, int, str, float]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # learner key -> learner id
    sent: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))


def event(learner: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "exercise.attempted",
        "learner": learner,
        "timestamp": datetime.now(UTC).isoformat(),
        "activity": {"id": "bench/c1/m1/ex1", "type": "exercise"},
        "result": {"score": 0.7, "success": True, "duration_s": 30},
    }


async def subscribe(
    client: httpx.AsyncClient,
    base: str,
    key: str,
    learner: str | None,
    timings: Timings,
    ready: asyncio.Event,
) -> None:
    path = "/v1/stream" if learner is None else f"/v1/learners/{learner}/stream"
    kind = "feed" if learner is None else "learner"
    headers = {"Authorization": f"Bearer {key}"}
    for attempt in range(5):
        async with client.stream("GET", f"{base}{path}", headers=headers) as response:
            if response.status_code == 503 and attempt < 4:  # a busy database: try again
                await asyncio.sleep(1)
                continue
            response.raise_for_status()
            await read_stream(response, learner, kind, timings, ready)
            return


async def read_stream(
    response: httpx.Response,
    learner: str | None,
    kind: str,
    timings: Timings,
    ready: asyncio.Event,
) -> None:
    data = None
    async for line in response.aiter_lines():
        if line == ": stream open":
            ready.set()
        elif line.startswith("data: "):
            data = orjson.loads(line[6:])
        elif line == "" and data is not None:
            if data["type"] == "progress.updated" and data["progress"]:
                if learner is not None:
                    timings.keys[data["learner_key"]] = learner
                who = learner or timings.keys.get(data["learner_key"], "?")
                timings.received.append(
                    (who, data["progress"]["events"], kind, time.perf_counter())
                )
            data = None


async def post(client: httpx.AsyncClient, base: str, key: str, learner: str, t: Timings) -> None:
    t.sent[learner] += 1
    number = t.sent[learner]
    response = await client.post(
        f"{base}/v1/events", json=[event(learner)], headers={"Authorization": f"Bearer {key}"}
    )
    response.raise_for_status()
    t.responded[learner, number] = time.perf_counter()


async def drive(bases: list[str], key: str, args: argparse.Namespace) -> dict[str, Any]:
    """Subscribers and posts take the servers in turn: with two, most messages cross over."""
    learners = [f"rt-learner-{n}" for n in range(args.subscribers - args.feeds)]
    timings = Timings()
    limits = httpx.Limits(max_connections=args.subscribers + 50)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        readies = [asyncio.Event() for _ in range(args.subscribers)]
        who: list[str | None] = [*learners, *([None] * args.feeds)]
        tasks = [
            asyncio.create_task(
                subscribe(client, bases[n % len(bases)], key, learner, timings, ready)
            )
            for n, (learner, ready) in enumerate(zip(who, readies, strict=True))
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        # Warm-up: one event each, so the tenant feeds learn which key is which learner.
        await asyncio.gather(
            *(post(client, bases[0], key, learner, timings) for learner in learners)
        )
        await asyncio.sleep(2)
        timings.received.clear()
        measured_from = time.perf_counter()
        rng, interval = random.Random(7), 1 / args.rate
        posts = []
        for n in range(int(args.seconds * args.rate)):
            target = measured_from + n * interval
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            learner = rng.choice(learners)
            base = bases[(n + 1) % len(bases)]
            posts.append(asyncio.create_task(post(client, base, key, learner, timings)))
        await asyncio.gather(*posts)
        await asyncio.sleep(2)  # the last messages arrive
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = defaultdict(list)
    for learner, events, kind, at in timings.received:
        responded = timings.responded.get((learner, events))
        if responded is not None:
            latencies[kind].append((at - responded) * 1000)
    every = latencies["learner"] + latencies["feed"]
    expected = len(posts) * (1 + args.feeds)
    return {
        "posts": len(posts),
        "messages": len(every),
        "expected_messages": expected,
        "p50_ms": round(percentile(every, 50), 1) if every else None,
        "p99_ms": round(percentile(every, 99), 1) if every else None,
        "max_ms": round(max(every), 1) if every else None,
    }


def started(stack: ExitStack, server: Server) -> Server:
    """Enter the server; one that never became ready is stopped too (`Server` leaves it)."""
    try:
        return stack.enter_context(server)
    except BaseException:
        if server.process is not None:
            server.process.kill()
            server.process.wait(timeout=30)
        raise


def run(database_url: str, processes: int, args: argparse.Namespace) -> dict[str, Any]:
    # One master key for the migration and every server process (each would make its own).
    os.environ.setdefault("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
    migrate = [sys.executable, "-m", "stride.cli.main", "db", "upgrade"]
    env = {**os.environ, "STRIDE_DATABASE_URL": database_url}
    # Migrated first, so the servers' start-up (and its time limit) holds no migration.
    subprocess.run(migrate, env=env, check=True, capture_output=True, timeout=600)
    # Separate `stride serve` processes on ports of their own (rather than `--workers`), so
    # the benchmark chooses which process a subscriber and a post reach.
    with ExitStack() as stack:
        servers = [started(stack, Server(database_url)) for _ in range(processes)]
        tenant = servers[0].stride("tenants", "create", "realtime-bench")
        return asyncio.run(drive([s.base for s in servers], tenant["api_key"], args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--feeds", type=int, default=20, help="of them, tenant feeds")
    parser.add_argument("--rate", type=float, default=20.0, help="posts per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("STRIDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    args = parser.parse_args()
    print(machine_line())
    results = {}
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            results["sqlite_1_process"] = run(url, 1, args)
            print("sqlite, 1 process:", orjson.dumps(results["sqlite_1_process"]).decode())
    if args.database in ("postgresql", "both"):
        database = postgres_database(args.postgres_url)
        if database is not None:
            url, name = database
            try:
                results["postgresql_2_processes"] = run(url, 2, args)
                print(
                    "postgresql, 2 processes:",
                    orjson.dumps(results["postgresql_2_processes"]).decode(),
                )
            finally:
                drop_postgres_database(args.postgres_url, name)
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
