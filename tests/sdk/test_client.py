"""Client against httpx.MockTransport: batching, retries, 4xx, rejections, helpers."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stride.sdk import (
    Client,
    ClientClosed,
    FieldProblem,
    QueueFull,
    StrideAPIError,
    StrideConnectionError,
)
from tests.sdk.fake_server import FakeStride, problem

URL = "http://stride.test"
KEY = "sk_test_123"


class Sleeps:
    """An injected sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        client.close(timeout=1.0)


def make(clients: list[Client], server: FakeStride, **options: Any) -> Client:
    options.setdefault("flush_interval", 60.0)  # only size, flush() and close() send
    client = Client(URL, KEY, transport=server.transport(), **options)
    clients.append(client)
    return client


def test_full_batches_go_at_once_and_the_rest_on_flush(clients: list[Client]) -> None:
    server = FakeStride()
    client = make(clients, server, batch_size=10)
    ids = [client.track("activity.started", f"u-{i}") for i in range(25)]
    deadline = time.monotonic() + 5
    while client.pending > 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # a partial batch would go now if it were sent without flush
    assert [len(batch) for batch in server.batches] == [10, 10]
    assert client.pending == 5
    assert client.flush(timeout=5)
    assert [len(batch) for batch in server.batches] == [10, 10, 5]
    assert server.sent_ids == ids  # in tracking order
    request = server.requests[0]
    assert request.method == "POST" and request.url.path == "/v1/events"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert set(json.loads(request.content)) == {"events"}
    stats = client.stats
    assert (stats.accepted, stats.delivered, stats.requests, stats.retries) == (25, 25, 3, 0)


def test_partial_batches_go_after_the_flush_interval(clients: list[Client]) -> None:
    server = FakeStride()
    client = make(clients, server, batch_size=100, flush_interval=0.05)
    client.track("activity.started", "u")
    deadline = time.monotonic() + 5
    while client.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(server.batches) == 1 and client.pending == 0


def test_5xx_and_network_errors_are_retried_with_jittered_backoff(clients: list[Client]) -> None:
    def script(number: int, request: httpx.Request) -> httpx.Response | None:
        if number == 0:
            raise httpx.ConnectError("refused", request=request)
        if number in (1, 2, 3):
            return problem(503, "down")
        return None

    server = FakeStride(script)
    sleeps = Sleeps()
    client = make(
        clients, server, sleep=sleeps, rng=random.Random(1), backoff_base=0.5, backoff_max=2.0
    )
    event_id = client.track("activity.started", "u")
    assert client.flush(timeout=5)
    assert len(server.requests) == 5
    assert len(sleeps.delays) == 4
    for attempt, delay in enumerate(sleeps.delays, start=1):
        assert 0 <= delay <= min(2.0, 0.5 * 2 ** (attempt - 1))
    # Every attempt carried the same event id: the server can tell a resend.
    assert {json.loads(r.content)["events"][0]["id"] for r in server.requests[1:]} == {event_id}
    assert client.stats.retries == 4 and client.stats.accepted == 1


@pytest.mark.parametrize("status", [429, 408])
def test_retry_after_is_honoured(clients: list[Client], status: int) -> None:
    def script(number: int, request: httpx.Request) -> httpx.Response | None:
        if number == 0:
            return httpx.Response(status, headers={"Retry-After": "7"})
        if number == 1:
            return httpx.Response(status, headers={"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"})
        return None

    server = FakeStride(script)
    sleeps = Sleeps()
    client = make(clients, server, sleep=sleeps)
    client.track("activity.started", "u")
    assert client.flush(timeout=5)
    assert sleeps.delays == [7.0, 0.0]
    assert client.stats.accepted == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_other_4xx_are_not_retried_and_are_reported(clients: list[Client], status: int) -> None:
    server = FakeStride(lambda number, request: problem(status, "no", code="unauthenticated"))
    reported: list[tuple[dict[str, Any], dict[str, Any]]] = []
    sleeps = Sleeps()
    client = make(clients, server, sleep=sleeps, on_rejected=lambda e, r: reported.append((e, r)))
    ids = [client.track("activity.started", "u") for _ in range(3)]
    assert client.flush(timeout=5)
    assert len(server.requests) == 1 and sleeps.delays == []
    assert [event["id"] for event, _ in reported] == ids
    assert reported[0][1] == {
        "id": ids[0],
        "status": "failed",
        "reason": "unauthenticated",
        "detail": "no",
        "http_status": status,
    }
    assert client.stats.failed == 3 and client.pending == 0


