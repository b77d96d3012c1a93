"""The SDK against a real `stride serve` process on 127.0.0.1.

The server is stopped mid-stream and started again on the same port and database; every
tracked event must be stored exactly once.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stride.sdk import AsyncClient, Client, StrideAPIError

STRIDE = [sys.executable, "-m", "stride.cli.main"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`stride serve` on a fixed port and SQLite file, which can be stopped and restarted."""

    def __init__(self, db: Path, answer: dict[str, str]) -> None:
        self.db = db
        self.env = {**os.environ, "STRIDE_DATABASE_URL": f"sqlite:///{self.db}"}
        self.api_key: str = answer["api_key"]
        self.tenant_id: str = answer["tenant_id"]
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = db.with_name("serve.log")
        self.started_once = False

    def start(self) -> None:
        for attempt in range(3):
            if self._spawn():
                return
            # It exited while starting, most likely because another process took the port
            # between _free_port() and its bind: a first start moves to another port, a
            # restart (which must keep its port) tries the same one again.
            assert attempt < 2, self.log.read_text()[-3000:]
            if not self.started_once:
                self.port = _free_port()
                self.url = f"http://127.0.0.1:{self.port}"
            time.sleep(0.5)

    def _spawn(self) -> bool:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*STRIDE, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # Generous: on a loaded machine importing the server alone can take many seconds.
        deadline = time.monotonic() + 90
        try:
            while not self._ready():
                if self.process.poll() is not None:
                    return False
                assert time.monotonic() < deadline, "stride serve did not become ready in 90 s"
                time.sleep(0.05)  # the process is still starting: poll again shortly
        except BaseException:
            self.stop()
            raise
        self.started_once = True
        return True

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

    def stored_event_ids(self) -> list[str]:
        with sqlite3.connect(self.db) as db:
            rows = db.execute(
                "SELECT event_id FROM events WHERE tenant_id = ?", (self.tenant_id,)
            ).fetchall()
        db.close()
        return [str(row[0]) for row in rows]


@pytest.fixture
def server(tmp_path: Path, stride_cli: Callable[..., Any]) -> Iterator[Server]:
    # The tenant is created in-process (stride_cli uses tmp_path / "cli.db"): one process
    # start fewer.
    answer = stride_cli("tenants", "create", "sdk-test", "--json")
    running = Server(tmp_path / "cli.db", answer)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_every_event_arrives_exactly_once_across_a_server_restart(
    server: Server, tmp_path: Path
) -> None:
    queue = tmp_path / "sdk-queue.sqlite"
    options: dict[str, Any] = {
        "offline_queue": queue,
        "batch_size": 25,
        "flush_interval": 0.05,
        "backoff_base": 0.05,
        "backoff_max": 0.25,
        "timeout": 5.0,
    }
    tracked: list[str] = []

    def stream(client: Client, start: int, count: int) -> None:
        for i in range(start, start + count):
            tracked.append(
                client.track(
                    "exercise.attempted",
                    f"learner-{i % 7}",
                    activity={"id": f"course/ex-{i % 11}", "type": "exercise"},
                    result={"score": (i % 10) / 10, "duration_s": 30},
                    session=f"s-{i % 3}",
                )
            )
            time.sleep(0.002)

    first = Client(server.url, server.api_key, **options)
    stream(first, 0, 100)
    # Stop the server while the stream goes on and batches are on the wire.
    streamer = threading.Thread(target=stream, args=(first, 100, 100))
    streamer.start()
    time.sleep(0.1)
    server.stop()
    streamer.join()
    assert first.pending > 0  # the server is down: these wait in the offline queue
    # The platform's process ends during the outage; its events stay on disk.
    first.close(timeout=0.2)
    second = Client(server.url, server.api_key, **options)
    try:
        stream(second, 200, 100)
        assert second.pending >= 100
        server.start()
        assert second.flush(timeout=20)
        stats = [first.stats, second.stats]
    finally:
        second.close()

    assert len(tracked) == 300 == len(set(tracked))
    stored = server.stored_event_ids()
    assert len(stored) == len(set(stored)) == 300  # no event lost, none stored twice
    assert set(stored) == set(tracked)
    # Each event was acknowledged once as accepted or, for a lost answer, as duplicate.
    assert sum(s.delivered for s in stats) == 300
    assert sum(s.accepted for s in stats) == 300 - sum(s.duplicates for s in stats)
    assert sum(s.rejected + s.conflicts + s.failed for s in stats) == 0
    assert sum(s.retries for s in stats) > 0
    with sqlite3.connect(queue) as db:
        assert db.execute("SELECT count(*) FROM pending_events").fetchone()[0] == 0
    db.close()


def test_async_client_helpers_and_a_wrong_key_against_the_server(server: Server) -> None:
    async def main() -> None:
        async with AsyncClient(server.url, server.api_key, batch_size=20) as client:
            consent = await client.set_consent("ada", analytics=True, research=False)
            granted = {p["purpose"]: p["granted"] for p in consent["purposes"]}
            assert granted["analytics"] is True and granted["research"] is False
            assert (await client.get_consent("ada"))["purposes"] == consent["purposes"]
            learner = await client.set_timezone("ada", "Asia/Tokyo")
            assert learner["timezone"] == "Asia/Tokyo"
            for i in range(50):
                await client.track(
                    "activity.completed",
                    "ada",
                    activity={"id": f"course/lesson-{i}", "type": "lesson"},
                )
            assert await client.flush(timeout=10)
            assert client.stats.accepted == 50
            assert (await client.progress("ada"))["events"] == 50
            with pytest.raises(StrideAPIError) as raised:
                await client.set_timezone("ada", "Mars/Olympus_Mons")
            assert raised.value.status == 422 and raised.value.detail

    asyncio.run(main())
    assert len(server.stored_event_ids()) == 50

    # A wrong key: reported through on_rejected, not retried; helpers raise the problem.
    refused: list[dict[str, object]] = []
    with Client(server.url, "not-a-key", on_rejected=lambda e, r: refused.append(r)) as client:
        client.track("activity.started", "u")
        assert client.flush(timeout=10)
        with pytest.raises(StrideAPIError) as raised:
            client.progress("u")
    assert raised.value.status == 401 and raised.value.title
    assert refused[0]["http_status"] == 401 and client.stats.requests == 1
