"""Bulk import benchmark: events/s of `stride import` from a JSONL file into a fresh SQLite DB.

Writes N realistic events (the `stride demo` generator, as bench/ingest.py builds them) to a
JSONL file, then runs the import service in-process (`stride.importing.service.run_import`,
what `stride import FILE --tenant T` calls) into a fresh SQLite database whose tenant has
the demo catalog, so every read model (mastery and achievements included) is updated.
It also times reading and parsing the file alone, to show the reader's share.

    .venv/bin/python bench/import.py                         # 200,000 events, batches of 10,000
    .venv/bin/python bench/import.py --events 50000 --batch 500,1000,2000 --pipeline
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from demo_tenant import demo_tenant
from machine import machine_line
from stride.bootstrap import open_engine
from stride.config import Settings
from stride.demo.generator import generate_demo_events
from stride.events.validation import ValidationLimits
from stride.importing.readers import Position, read_jsonl
from stride.importing.service import ImportProgress, ImportRequest, run_import
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.runtime import tune_gc
from stride.store.tenants import TenantRow

EVENTS_PER_LEARNER = 250  # as bench/ingest.py


def write_events(path: Path, total: int, seed: int) -> None:
    learners = max(1, total // EVENTS_PER_LEARNER + 1)
    events = generate_demo_events(seed, learners=learners, days=90, end=datetime.now(UTC))
    with path.open("wb") as out:
        for event in islice(events, total):
            out.write(orjson.dumps(event) + b"\n")


def time_parse(path: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as stream:
        for _ in read_jsonl(stream, Position()):
            pass
    return time.perf_counter() - started


def fresh_tenant(database: Path) -> tuple[Engine, TenantRow]:
    """A fresh SQLite database with one tenant that has the demo catalog."""
    engine = open_engine(Settings(DATABASE_URL=f"sqlite:///{database}"))
    return engine, demo_tenant(engine)


def time_pipeline(path: Path, folder: Path, batch: int) -> dict[str, Any]:
    """The same events through `ingest_events` directly, read into memory first: the
    pipeline's own rate, for comparison with the import's."""
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    engine, tenant = fresh_tenant(folder / f"pipeline-{batch}.db")
    scope = TenantScope(tenant.id, tenant.learner_secret)
    started = time.perf_counter()
    for start in range(0, len(events), batch):
        now = datetime.now(UTC)
        limits = ValidationLimits(now, timedelta(hours=24))
        ingest_events(engine, scope, events[start : start + batch], limits, now)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return {
        "batch": batch,
        "pipeline_only_seconds": round(elapsed, 1),
        "pipeline_only_events_per_s": round(len(events) / elapsed),
    }


def time_import(path: Path, folder: Path, batch: int, helpers: int | None) -> dict[str, Any]:
    database = Path(tempfile.mkdtemp(dir=folder)) / "import.db"
    engine, tenant = fresh_tenant(database)
    tenant_id = tenant.id
    marks: list[tuple[float, int]] = []

    def progress(step: ImportProgress) -> None:
        marks.append((time.perf_counter(), step.records))
        if len(marks) % 50 == 0:
            print(f"  {step.records:,} records", file=sys.stderr, flush=True)

    request = ImportRequest(
        path,
        tenant_id,
        batch_size=batch,
        state_path=database.parent / "state.json",
        errors_path=database.parent / "errors.jsonl",
        helper_processes=helpers,
    )
    started = time.perf_counter()
    summary = run_import(engine, request, progress)
    elapsed = time.perf_counter() - started
    engine.dispose()
    half = next((t for t, n in marks if n >= summary.records // 2), started)
    second_half = elapsed - (half - started)
    return {
        "batch": batch,
        "helpers": helpers,
        "records": summary.records,
        **summary.counts,
        "seconds": round(elapsed, 1),
        "events_per_s": round(summary.records / elapsed),
        "second_half_events_per_s": round((summary.records - summary.records // 2) / second_half),
        "database_mb": round(database.stat().st_size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", default="10000", help="batch sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--helpers",
        default="auto",
        help="helper processes preparing batches ahead, comma-separated (auto: as stride import)",
    )
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="also time the same batches through ingest_events directly, without the importer",
    )
    args = parser.parse_args()
    tune_gc()  # as every `stride` command does, `stride import` included
    # A master key of the run's own, so no key file is written beside the working copy.
    os.environ.setdefault("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
    print(machine_line())
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "events.jsonl"
        started = time.perf_counter()
        write_events(path, args.events, args.seed)
        print(
            f"wrote {args.events:,} events ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
        parse_seconds = time_parse(path)
        print(f"read and parse only: {args.events / parse_seconds:,.0f} records/s")
        results = []
        helper_counts = [None if h == "auto" else int(h) for h in args.helpers.split(",")]
        for batch in (int(b) for b in args.batch.split(",")):
            for helpers in helper_counts:
                figures = time_import(path, folder, batch, helpers)
                if args.pipeline:
                    figures.update(time_pipeline(path, folder, batch))
                print(orjson.dumps(figures).decode(), flush=True)
                results.append(figures)
    print(
        orjson.dumps(
            {"parse_records_per_s": round(args.events / parse_seconds), "imports": results},
            option=orjson.OPT_INDENT_2,
        ).decode()
    )


if __name__ == "__main__":
    main()