def test_rejected_events_are_reported_duplicates_count_as_delivered(
    clients: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeStride()
    server.reject = lambda event: event["learner"] == "bad"
    reported: list[tuple[dict[str, Any], dict[str, Any]]] = []
    client = make(clients, server, on_rejected=lambda e, r: reported.append((e, r)))
    first = client.track("activity.started", "u")
    client.track("activity.started", "bad")
    assert client.flush(timeout=5)
    client.track("activity.started", "u", event_id=first)  # a resend: duplicate
    assert client.flush(timeout=5)
    assert [(event["learner"], result["status"]) for event, result in reported] == [
        ("bad", "rejected")
    ]
    assert reported[0][1]["errors"] == [{"path": "result.score", "reason": "too big"}]
    stats = client.stats
    assert (stats.accepted, stats.duplicates, stats.rejected, stats.delivered) == (1, 1, 1, 2)
    assert "refused 1 of 2 events" in caplog.text


def test_a_raising_callback_does_not_stop_delivery(clients: list[Client]) -> None:
    server = FakeStride()
    server.reject = lambda event: event["learner"] == "bad"

    def boom(event: dict[str, Any], result: dict[str, Any]) -> None:
        raise RuntimeError("callback bug")

    client = make(clients, server, on_rejected=boom)
    client.track("activity.started", "bad")
    assert client.flush(timeout=5)
    client.track("activity.started", "good")
    assert client.flush(timeout=5)
    assert client.stats.accepted == 1


def test_413_splits_batches(clients: list[Client]) -> None:
    def script(number: int, request: httpx.Request) -> httpx.Response | None:
        too_big = len(json.loads(request.content)["events"]) > 3
        return problem(413, "too large") if too_big else None

    server = FakeStride(script)
    client = make(clients, server, batch_size=10)
    for i in range(10):
        client.track("activity.started", f"u-{i}")
    assert client.flush(timeout=5)
    assert len(server.stored) == 10
    assert all(len(batch) <= 3 for batch in server.batches)


def test_max_retries_gives_up(clients: list[Client]) -> None:
    server = FakeStride(lambda number, request: problem(500, "broken"))
    reported: list[dict[str, Any]] = []
    sleeps = Sleeps()
    client = make(
        clients, server, max_retries=2, sleep=sleeps, on_rejected=lambda e, r: reported.append(r)
    )
    client.track("activity.started", "u")
    assert client.flush(timeout=5)
    assert len(server.requests) == 3 and len(sleeps.delays) == 2
    assert reported[0]["reason"] == "retries_exhausted"


def test_queue_bound(clients: list[Client]) -> None:
    server = FakeStride(lambda number, request: problem(503, "down"))
    client = make(clients, server, max_queue=2, sleep=Sleeps(), max_retries=0)
    client.track("activity.started", "u")
    client.track("activity.started", "u")
    with pytest.raises(QueueFull):
        client.track("activity.started", "u")


def test_flush_times_out_while_the_server_is_down(clients: list[Client]) -> None:
    def script(number: int, request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("refused", request=request)

    client = make(clients, FakeStride(script), backoff_base=0.01, backoff_max=0.05)
    client.track("activity.started", "u")
    started = time.monotonic()
    assert client.flush(timeout=0.3) is False
    assert 0.25 < time.monotonic() - started < 2
    assert client.pending == 1


def test_close_flushes_and_refuses_more(clients: list[Client]) -> None:
    server = FakeStride()
    with Client(URL, KEY, transport=server.transport(), flush_interval=60) as client:
        client.track("activity.started", "u")
    assert len(server.stored) == 1
    with pytest.raises(ClientClosed):
        client.track("activity.started", "u")
    client.close()  # twice is fine


def test_track_is_thread_safe(clients: list[Client]) -> None:
    server = FakeStride()
    client = make(clients, server, batch_size=50)
    ids: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(100):
            event_id = client.track("activity.started", "u")
            with lock:
                ids.append(event_id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.flush(timeout=10)
    assert sorted(server.sent_ids) == sorted(ids) and len(set(ids)) == 400


# -- helpers -------------------------------------------------------------------------------


def helper_transport(calls: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.endswith("/nobody/progress"):
            return problem(
                422,
                "The request has invalid fields.",
                title="Unprocessable Entity",
                code="invalid_input",
                errors=[{"path": "learner_id", "reason": "too long"}],
            )
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(handle)


def test_helpers_call_the_endpoints(clients: list[Client]) -> None:
    calls: list[httpx.Request] = []
    client = Client(URL, KEY, transport=helper_transport(calls))
    clients.append(client)
    assert client.get_consent("u 1/x") == {"ok": True}
    client.set_consent("u", analytics=True, research=False)
    client.progress("u")
    client.set_timezone("u", "Asia/Tokyo")
    seen = [(r.method, r.url.raw_path.decode(), r.content) for r in calls]
    assert seen == [
        ("GET", "/v1/learners/u%201%2Fx/consent", b""),
        ("PUT", "/v1/learners/u/consent", b'{"analytics":true,"research":false}'),
        ("GET", "/v1/learners/u/progress", b""),
        ("PUT", "/v1/learners/u", b'{"timezone":"Asia/Tokyo"}'),
    ]
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in calls)
    with pytest.raises(ValueError):
        client.set_consent("u")


def test_helper_errors_carry_the_problem(clients: list[Client]) -> None:
    client = Client(URL, KEY, transport=helper_transport([]))
    clients.append(client)
    with pytest.raises(StrideAPIError) as raised:
        client.progress("nobody")
    error = raised.value
    assert (error.status, error.title, error.code) == (422, "Unprocessable Entity", "invalid_input")
    assert error.detail == "The request has invalid fields."
    assert error.errors == [FieldProblem("learner_id", "too long")]


def test_helper_network_errors(clients: list[Client]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = Client(URL, KEY, transport=httpx.MockTransport(refuse))
    clients.append(client)
    with pytest.raises(StrideConnectionError):
        client.get_consent("u")


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        Client("stride.test", KEY)
    with pytest.raises(ValueError):
        Client(URL, KEY, batch_size=1001)


EXIT_SCRIPT = """
import json, sys
import httpx
from stride.sdk import Client

out = open(sys.argv[1], "a")

def handle(request):
    events = json.loads(request.content)["events"]
    for event in events:
        out.write(event["id"] + "\\n")
    out.flush()
    results = [{"index": i, "id": e["id"], "status": "accepted"} for i, e in enumerate(events)]
    return httpx.Response(200, json={"results": results})

client = Client("http://stride.test", "k", transport=httpx.MockTransport(handle),
                flush_interval=3600)
for _ in range(3):
    print(client.track("activity.started", "u"))
# no flush, no close: the interpreter's exit must send them
"""


def test_the_queue_is_flushed_when_the_interpreter_exits(tmp_path: Path) -> None:
    received = tmp_path / "received.txt"
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(received)],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    )
    assert received.read_text().split() == done.stdout.split()
    assert len(done.stdout.split()) == 3
