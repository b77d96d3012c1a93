"""SQLite's WAL checkpoints, moved off the writer's path.

A checkpoint copies the pages committed to the write-ahead log back into the database file.
SQLite runs one itself in the connection whose commit takes the log past
`wal_autocheckpoint` pages (store.database), that is in Stride's writer, while it holds the
write lock: at ingest rates a batch dirties thousands of pages, and one request in every few
dozen waited ~0.5 s for the copy and its sync (bench/xapi.py).

`WalCheckpointer`, a daemon thread of every server process on a SQLite file (and of a file
import while it runs), copies the log every CHECKPOINT_INTERVAL_SECONDS without the write lock
(a PASSIVE checkpoint: writers go on appending meanwhile). SQLite starts the log over, instead
of growing it, only when every frame in it has been copied when a writer begins, and under
load some writer has nearly always committed more by then; so once the log is past
RESTART_AFTER_FRAMES, the thread copies the last frames holding Stride's write lock, a fraction
of what the writer's own checkpoint copied. The writer's automatic checkpoint stays on as the
backstop (for the CLI, and if this thread falls behind); it finds little or nothing to copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine

from stride.periodic import PeriodicThread
from stride.store.transactions import holding_write_lock

CHECKPOINT_INTERVAL_SECONDS = 0.5
# Well below wal_autocheckpoint (40,000 pages), so the writer seldom reaches its own.
RESTART_AFTER_FRAMES = 20_000


@dataclass(frozen=True)
class Checkpoint:
    """What a pass left: frames in the log, and how many of them are in the database file."""

    frames: int
    copied: int
    under_lock: bool  # the last frames were copied holding the write lock


def uses_wal_file(engine: Engine) -> bool:
    database = engine.url.database
    return engine.dialect.name == "sqlite" and bool(database) and database != ":memory:"


def checkpoint_wal(engine: Engine, restart_after_frames: int = RESTART_AFTER_FRAMES) -> Checkpoint:
    """One pass over a SQLite file's log (see the module's docstring)."""
    with engine.connect() as connection:
        # The driver's own connection, outside any transaction: SQLAlchemy opens one on first
        # use, and SQLite refuses to checkpoint from a connection whose transaction has read.
        driver = connection.connection.driver_connection
        assert driver is not None
        _, frames, copied = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames < restart_after_frames:
            return Checkpoint(frames, copied, under_lock=False)
        with holding_write_lock(engine):
            _, frames, copied = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return Checkpoint(frames, copied, under_lock=True)


class WalCheckpointer:
    """A daemon thread checkpointing a SQLite file's log; does nothing on PostgreSQL or an
    in-memory database. It waits on the disk nearly all the time (the GIL is released)."""

    def __init__(
        self,
        engine: Engine,
        interval_s: float = CHECKPOINT_INTERVAL_SECONDS,
        restart_after_frames: int = RESTART_AFTER_FRAMES,
    ) -> None:
        self._engine = engine
        self._thread = PeriodicThread(
            "stride-checkpoint",
            lambda: checkpoint_wal(engine, restart_after_frames),
            interval_s,
            "checkpointing the SQLite log failed",
        )

    def start(self) -> None:
        if uses_wal_file(self._engine):
            self._thread.start()

    def stop(self) -> None:
        self._thread.stop()


@contextmanager
def checkpointing(engine: Engine) -> Iterator[None]:
    """A WalCheckpointer for the duration of a long write outside the server (an import)."""
    checkpointer = WalCheckpointer(engine)
    checkpointer.start()
    try:
        yield
    finally:
        checkpointer.stop()
