"""AsyncClient against httpx.MockTransport: the same behaviour as Client, on asyncio."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from stride.sdk import AsyncClient, ClientClosed, StrideAPIError
from tests.sdk.fake_server import FakeStride, problem

URL = "http://stride.test"


def test_batches_retries_and_flush() -> None:
    def script(number: int, request: httpx.Request) -> httpx.Response | None:
        if number == 0:
            return httpx.Response(429, headers={"Retry-After": "3"})
        if number == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return None

    server = FakeStride(script)
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    async def main() -> list[str]:
        async with AsyncClient(
            URL,
            "k",
            transport=server.transport(),
            batch_size=10,
            flush_interval=60,
            sleep=sleep,
            rng=random.Random(3),
        ) as client:
            ids = [await client.track("activity.started", f"u-{i}") for i in range(25)]
            assert await client.flush(timeout=5)
            assert client.pending == 0
            assert client.stats.accepted == 25 and client.stats.retries == 2
        with pytest.raises(ClientClosed):
            await client.track("activity.started", "u")
        return ids

    ids = asyncio.run(main())
    assert server.sent_ids == ids
    assert [len(batch) for batch in server.batches] == [10, 10, 5]
    assert delays[0] == 3.0 and 0 <= delays[1] <= 1.0
    assert server.requests[0].headers["Authorization"] == "Bearer k"


def test_interval_sends_without_flush() -> None:
    server = FakeStride()

    async def main() -> None:
        async with AsyncClient(URL, "k", transport=server.transport(), flush_interval=0.05) as c:
            await c.track("activity.started", "u")
            for _ in range(200):
                if server.batches:
                    break
                await asyncio.sleep(0.01)
            assert len(server.batches) == 1

    asyncio.run(main())


def test_4xx_reported_not_retried() -> None:
    server = FakeStride(lambda number, request: problem(401, "bad key"))
    reported: list[dict[str, Any]] = []

    async def main() -> None:
        async with AsyncClient(
            URL, "k", transport=server.transport(), on_rejected=lambda e, r: reported.append(r)
        ) as client:
            await client.track("activity.started", "u")
            assert await client.flush(timeout=5)

    asyncio.run(main())
    assert len(server.requests) == 1
    assert reported[0]["status"] == "failed" and reported[0]["http_status"] == 401


def test_offline_queue_across_async_clients(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"

    def refuse(number: int, request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("refused", request=request)

    server = FakeStride()

    async def main() -> list[str]:
        down = AsyncClient(
            URL,
            "k",
            transport=FakeStride(refuse).transport(),
            offline_queue=path,
            backoff_base=0.01,
            backoff_max=0.02,
        )
        ids = [await down.track("activity.started", "u") for _ in range(5)]
        assert await down.flush(timeout=0.2) is False
        await down.close(timeout=0.1)
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM pending_events").fetchone()[0] == 5
        db.close()
        async with AsyncClient(URL, "k", transport=server.transport(), offline_queue=path) as up:
            assert await up.flush(timeout=5)
            assert up.stats.accepted == 5
        return ids

    ids = asyncio.run(main())
    assert server.sent_ids == ids


def test_async_helpers() -> None:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.method == "PUT" and request.url.path == "/v1/learners/u":
            return problem(422, "Unknown time zone", errors=[{"path": "timezone", "reason": "x"}])
        return httpx.Response(200, json={"events": 3})

    async def main() -> None:
        async with AsyncClient(URL, "k", transport=httpx.MockTransport(handle)) as client:
            assert await client.progress("u") == {"events": 3}
            await client.get_consent("u")
            await client.set_consent("u", analytics=False)
            with pytest.raises(StrideAPIError) as raised:
                await client.set_timezone("u", "Mars/Olympus")
            assert raised.value.status == 422 and raised.value.errors[0].path == "timezone"

    asyncio.run(main())
    assert [(r.method, r.url.path) for r in calls] == [
        ("GET", "/v1/learners/u/progress"),
        ("GET", "/v1/learners/u/consent"),
        ("PUT", "/v1/learners/u/consent"),
        ("PUT", "/v1/learners/u"),
    ]
    assert json.loads(calls[2].content) == {"analytics": False}
