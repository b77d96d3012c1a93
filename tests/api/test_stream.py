"""Live streams over a real server process (SSE needs one: a test client buffers the whole
body): progress, awards, replay with Last-Event-ID, access rules, heartbeats, the WebSocket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from stride.clock import utc_now
from stride.realtime.broker import Broker
from stride.realtime.follower import FollowConfig, Follower
from stride.realtime.log_tail import last_seq
from stride.store.event_log import append_events
from stride.tenancy.roles import Role
from stride.tenancy.service import create_key
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest, make_tenant

TIMEOUT = 10.0  # seconds any one expected message may take


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`stride serve` on a database, with short stream heartbeats."""

    def __init__(
        self, database_url: str, workers: int = 1, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "STRIDE_DATABASE_URL": database_url,
            "STRIDE_RATE_LIMIT_PER_SECOND": "0",
            "STRIDE_STREAM_HEARTBEAT_SECONDS": "1",
            **(env or {}),
        }
        command = [sys.executable, "-m", "stride.cli.main", "serve"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "stride serve exited"
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # still starting
            time.sleep(0.2)
        raise AssertionError(f"stride serve was not ready in {seconds} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class SseEvent:
    event: str
    data: dict[str, Any]
    id: int | None = None


@dataclass
class SseReader:
    """Reads SSE frames from an open response; never waits past its deadline."""

    lines: Iterator[str]
    comments: list[str] = field(default_factory=list)

    def next_event(self, deadline: float) -> SseEvent:
        fields: dict[str, str] = {}
        for line in self.lines:
            assert time.monotonic() < deadline, "no message before the deadline"
            if line.startswith(":"):
                self.comments.append(line)
            elif line == "" and "data" in fields:
                ident = fields.get("id")
                return SseEvent(
                    fields.get("event", "message"),
                    orjson.loads(fields["data"]),
                    int(ident) if ident else None,
                )
            elif ":" in line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    def wait_for(self, event: str, seconds: float = TIMEOUT, **match: Any) -> SseEvent:
        deadline = time.monotonic() + seconds
        while True:
            found = self.next_event(deadline)
            if found.event == event and all(found.data.get(k) == v for k, v in match.items()):
                return found


def open_stream(client: httpx.Client, path: str, key: str, last_event_id: int | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    return client.stream("GET", path, headers=headers)


def started(response: httpx.Response) -> SseReader:
    assert response.status_code == 200, response.read()
    assert response.headers["content-type"].startswith("text/event-stream")
    reader = SseReader(response.iter_lines())
    assert next(reader.lines) == ": stream open"  # subscribed: what follows is live
    return reader


def post(base: str, key: str, *events: dict[str, Any]) -> httpx.Response:
    response = httpx.post(
        f"{base}/v1/events", json=list(events), headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200 and response.json()["accepted"] == len(events)
    return response


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine]]:
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    engine: Engine = request.getfixturevalue(name)
    server = ServerProcess(engine.url.render_as_string(hide_password=False))
    try:
        server.wait_ready()
        yield server.base, engine
    finally:
        server.stop()


@pytest.fixture
def site(served: tuple[str, Engine]) -> tuple[str, TenantUnderTest, Engine]:
    base, engine = served
    return base, make_tenant(engine), engine


def client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(TIMEOUT))


def test_an_ingested_event_arrives_as_progress_updated(
    site: tuple[str, TenantUnderTest, Engine],
) -> None:
    base, tenant, _ = site
    with client() as http, open_stream(http, f"{base}/v1/stream", tenant.admin_key) as feed:
        reader = started(feed)
        with open_stream(http, f"{base}/v1/learners/ana/stream", tenant.admin_key) as own:
            mine = started(own)
            post(base, tenant.admin_key, make_event(learner="bob"), make_event(learner="ana"))
            message = mine.wait_for("progress.updated")
            assert message.id is not None and message.data["id"] == message.id
            assert message.data["progress"]["events"] == 1
            assert message.data["new_events"] == 1
            seen = {reader.wait_for("progress.updated").data["learner_key"] for _ in range(2)}
            assert message.data["learner_key"] in seen and len(seen) == 2
            # Ana's stream never carries Bob.
            assert (
                mine.wait_for("streak.changed").data["learner_key"] == message.data["learner_key"]
            )
        counters = reader.wait_for("counters", seconds=5)
        assert counters.id is None and counters.data["active_learners"] >= 2


def test_an_award_arrives_as_achievement_unlocked(
    site: tuple[str, TenantUnderTest, Engine],
) -> None:
    base, tenant, _ = site
    perfect = make_event(learner="cy", result={"score": 1.0, "success": True, "duration_s": 30})
    with (
        client() as http,
        open_stream(http, f"{base}/v1/learners/cy/stream", tenant.admin_key) as r,
    ):
        reader = started(r)
        post(base, tenant.admin_key, perfect)
        award = reader.wait_for("achievement.unlocked")
        assert award.data["achievement_id"] == "first-perfect-score"
        assert award.data["points"] == 10


def test_last_event_id_replays_what_was_missed(site: tuple[str, TenantUnderTest, Engine]) -> None:
    base, tenant, _ = site
    path = f"{base}/v1/learners/dee/stream"
    with client() as http:
        with open_stream(http, path, tenant.admin_key) as first:
            reader = started(first)
            post(base, tenant.admin_key, make_event(learner="dee"))
            last_seen = reader.wait_for("progress.updated").id
        assert last_seen is not None
        post(base, tenant.admin_key, make_event(learner="dee"), make_event(learner="dee"))
        with open_stream(http, path, tenant.admin_key, last_event_id=last_seen) as again:
            missed = started(again).wait_for("progress.updated")
        assert missed.id is not None and missed.id > last_seen
        assert missed.data["progress"]["events"] == 3
        with open_stream(http, path, tenant.admin_key, last_event_id=missed.id) as later:
            quiet = started(later)
            lines: list[str] = []
            while ": heartbeat" not in lines:  # within the read timeout: heartbeats are 1 s
                lines.append(next(quiet.lines))
            assert set(lines) <= {"", ": heartbeat"}  # nothing was replayed
        bad = http.get(
            path, headers={"Authorization": f"Bearer {tenant.admin_key}", "Last-Event-ID": "x"}
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"


def test_a_replay_too_long_ends_in_reset(site: tuple[str, TenantUnderTest, Engine]) -> None:
    base, tenant, _ = site
    post(base, tenant.admin_key, make_event(learner="eve"))
    with client() as http, open_stream(http, f"{base}/v1/stream", tenant.admin_key, 0) as r:
        replayed = started(r).wait_for("progress.updated")
    assert replayed.data["progress"]["events"] == 1
    # Older than the replay keeps: a reset (the server keeps 1,000 messages by default).
    many = [make_event(learner=f"l{n}") for n in range(1001)]
    for start in range(0, len(many), 500):
        post(base, tenant.admin_key, *many[start : start + 500])
    with client() as http, open_stream(http, f"{base}/v1/stream", tenant.admin_key, 0) as r:
        assert started(r).wait_for("reset").id is None


def test_a_learner_token_opens_its_own_stream_only(
    site: tuple[str, TenantUnderTest, Engine],
) -> None:
    base, tenant, engine = site
    admin = {"Authorization": f"Bearer {tenant.admin_key}"}
    issued = httpx.post(f"{base}/v1/learners/fay/tokens", headers=admin)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    with engine.begin() as connection:
        analyst = create_key(connection, tenant.tenant_id, Role.ANALYST, utc_now()).api_key
    with client() as http:
        own = f"{base}/v1/learners/fay/stream"
        for path, key, status in [
            (f"{base}/v1/learners/gus/stream", token, 403),
            (f"{base}/v1/stream", token, 403),
            (own, analyst, 403),
            (own, "sk_nope_nope", 401),
        ]:
            with open_stream(http, path, key) as response:
                assert response.status_code == status, path
                assert response.headers["content-type"] == "application/problem+json"
        with open_stream(http, own, token) as response:
            reader = started(response)
            post(base, tenant.admin_key, make_event(learner="gus"), make_event(learner="fay"))
            assert reader.wait_for("progress.updated").data["progress"]["events"] == 1
        with open_stream(http, f"{base}/v1/stream", analyst) as response:
            started(response)


def test_websocket_authenticates_then_streams(site: tuple[str, TenantUnderTest, Engine]) -> None:
    base, tenant, _ = site
    url = base.replace("http://", "ws://") + "/v1/ws"
    with ws_connect(url, open_timeout=TIMEOUT) as refused:
        refused.send(orjson.dumps({"token": "sk_wrong_key"}).decode())
        assert orjson.loads(refused.recv(timeout=TIMEOUT))["type"] == "error"
        with pytest.raises(ConnectionClosed) as closed:
            refused.recv(timeout=TIMEOUT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    with ws_connect(url, open_timeout=TIMEOUT) as socket_:
        socket_.send(orjson.dumps({"token": tenant.admin_key, "learner": "hal"}).decode())
        assert orjson.loads(socket_.recv(timeout=TIMEOUT))["type"] == "ready"
        post(base, tenant.admin_key, make_event(learner="ivy"), make_event(learner="hal"))
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = orjson.loads(socket_.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message["type"] == "progress.updated":
                break
        assert message["progress"]["events"] == 1 and isinstance(message["id"], int)


def _row(tenant: TenantUnderTest, learner_key: str) -> dict[str, Any]:
    event_id = str(uuid.uuid4())
    now = utc_now()
    payload = {"id": event_id, "type": "activity.started", "timestamp": now.isoformat()}
    return {
        "tenant_id": tenant.tenant_id,
        "event_id": event_id,
        "learner_key": learner_key,
        "type": "activity.started",
        "event_time": now,
        "received_at": now,
        "content_hash": "0" * 64,
        "payload": payload,
    }


@pytest.mark.postgres
def test_an_event_committed_after_a_later_one_is_not_skipped(
    postgres_engine: Engine,
) -> None:
    tenant = make_tenant(postgres_engine)
    broker = Broker()
    with postgres_engine.connect() as connection:
        subscription = broker.subscribe(tenant.tenant_id, None, last_seq(connection))
    follower = Follower(postgres_engine, broker, FollowConfig(commit_grace_s=60))
    follower.run_once()  # starts following at the log's end
    with postgres_engine.connect() as slow:
        slow_transaction = slow.begin()
        append_events(slow, [_row(tenant, "slow")])  # its seq is taken, not committed
        with postgres_engine.begin() as fast:
            append_events(fast, [_row(tenant, "fast")])
        first = follower.run_once()
        slow_transaction.commit()
    second = follower.run_once()
    third = follower.run_once()
    assert [m.learner_key for m in first if m.type == "progress.updated"] == ["fast"]
    assert [m.learner_key for m in second if m.type == "progress.updated"] == ["slow"]
    assert [m for m in third if m.type == "progress.updated"] == []  # nothing twice
    assert second[0].id is not None and first[0].id is not None
    assert second[0].id < first[0].id
    assert subscription.queue.qsize() >= 2


def test_a_tenant_streams_nothing_of_another(site: tuple[str, TenantUnderTest, Engine]) -> None:
    """Both tenants have a learner "ana"; what B's ana does never reaches A's streams, and a
    replay from the start of the log holds only A's own changes."""
    base, a, engine = site
    b = make_tenant(engine)
    with client() as http:
        with (
            open_stream(http, f"{base}/v1/stream", a.admin_key) as feed,
            open_stream(http, f"{base}/v1/learners/ana/stream", a.admin_key) as own,
        ):
            tenant_feed, learner = started(feed), started(own)
            secret = f"b-secret-{uuid.uuid4().hex[:8]}"
            post(base, b.admin_key, make_event(learner="ana", properties={"note": secret}))
            post(base, a.admin_key, make_event(learner="ana"))
            first = learner.wait_for("progress.updated")
            assert first.data["progress"]["events"] == 1  # A's one event, not B's
            seen = tenant_feed.wait_for("progress.updated")
            assert seen.data["learner_key"] == first.data["learner_key"]
            assert secret not in orjson.dumps([first.data, seen.data]).decode()
        with open_stream(http, f"{base}/v1/learners/ana/stream", a.admin_key, 0) as replayed:
            reader = started(replayed)
            message = reader.wait_for("progress.updated")
            assert message.data["progress"]["events"] == 1
            assert message.data["learner_key"] == first.data["learner_key"]
