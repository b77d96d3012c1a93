"""Export benchmark: rows/s and peak memory of exporting a large event log.

Builds a SQLite database with N events of one tenant (rows inserted directly, in bulk, not
through ingest: only the log is exported, so the read models are not needed), then exports
them in a child process per format (`stride.exports.service.write_export`, what
`stride export events` calls) and prints rows/s and the child's peak RSS. Exports read the
log page by page, so the peak must stay flat as N grows (the target: under 300 MB at 10M).

    .venv/bin/python bench/export.py                    # 10,000,000 events: parquet, jsonl
    .venv/bin/python bench/export.py --events 200000 --formats parquet,jsonl,csv
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet

from stride.bootstrap import open_engine
from stride.config import Settings
from stride.exports.datasets import EVENTS
from stride.exports.filters import ExportFilter
from stride.exports.service import plan_export, write_export
from stride.exports.writers import ExportFormat
from stride.tenancy.service import create_tenant

EVENTS_PER_LEARNER = 250
INSERT_BATCH = 50_000
PEAK_TARGET_MB = 300
_TYPES = ("exercise.attempted", "activity.progressed", "activity.completed", "session.started")


def _rows(tenant_id: str, total: int) -> Iterator[tuple[Any, ...]]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    received = start.strftime("%Y-%m-%d %H:%M:%S.%f")
    learners = max(1, total // EVENTS_PER_LEARNER)
    for n in range(total):
        learner = hashlib.blake2b(f"learner-{n % learners}".encode(), digest_size=16).hexdigest()
        moment = start + timedelta(seconds=n * 7)
        event_id = str(uuid.UUID(int=n + 1, version=4))
        kind = _TYPES[n % len(_TYPES)]
        payload: dict[str, Any] = {
            "id": event_id,
            "type": kind,
            "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "session": f"s-{n // 40}",
            "context": {"program": f"program-{n % 3}", "platform": "bench"},
        }
        if kind != "session.started":
            payload["activity"] = {"id": f"course-{n % 3}/ex-{n % 97}", "type": "exercise"}
            payload["result"] = {"score": (n % 101) / 100, "success": n % 3 > 0, "duration_s": 30}
        text = orjson.dumps(payload)
        yield (
            tenant_id,
            event_id,
            learner,
            kind,
            moment.strftime("%Y-%m-%d %H:%M:%S.%f"),
            received,
            hashlib.sha256(text).hexdigest(),
            text.decode(),
        )


def build_database(path: Path, total: int) -> str:
    """A migrated database with one tenant holding `total` events; returns the tenant id."""
    engine = open_engine(Settings(DATABASE_URL=f"sqlite:///{path}"))
    with engine.begin() as connection:
        tenant_id = create_tenant(connection, "bench", datetime.now(UTC)).tenant_id
    engine.dispose()
    started = time.perf_counter()
    database = sqlite3.connect(path)
    database.execute("PRAGMA synchronous=OFF")
    insert = (
        "INSERT INTO events (tenant_id, event_id, learner_key, type, event_time, received_at,"
        " content_hash, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    batch: list[tuple[Any, ...]] = []
    for row in _rows(tenant_id, total):
        batch.append(row)
        if len(batch) == INSERT_BATCH:
            database.executemany(insert, batch)
            database.commit()
            batch = []
    database.executemany(insert, batch)
    database.commit()
    database.close()
    print(f"built {total:,} events in {time.perf_counter() - started:.1f} s", flush=True)
    return tenant_id


def child(database: str, tenant_id: str, export_format: str, output: str) -> None:
    """Run one export and print its figures as JSON (the parent reads them)."""
    engine = open_engine(Settings(DATABASE_URL=f"sqlite:///{database}"), migrate=False)
    plan = plan_export(
        engine, tenant_id, EVENTS.name, ExportFormat(export_format), ExportFilter(), "urn:bench"
    )
    with open(output, "wb") as sink:
        result = write_export(engine, plan, sink)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        orjson.dumps({"rows": result.rows, "seconds": result.seconds, "peak_kb": peak_kb}).decode()
    )


def run_child(database: Path, tenant_id: str, export_format: str, folder: Path) -> dict[str, Any]:
    output = folder / f"events.{export_format}"
    command = [sys.executable, __file__, "--child", str(database), tenant_id, export_format]
    done = subprocess.run([*command, str(output)], check=True, capture_output=True, text=True)
    figures: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    figures["bytes"] = output.stat().st_size
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--formats", default="parquet,jsonl")
    parser.add_argument("--child", nargs=4, metavar=("DB", "TENANT", "FORMAT", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    os.environ.setdefault("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="stride-export-bench-") as directory:
        folder = Path(directory)
        database = folder / "bench.db"
        tenant_id = build_database(database, args.events)
        worst = 0.0
        for export_format in args.formats.split(","):
            figures = run_child(database, tenant_id, export_format, folder)
            # ru_maxrss is in KiB on Linux; RUSAGE_CHILDREN: the largest child waited for.
            children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            peak_mb = figures["peak_kb"] / 1024
            worst = max(worst, peak_mb)
            print(
                f"{export_format:8} {figures['rows']:>11,} rows in {figures['seconds']:7.1f} s"
                f" = {figures['rows'] / figures['seconds']:>9,.0f} rows/s,"
                f" {figures['bytes'] / 2**20:8.1f} MiB, child peak RSS {peak_mb:6.1f} MB"
                f" (all children so far: {children_mb:.1f} MB)",
                flush=True,
            )
        verdict = "under" if worst < PEAK_TARGET_MB else "OVER"
        print(f"peak RSS {worst:.1f} MB: {verdict} the {PEAK_TARGET_MB} MB target")


if __name__ == "__main__":
    main()
