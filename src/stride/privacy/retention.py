"""Raw-event retention (GDPR storage limitation): remove events older than the policy keeps.

Only the log shrinks: the read models (stats, activities, days, skills, enrollments) stay as
they are. When the policy asks for it, each chunk is first written to a Parquet file under
`<archive_dir>/<tenant_id>/`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import Connection, Engine

from stride.errors import InvalidInput
from stride.privacy.policy_service import get_policy
from stride.store import retention as store
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal

if TYPE_CHECKING:
    import pyarrow as pa

# Events deleted per write transaction: short enough that ingest never waits long on SQLite.
CHUNK_SIZE = 5000


@cache
def archive_schema() -> pa.Schema:
    """The archive files' Parquet schema (pyarrow is imported by the runs that archive, not by
    every process at start-up)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("tenant_id", pa.string()),
            ("event_id", pa.string()),
            ("learner_key", pa.string()),
            ("type", pa.string()),
            ("event_time", pa.timestamp("us", tz="UTC")),
            ("received_at", pa.timestamp("us", tz="UTC")),
            ("content_hash", pa.string()),
            ("payload", pa.string()),  # the stored JSON payload, as text
        ]
    )


_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class RetentionReport:
    """What one run removed; `cutoff` is None when the policy keeps events forever."""

    tenant_id: str
    cutoff: datetime | None
    events_deleted: int
    files: tuple[str, ...]
    archive_dir: str | None
    seconds: float
    run_seq: int | None = None


def run_retention(
    engine: Engine,
    actor: Principal,
    now: datetime,
    archive_dir: Path,
    *,
    chunk_size: int = CHUNK_SIZE,
    should_stop: Callable[[], bool] | None = None,
) -> RetentionReport:
    """`_run_retention` acting for the actor's tenant, so PostgreSQL's row-level security
    keeps even the CLI's and the background job's runs inside it."""
    with tenant_context(actor.tenant_id):
        return _run_retention(
            engine, actor, now, archive_dir, chunk_size=chunk_size, should_stop=should_stop
        )


def _run_retention(
    engine: Engine,
    actor: Principal,
    now: datetime,
    archive_dir: Path,
    *,
    chunk_size: int = CHUNK_SIZE,
    should_stop: Callable[[], bool] | None = None,
) -> RetentionReport:
    """Delete the tenant's events older than `now - raw_events_days`, archiving them first.

    Each chunk is one write transaction: its rows are selected (and, on PostgreSQL, locked),
    written to `events-<cutoff date>-<run seq>-<part>.parquet` under a temporary name, fsynced,
    renamed, and only then deleted by log position, with the run's count, before commit. A
    crash therefore never loses an event: at worst a chunk whose file was written but whose
    deletion did not commit is archived again by the next run (two files holding the same
    events; `event_id` tells them apart). Idempotent: a run with the same cutoff finds nothing.
    Concurrent runs (several server processes) are safe: they take different chunks on
    PostgreSQL (SKIP LOCKED) and queue on SQLite's writer lock.

    Records one `retention_runs` row (also when nothing was old enough) and one audit entry
    `retention.run`. `should_stop` is asked between chunks; a run stopped early is completed
    by the next one. Raises InvalidInput for a tenant id unfit for a directory name.
    """
    started = time.monotonic()
    tenant_id = actor.tenant_id
    with engine.connect() as connection:
        rules = get_policy(connection, tenant_id).document.retention
    if rules.raw_events_days is None:
        return RetentionReport(tenant_id, None, 0, (), None, time.monotonic() - started)
    cutoff = now - timedelta(days=rules.raw_events_days)
    directory = _tenant_directory(archive_dir, tenant_id) if rules.archive else None
    with write_transaction(engine) as connection:
        run_seq = store.start_run(
            connection, tenant_id, now, cutoff, str(directory) if directory else None
        )
    deleted, files = _remove_in_chunks(
        engine, tenant_id, run_seq, cutoff, directory, chunk_size, should_stop
    )
    report = RetentionReport(
        tenant_id,
        cutoff,
        deleted,
        tuple(files),
        str(directory) if directory else None,
        time.monotonic() - started,
        run_seq,
    )
    with write_transaction(engine) as connection:
        _audit_run(connection, actor, now, report)
    return report


def _remove_in_chunks(
    engine: Engine,
    tenant_id: str,
    run_seq: int,
    cutoff: datetime,
    directory: Path | None,
    chunk_size: int,
    should_stop: Callable[[], bool] | None,
) -> tuple[int, list[str]]:
    """Archive (when `directory`) and delete chunk after chunk; return the count and files."""
    deleted, files = 0, list[str]()
    stem = f"events-{cutoff.date().isoformat()}-{run_seq}"
    while should_stop is None or not should_stop():
        with write_transaction(engine) as connection:
            chunk = store.lock_expired_events(connection, tenant_id, cutoff, chunk_size)
            if chunk and directory is not None:
                path = directory / f"{stem}-{len(files) + 1:04d}.parquet"
                write_archive(path, chunk)  # durable before the rows go
                files.append(str(path))
            removed = store.delete_events(connection, tenant_id, [e.seq for e in chunk])
            store.add_deleted(connection, run_seq, removed)
        deleted += removed
        if len(chunk) < chunk_size:
            break
    return deleted, files


def list_runs(connection: Connection, tenant_id: str) -> list[store.RetentionRun]:
    """The tenant's past runs, newest first (the last 100)."""
    return store.list_runs(connection, tenant_id)


def write_archive(path: Path, chunk: Sequence[store.ExpiredEvent]) -> None:
    """Write the events to a Parquet file readable by its owner only, durably, all or nothing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "tenant_id": [e.tenant_id for e in chunk],
            "event_id": [e.event_id for e in chunk],
            "learner_key": [e.learner_key for e in chunk],
            "type": [e.type for e in chunk],
            "event_time": [e.event_time for e in chunk],
            "received_at": [e.received_at for e in chunk],
            "content_hash": [e.content_hash for e in chunk],
            "payload": [
                orjson.dumps(e.payload, option=orjson.OPT_SORT_KEYS).decode() for e in chunk
            ],
        },
        schema=archive_schema(),
    )
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        pq.write_table(table, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    # The rename itself must survive a crash before the rows are deleted.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _tenant_directory(archive_dir: Path, tenant_id: str) -> Path:
    if not _SAFE_NAME.fullmatch(tenant_id):
        raise InvalidInput(f"Tenant id {tenant_id!r} cannot name an archive directory.")
    directory = archive_dir.resolve() / tenant_id
    # Archives are personal data: the directories are the operator's alone.
    archive_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def _audit_run(
    connection: Connection, actor: Principal, now: datetime, report: RetentionReport
) -> None:
    audit(
        connection,
        actor,
        "retention.run",
        "events",
        now=now,
        detail={
            "run": report.run_seq,
            "cutoff": report.cutoff.isoformat() if report.cutoff else None,
            "events_deleted": report.events_deleted,
            "files": len(report.files),
            "archive": report.archive_dir,
        },
    )
