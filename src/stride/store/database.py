"""Engines for the embedded SQLite store and for PostgreSQL."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from stride.store.tenant_context import current_tenant
from stride.store.transactions import install_sqlite_begin


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _set_sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer appends; NORMAL sync is durable across app crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    # Memory-mapped reads: when several server processes write in turn, each one's page cache
    # is invalidated by the others' commits; with mmap, re-reading a page costs no copy.
    cursor.execute("PRAGMA mmap_size=2147483648")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint past ~160 MB of WAL (the default is ~4 MB): an ingest batch dirties thousands
    # of pages (random event ids and learner keys), and a checkpoint, which the committing
    # writer runs while it holds the write lock, writes each page back once however often the
    # log holds it; the longer the log, the fewer times the same hot index pages are written
    # back and synced. Over HTTP at a million events stored: ~40 MB gave 6,181-6,333 events/s,
    # ~160 MB 6,921-6,970 (docs/benchmarks.md). The log is reused, so it stays about that size.
    cursor.execute("PRAGMA wal_autocheckpoint=40000")
    cursor.close()


def _set_tenant_setting(connection: Connection) -> None:
    # Transaction-local (is_local = true): a pooled connection never carries it to the next
    # transaction, whoever checks it out. One extra round trip per transaction with a tenant.
    tenant_id = current_tenant.get()
    if tenant_id is not None:
        connection.exec_driver_sql("SELECT set_config('stride.tenant_id', %s, true)", (tenant_id,))


def create_db_engine(url: str, pool_size: int = 8) -> Engine:
    """Build the engine for a database URL (sqlite:///... or postgresql+psycopg://...)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False},
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        install_sqlite_begin(engine)
        return engine
    engine = create_engine(
        parsed,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )
    # Row-Level Security (migration 0004) filters by this setting.
    event.listen(engine, "begin", _set_tenant_setting)
    return engine


def is_reachable(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any driver failure means "not ready", which is the answer asked for
        return False
    return True
