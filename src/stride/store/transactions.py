"""Write transactions that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event

_IMMEDIATE = "stride_sqlite_immediate"
_sqlite_writer = threading.Lock()


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
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for writes: one writer at a time on SQLite, row-level on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    # Threads of one process queue on a lock instead of polling SQLite's busy handler.
    with _sqlite_writer, engine.connect() as plain:
        connection = plain.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            yield connection
