"""Failures of a real `stride serve`: killed mid-batch, and its PostgreSQL database away.

Every event a client sends must end up stored exactly once and folded exactly once (`stride
verify` clean). The database outage is made local to the test's own PostgreSQL database
(ALLOW_CONNECTIONS false and its connections ended), never by stopping the server.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from stride.api.problems import install_problem_handlers
from stride.cli.main import app
from stride.config import get_settings
from stride.sdk import Client
from stride.store.database import create_db_engine
from stride.store.migrations import upgrade_database
from stride.store.tables import events, learner_stats
from tests.fixtures.database import POSTGRES_SKIP_REASON, postgres_admin_url
from tests.fixtures.tenant import TenantUnderTest, make_tenant

STRIDE = [sys.executable, "-m", "stride.cli.main"]
SDK_OPTIONS = {"batch_size": 40, "flush_interval": 0.02, "backoff_base": 0.05, "backoff_max": 0.5}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`stride serve` (one process) on a fixed port and database; killed and started again."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.env = {**os.environ, "STRIDE_DATABASE_URL": database_url}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*STRIDE, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not self._ready():
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "stride serve did not become ready in 60 s"
            time.sleep(0.05)  # still importing or migrating: poll again shortly

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own (dropped afterwards, even if left closed)."""
    if POSTGRES_SKIP_REASON:
        pytest.skip(POSTGRES_SKIP_REASON)
    admin_url = make_url(postgres_admin_url()).set(drivername="postgresql+psycopg")
    name = f"stride_fail_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stride.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


def _track(client: Client, count: int, tracked: list[str], pause: float = 0.001) -> None:
    for i in range(count):
        tracked.append(
            client.track(
                "exercise.attempted",
                f"learner-{i % 9}",
                activity={"id": f"course/ex-{i % 13}", "type": "exercise"},
                result={"score": (i % 10) / 10, "duration_s": 30 + i % 7},
                session=f"s-{i % 4}",
            )
        )
        time.sleep(pause)


def _stored(engine: Engine, tenant: TenantUnderTest, tracked: list[str]) -> None:
    """Every tracked event is in the log exactly once, and folded exactly once."""
    with engine.connect() as connection:
        ids = connection.execute(
            select(events.c.event_id).where(events.c.tenant_id == tenant.tenant_id)
        ).scalars()
        stored = [i for i in ids if i in set(tracked)]
        folded = connection.execute(
            select(func.sum(learner_stats.c.events)).where(
                learner_stats.c.tenant_id == tenant.tenant_id
            )
        ).scalar_one()
    assert len(tracked) == len(set(tracked))
    assert sorted(stored) == sorted(tracked)  # none lost, none twice
    assert folded == len(tracked)


def _verify_clean(database_url: str, tenant: TenantUnderTest) -> None:
    """`stride verify --tenant T` (in-process: one interpreter start fewer) exits 0."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STRIDE_DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            verified = CliRunner().invoke(app, ["verify", "--tenant", tenant.tenant_id, "--json"])
        finally:
            get_settings.cache_clear()
    answer = orjson.loads(verified.stdout)
    assert verified.exit_code == 0 and answer["clean"], answer


def test_a_server_killed_mid_batch_loses_and_doubles_nothing(
    migrated: Engine, database_url: str, tmp_path: Path
) -> None:
    tenant = make_tenant(migrated)
    server = Server(database_url, tmp_path / "serve.log")
    server.start()
    tracked: list[str] = []
    client = Client(server.url, tenant.admin_key, **SDK_OPTIONS)  # type: ignore[arg-type]
    try:
        streamer = threading.Thread(target=_track, args=(client, 600, tracked))
        streamer.start()
        deadline = time.monotonic() + 30
        while client.stats.accepted < 150:  # batches are on the wire: kill -9 now
            assert time.monotonic() < deadline, client.stats
            time.sleep(0.01)
        assert client.pending > 0
        server.kill()
        time.sleep(0.3)  # the stream goes on against a dead server
        server.start()
        streamer.join()
        assert client.flush(timeout=60)
        stats = client.stats
    finally:
        client.close()
        server.stop()
    _stored(migrated, tenant, tracked)
    assert stats.retries > 0
    assert stats.delivered == len(tracked)
    assert stats.rejected + stats.conflicts + stats.failed == 0
    _verify_clean(database_url, tenant)


def _close_database(admin: Engine, name: str, allow: bool) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )


def test_postgres_away_answers_503_then_recovers_by_itself(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = create_db_engine(postgres_url)
    upgrade_database(engine)
    tenant = make_tenant(engine)
    engine.dispose()  # no connection of the test's own may stay open while it is closed
    name = str(make_url(postgres_url).database)
    admin = create_engine(
        make_url(postgres_admin_url()).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    server = Server(postgres_url, tmp_path / "serve.log")
    server.start()
    headers = {"Authorization": f"Bearer {tenant.admin_key}"}
    now = datetime.now(UTC).isoformat()
    direct = [
        {"id": str(uuid.uuid4()), "type": "session.started", "learner": "direct", "timestamp": now}
        for _ in range(3)
    ]
    tracked: list[str] = []
    client = Client(server.url, tenant.admin_key, **SDK_OPTIONS)  # type: ignore[arg-type]
    try:
        _track(client, 100, tracked)
        assert client.flush(timeout=30)

        _close_database(admin, name, allow=False)
        answer = httpx.post(f"{server.url}/v1/events", json=direct, headers=headers, timeout=30)
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert int(answer.headers["Retry-After"]) > 0
        assert answer.json()["code"] == "database_unavailable"
        progress = httpx.get(f"{server.url}/v1/learners/learner-1/progress", headers=headers)
        assert progress.status_code == 503 and "Retry-After" in progress.headers
        assert httpx.get(f"{server.url}/readyz").status_code == 503
        _track(client, 200, tracked)  # the SDK keeps them and retries
        assert not client.flush(timeout=1)

        _close_database(admin, name, allow=True)  # the server is not restarted
        assert client.flush(timeout=60)
        answer = httpx.post(f"{server.url}/v1/events", json=direct, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        assert {e["status"] for e in answer.json()["results"]} == {"accepted"}, answer.text
        stats = client.stats
    finally:
        client.close()
        server.stop()
        _close_database(admin, name, allow=True)
        admin.dispose()
    assert stats.retries > 0 and stats.delivered == len(tracked) == 300
    assert stats.rejected + stats.conflicts + stats.failed == 0
    engine = create_db_engine(postgres_url)
    try:
        _stored(engine, tenant, tracked + [e["id"] for e in direct])
    finally:
        engine.dispose()
    _verify_clean(postgres_url, tenant)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("database is locked", 503),  # SQLite's busy timeout ran out
        ("no such table: events", 500),  # a bug, not an outage
    ],
)
def test_sqlite_busy_is_a_503_but_its_other_errors_are_not(error: str, status: int) -> None:
    api = FastAPI()
    install_problem_handlers(api)

    @api.get("/boom")
    def boom() -> None:
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError(error))

    answer = TestClient(api, raise_server_exceptions=False).get("/boom")
    assert answer.status_code == status
    assert ("Retry-After" in answer.headers) is (status == 503)
