"""Engines for the embedded SQLite store and for PostgreSQL."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

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
    # Checkpoint every ~40 MB of WAL instead of ~4 MB: an ingest batch dirties over a thousand
    # pages (random event ids and learner keys), so the default checkpointed on almost every
    # commit, writing the same hot index pages back to the database again and again.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


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
    return create_engine(
        parsed,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


def is_reachable(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any driver failure means "not ready", which is the answer asked for
        return False
    return True
