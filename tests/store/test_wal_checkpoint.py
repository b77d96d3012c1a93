"""SQLite's write-ahead log is copied back into the file by a background thread of each server
(store/wal_checkpoint.py), not by the writer while it holds the write lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.api.app import create_app
from stride.config import Settings
from stride.store.database import create_db_engine
from stride.store.transactions import holding_write_lock, write_transaction
from stride.store.wal_checkpoint import WalCheckpointer, checkpoint_wal, uses_wal_file

THREAD = "stride-checkpoint"


def _file_engine(path: Path) -> Engine:
    engine = create_db_engine(f"sqlite:///{path}")
    with write_transaction(engine) as connection:
        connection.exec_driver_sql("CREATE TABLE notes (n INTEGER PRIMARY KEY, body TEXT)")
    return engine


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Engine]:
    engine = _file_engine(tmp_path / "wal.db")
    yield engine
    engine.dispose()


def _write(engine: Engine, rows: int, first: int = 0) -> None:
    with write_transaction(engine) as connection:
        connection.exec_driver_sql(
            "INSERT INTO notes (n, body) VALUES (?, ?)",
            [(n, "x" * 2000) for n in range(first, first + rows)],
        )


def _log_frames(engine: Engine) -> int:
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        return int(driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


def test_a_pass_copies_the_log_without_the_write_lock(sqlite_file: Engine) -> None:
    _write(sqlite_file, 200)
    with holding_write_lock(sqlite_file):  # a writer mid-transaction does not hold it up
        done = checkpoint_wal(sqlite_file, restart_after_frames=1_000_000)
    assert done.frames > 100
    assert done.copied == done.frames
    assert not done.under_lock


def test_a_long_log_is_finished_under_the_lock_and_then_starts_over(sqlite_file: Engine) -> None:
    _write(sqlite_file, 400)
    long_log = _log_frames(sqlite_file)
    assert long_log > 200

    started, finished = threading.Event(), threading.Event()
    passes = []

    def checkpoint() -> None:
        started.set()
        passes.append(checkpoint_wal(sqlite_file, restart_after_frames=100))
        finished.set()

    with holding_write_lock(sqlite_file):  # a writer is at work: the last copy waits for it
        thread = threading.Thread(target=checkpoint)
        thread.start()
        started.wait(5)
        assert not finished.wait(0.3)
    thread.join(10)
    assert passes[0].under_lock
    assert passes[0].copied == passes[0].frames

    # Every frame copied and no writer in between: the next writer starts the log over
    # rather than appending to it.
    _write(sqlite_file, 1, first=10_000)
    assert _log_frames(sqlite_file) < long_log // 10


def test_the_checkpointer_keeps_the_log_short_under_writes(tmp_path: Path) -> None:
    def log_after_writes(engine: Engine) -> int:
        for batch in range(30):
            _write(engine, 100, first=batch * 100)
            # A pause between writers, as between a server's groups: back-to-back writes from
            # one thread would win the write lock again before the checkpointer's turn.
            time.sleep(0.02)
        return _log_frames(engine)

    alone = _file_engine(tmp_path / "alone.db")
    helped = _file_engine(tmp_path / "helped.db")
    checkpointer = WalCheckpointer(helped, interval_s=0.005, restart_after_frames=100)
    checkpointer.start()
    try:
        # SQLite's own threshold (40,000 frames) is never reached: the log holds every page.
        assert log_after_writes(alone) > 1_000
        assert log_after_writes(helped) < 500
    finally:
        checkpointer.stop()
        alone.dispose()
        helped.dispose()
    assert THREAD not in {thread.name for thread in threading.enumerate()}


def test_every_server_on_a_sqlite_file_runs_it(sqlite_file: Engine) -> None:
    app = create_app(Settings(DATABASE_URL=str(sqlite_file.url)), engine=sqlite_file)
    with TestClient(app):
        assert THREAD in {thread.name for thread in threading.enumerate()}
    assert THREAD not in {thread.name for thread in threading.enumerate()}


@pytest.mark.postgres
def test_nothing_to_checkpoint_on_postgresql_or_in_memory(postgres_engine: Engine) -> None:
    memory = create_db_engine("sqlite://")
    for other in (postgres_engine, memory):
        assert not uses_wal_file(other)
        checkpointer = WalCheckpointer(other, interval_s=0.01)
        checkpointer.start()
        assert THREAD not in {thread.name for thread in threading.enumerate()}
        checkpointer.stop()
    memory.dispose()
