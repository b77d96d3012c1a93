"""Copy SQLite's write-ahead log back into the database in a thread beside the writers.

With SQLite's own automatic checkpoints, the commit that takes the log past its threshold
copies the log's pages back into the database and syncs the file before it returns: the
writer stalls for it, holding the write lock (with a checkpoint every ~40 MB of log, a third
of the time spent committing at ingest rates). A passive checkpoint run from another
connection does the same copy while the writers go on appending (it never waits for them,
nor they for it); sqlite3 releases the interpreter lock while it runs, so the copy uses a
core the writer does not. The writers' own automatic checkpoint stays as the backstop for a
log this thread cannot keep short.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import structlog
from sqlalchemy import Engine

log = structlog.get_logger()


class WalCheckpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` every `interval_s` on a file SQLite database."""

    def __init__(self, database: str, interval_s: float) -> None:
        self._database = database
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_engine(cls, engine: Engine, interval_s: float) -> WalCheckpointer | None:
        """A checkpointer for the engine's database; None where there is none to run (off,
        PostgreSQL, an in-memory database)."""
        database = engine.url.database
        if interval_s <= 0 or engine.dialect.name != "sqlite" or not database:
            return None
        if database == ":memory:" or database.startswith("file:"):
            return None
        return cls(database, interval_s)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stride-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self._interval):
                connection = connection or self._connect()
                if connection is not None:
                    self.checkpoint_once(connection)
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> sqlite3.Connection | None:
        """A connection of the thread's own; None while the database file does not exist
        (never created here: the server's migrations create it)."""
        uri = f"{Path(self._database).absolute().as_uri()}?mode=rw"
        try:
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error:
            return None
        connection.isolation_level = None
        # A passive checkpoint takes no lock writers wait on; a short timeout only covers
        # another process's checkpoint running at the same moment.
        connection.execute("PRAGMA busy_timeout=1000")
        return connection

    @staticmethod
    def checkpoint_once(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # the file may be briefly unavailable: next round
            log.warning("wal checkpoint failed", error=str(error))
