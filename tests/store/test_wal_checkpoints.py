"""The write-ahead log is copied back into a SQLite database beside the writers, not in their
commits (stride.store.checkpoints)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Column, Engine, Integer, LargeBinary, MetaData, Table, insert

from stride.api.app import create_app
from stride.config import Settings
from stride.store.checkpoints import WalCheckpointer
from stride.store.database import create_db_engine

metadata = MetaData()
blobs = Table(
    "blobs", metadata, Column("id", Integer, primary_key=True), Column("data", LargeBinary)
)


def _write_a_megabyte(engine: Engine) -> None:
    """Commit about 1 MB: some 250 pages, far below the writers' own checkpoint (40,000).
    The engine's pool keeps the connection open: SQLite checkpoints when the last one closes."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(blobs), [{"data": bytes(4000)} for _ in range(250)])


def _wait_for(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_pages_reach_the_database_file_without_a_writer_checkpointing(tmp_path: Path) -> None:
    database = tmp_path / "stride.db"
    engine = create_db_engine(f"sqlite:///{database}")
    checkpointer = WalCheckpointer.for_engine(engine, 0.05)
    assert checkpointer is not None
    _write_a_megabyte(engine)
    # The writers' automatic checkpoint has not run: the pages are only in the log.
    assert database.stat().st_size < 500_000
    checkpointer.start()
    try:
        assert _wait_for(lambda: database.stat().st_size > 1_000_000)
    finally:
        checkpointer.stop()
    engine.dispose()
    assert not any(t.name == "stride-checkpoint" for t in threading.enumerate())


def test_a_missing_database_file_is_not_created(tmp_path: Path) -> None:
    database = tmp_path / "later.db"
    checkpointer = WalCheckpointer.for_engine(create_db_engine(f"sqlite:///{database}"), 0.02)
    assert checkpointer is not None
    checkpointer.start()
    time.sleep(0.2)
    assert not database.exists()  # the server's migrations create it, not this thread
    _write_a_megabyte(engine := create_db_engine(f"sqlite:///{database}"))
    try:
        assert _wait_for(lambda: database.stat().st_size > 1_000_000)  # found once it exists
    finally:
        checkpointer.stop()
        engine.dispose()


def test_no_checkpointer_where_there_is_nothing_to_run(tmp_path: Path) -> None:
    file_engine = create_db_engine(f"sqlite:///{tmp_path / 'stride.db'}")
    assert WalCheckpointer.for_engine(file_engine, 0) is None  # turned off
    assert WalCheckpointer.for_engine(create_db_engine("sqlite://"), 0.25) is None  # in memory
    postgres = create_db_engine("postgresql+psycopg://stride@127.0.0.1:1/none")  # never connects
    assert WalCheckpointer.for_engine(postgres, 0.25) is None


def test_the_server_checkpoints_while_it_runs(tmp_path: Path) -> None:
    database = tmp_path / "stride.db"
    settings = Settings(DATABASE_URL=f"sqlite:///{database}", SQLITE_CHECKPOINT_SECONDS=0.05)
    app = create_app(settings)
    assert app.state.checkpointer is not None
    with TestClient(app):
        assert any(t.name == "stride-checkpoint" for t in threading.enumerate())
        size_before = database.stat().st_size if database.exists() else 0
        _write_a_megabyte(app.state.engine)
        assert _wait_for(lambda: database.stat().st_size > size_before + 900_000)
    assert not any(t.name == "stride-checkpoint" for t in threading.enumerate())
    off = create_app(Settings(DATABASE_URL=f"sqlite:///{database}", SQLITE_CHECKPOINT_SECONDS=0))
    assert off.state.checkpointer is None
