"""The SQLite offline queue: written before sending, deleted once acknowledged, kept across runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from stride.sdk import Client
from stride.sdk.outbox import SQLiteOutbox
from tests.sdk.fake_server import FakeStride, problem

URL = "http://stride.test"


def queued_ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id FROM pending_events ORDER BY seq").fetchall()
    db.close()
    return [row[0] for row in rows]


def refuse(number: int, request: httpx.Request) -> httpx.Response | None:
    raise httpx.ConnectError("refused", request=request)


def test_events_are_on_disk_before_they_are_sent(tmp_path: Path) -> None:
    path = tmp_path / "queue" / "stride.sqlite"
    client = Client(URL, "k", transport=FakeStride(refuse).transport(), offline_queue=path)
    try:
        ids = [client.track("activity.started", "u") for _ in range(3)]
        assert queued_ids(path) == ids  # committed when track() returned
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()
    finally:
        client.close(timeout=0.1)


def test_pending_events_survive_the_client_and_go_first_next_time(tmp_path: Path) -> None:
    path = tmp_path / "stride.sqlite"
    down = Client(
        URL,
        "k",
        transport=FakeStride(refuse).transport(),
        offline_queue=path,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    first_run = [down.track("activity.started", f"u-{i}") for i in range(20)]
    assert down.flush(timeout=0.2) is False
    down.close(timeout=0.1)  # the server never answered: nothing may be lost
    assert queued_ids(path) == first_run

    server = FakeStride()
    up = Client(URL, "k", transport=server.transport(), offline_queue=path, flush_interval=60)
    try:
        second_run = [up.track("activity.started", "v")]
        assert up.flush(timeout=5)
        assert server.sent_ids == first_run + second_run
        assert queued_ids(path) == []
        assert up.stats.accepted == 21
    finally:
        up.close()


def test_leftovers_are_sent_on_start_without_new_tracking(tmp_path: Path) -> None:
    path = tmp_path / "stride.sqlite"
    outbox = SQLiteOutbox(path)
    outbox.put(
        "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69", '{"id":"5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69"}', 10
    )
    outbox.close()
    server = FakeStride()
    client = Client(URL, "k", transport=server.transport(), offline_queue=path, flush_interval=60)
    try:
        assert client.pending == 1
        assert client.flush(timeout=5)
        assert server.sent_ids == ["5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69"]
    finally:
        client.close()


def test_every_answer_for_an_event_acknowledges_it(tmp_path: Path) -> None:
    """accepted, duplicate, rejected (and a 4xx for the batch) all leave the queue."""
    path = tmp_path / "stride.sqlite"
    server = FakeStride()
    server.reject = lambda event: event["learner"] == "bad"
    client = Client(URL, "k", transport=server.transport(), offline_queue=path, flush_interval=60)
    try:
        good = client.track("activity.started", "u")
        client.track("activity.started", "bad")
        client.track("activity.started", "u", event_id=good)  # queued once: same id
        assert client.pending == 2
        assert client.flush(timeout=5)
        client.track("activity.started", "u", event_id=good)
        assert client.flush(timeout=5)
        assert queued_ids(path) == []
        stats = client.stats
        assert (stats.accepted, stats.duplicates, stats.rejected) == (1, 1, 1)
    finally:
        client.close()

    forbidden = FakeStride(lambda number, request: problem(403, "no events:write"))
    client = Client(URL, "k", transport=forbidden.transport(), offline_queue=path)
    try:
        client.track("activity.started", "u")
        assert client.flush(timeout=5)
        assert queued_ids(path) == [] and client.stats.failed == 1
    finally:
        client.close()
