"""Live streams across server processes: two on one PostgreSQL database (a subscriber of one
receives, woken by LISTEN/NOTIFY, the changes ingested through the other), and a server that
stops while streams are open."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from tests.api.test_stream import TIMEOUT, ServerProcess, open_stream, post, started
from tests.factories import make_event
from tests.fixtures.database import POSTGRES_SKIP_REASON
from tests.fixtures.tenant import make_tenant

# Polls so rare that only a NOTIFY can deliver within the test's time limit.
SLOW_POLL = {"STRIDE_STREAM_POLL_SECONDS": "60"}


@pytest.fixture(scope="module")
def two_servers(postgres_engine: Engine) -> Iterator[tuple[str, str, Engine]]:
    if POSTGRES_SKIP_REASON:
        pytest.skip(POSTGRES_SKIP_REASON)
    url = postgres_engine.url.render_as_string(hide_password=False)
    first, second = ServerProcess(url, env=SLOW_POLL), ServerProcess(url, env=SLOW_POLL)
    try:
        first.wait_ready()
        second.wait_ready()
        yield first.base, second.base, postgres_engine
    finally:
        first.stop()
        second.stop()


@pytest.mark.postgres
def test_a_change_ingested_through_one_process_reaches_a_subscriber_of_the_other(
    two_servers: tuple[str, str, Engine],
) -> None:
    reading, writing, engine = two_servers
    tenant = make_tenant(engine)
    with (
        httpx.Client(timeout=TIMEOUT) as http,
        open_stream(http, f"{reading}/v1/stream", tenant.admin_key) as response,
    ):
        reader = started(response)
        time.sleep(0.5)  # the reading process starts LISTENing with its first subscriber
        for learner in ("ana", "bob", "cy"):
            sent = time.monotonic()
            post(writing, tenant.admin_key, make_event(learner=learner))
            message = reader.wait_for("progress.updated", seconds=5)
            assert message.data["progress"]["events"] == 1
            assert time.monotonic() - sent < 5


def test_stopping_the_server_ends_open_streams_with_a_final_message(
    sqlite_engine: Engine,
) -> None:
    tenant = make_tenant(sqlite_engine)
    server = ServerProcess(sqlite_engine.url.render_as_string(hide_password=False))
    try:
        server.wait_ready()
        with (
            httpx.Client(timeout=TIMEOUT) as http,
            open_stream(http, f"{server.base}/v1/stream", tenant.admin_key) as response,
        ):
            reader = started(response)
            server.process.terminate()
            assert "shutting down" in reader.wait_for("dropped").data["reason"]
        assert server.process.wait(timeout=TIMEOUT) is not None  # it did not wait for us
    finally:
        server.stop()
