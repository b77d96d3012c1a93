"""Write transactions that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event

_IMMEDIATE = "stride_sqlite_immediate"


class _SqliteWriterLock:
    """One writer at a time on a SQLite file, across the threads and processes serving it.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so writers queued on it wait
    far longer than the write takes; a kernel file lock wakes the next writer at once.
    """

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path: str | None = None
        if database and database != ":memory:" and not database.startswith("file:"):
            self._path = f"{database}.writer-lock"

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            if self._path is None:
                yield
                return
            # Opened per transaction (a batch): cheap, and nothing stays open after the engine.
            with open(self._path, "ab") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)


_writer_locks: dict[str | None, _SqliteWriterLock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> _SqliteWriterLock:
    database = engine.url.database
    with _writer_locks_guard:
        if database not in _writer_locks:
            _writer_locks[database] = _SqliteWriterLock(database)
        return _writer_locks[database]


def install_sqlite_begin(engine: Engine) -> None:
    """Let Stride choose BEGIN or BEGIN IMMEDIATE itself instead of pysqlite's implicit begin.

    A deferred write transaction that first reads can fail at once with "database is locked"
    when another writer got in between; BEGIN IMMEDIATE takes the write lock up front and
    waits (busy_timeout) instead.
    """

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def holding_write_lock(engine: Engine) -> Iterator[None]:
    """Hold the SQLite file's writer lock (write_transaction's) without a transaction: no
    other Stride writer, in this process or another, commits meanwhile."""
    with _writer_lock(engine).held():
        yield


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for writes: one writer at a time on SQLite, row-level on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with _writer_lock(engine).held(), engine.connect() as plain:
        connection = plain.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            yield connection
