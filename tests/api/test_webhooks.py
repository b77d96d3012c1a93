"""Webhooks over HTTP and the dispatcher against a real receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from stride.api.app import create_app
from stride.clock import utc_now
from stride.config import Settings
from stride.events.validation import content_hash, utc_text
from stride.privacy.pseudonym import learner_key
from stride.store import event_log
from stride.store.database import create_db_engine
from stride.store.migrations import upgrade_database
from stride.store.tables import audit_log, webhook_deliveries
from stride.store.transactions import write_transaction
from stride.tenancy.audit import operator_principal
from stride.tenancy.roles import Role
from stride.webhooks.backoff import RetryPolicy
from stride.webhooks.dispatcher import DispatchConfig, Dispatcher
from stride.webhooks.fanout import fan_out
from stride.webhooks.service import (
    WebhookRequest,
    delete_webhook,
    enqueue_test,
    register_webhook,
)
from stride.webhooks.signing import verify
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest, make_tenant
from tests.webhook_receiver import running_receiver


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def hooks(engine: Engine, tenant: TenantUnderTest) -> Iterator[TestClient]:
    """The API with private targets allowed (the receiver is on 127.0.0.1), no dispatcher.

    The tenant's webhooks go at the end: dispatchers serve every tenant of the shared
    database, and must not send a finished test's pending deliveries.
    """
    settings = Settings(DATABASE_URL=str(engine.url), WEBHOOK_ALLOW_PRIVATE_TARGETS=True)
    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as c:
        yield c
        admin = bearer(tenant.admin_key)
        for hook in c.get("/v1/webhooks", headers=admin).json()["webhooks"]:
            c.delete(f"/v1/webhooks/{hook['id']}", headers=admin)


def _dispatcher(
    engine: Engine, clock: Callable[[], datetime], tenant_id: str, **config: Any
) -> Dispatcher:
    """Confined to the test's tenant: the database is shared with other tests' webhooks."""
    settings = {"allow_private": True, "timeout_s": 5.0, **config}
    return Dispatcher(
        engine,
        DispatchConfig(**settings),
        rng=random.Random(3),
        clock=clock,
        tenant_ids=[tenant_id],
    )


def _register(
    client: TestClient, tenant: TenantUnderTest, url: str, types: list[str]
) -> dict[str, Any]:
    body = {"url": url, "event_types": types, "description": "test"}
    response = client.post("/v1/webhooks", json=body, headers=bearer(tenant.admin_key))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _append_derived(engine: Engine, tenant_id: str, key: str, kind: str) -> str:
    """A derived event appended to the log as the projectors do."""
    event_id = str(uuid.uuid4())
    now = utc_now()
    payload = {"id": event_id, "type": kind, "timestamp": utc_text(now), "derived": True}
    row = {
        "tenant_id": tenant_id,
        "event_id": event_id,
        "learner_key": key,
        "type": kind,
        "event_time": now,
        "received_at": now,
        "content_hash": content_hash(key, payload),
        "payload": payload,
    }
    with write_transaction(engine) as connection:
        event_log.append_events(connection, [row])
    return event_id


def _deliveries(client: TestClient, tenant: TenantUnderTest, hook_id: str) -> list[Any]:
    response = client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["deliveries"]
    return found


def test_register_shows_the_secret_once_lists_gets_deletes_and_audits(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    admin = bearer(tenant.admin_key)
    created = _register(hooks, tenant, "http://127.0.0.1:9/hook", ["achievement.*"])
    assert created["secret"].startswith("whsec_")
    listed = hooks.get("/v1/webhooks", headers=admin).json()["webhooks"]
    assert [h["id"] for h in listed] == [created["id"]]
    assert "secret" not in listed[0]
    one = hooks.get(f"/v1/webhooks/{created['id']}", headers=admin).json()
    assert one["event_types"] == ["achievement.*"] and "secret" not in one
    assert hooks.delete(f"/v1/webhooks/{created['id']}", headers=admin).status_code == 204
    assert hooks.get(f"/v1/webhooks/{created['id']}", headers=admin).status_code == 404
    assert hooks.delete(f"/v1/webhooks/{created['id']}", headers=admin).status_code == 404
    with engine.connect() as connection:
        actions = connection.execute(
            select(audit_log.c.action, audit_log.c.resource).where(
                audit_log.c.tenant_id == tenant.tenant_id
            )
        ).all()
    resource = f"webhooks/{created['id']}"
    assert {("webhook.create", resource), ("webhook.delete", resource)} <= set(actions)


def test_only_admins_manage_webhooks(
    hooks: TestClient, tenant: TenantUnderTest, key_factory: Any
) -> None:
    for role in (Role.INGEST, Role.ANALYST, Role.INSTRUCTOR):
        headers = bearer(key_factory(tenant.tenant_id, role))
        assert hooks.get("/v1/webhooks", headers=headers).status_code == 403
        body = {"url": "https://hooks.example.com/", "event_types": ["goal.met"]}
        assert hooks.post("/v1/webhooks", json=body, headers=headers).status_code == 403


@pytest.mark.parametrize(
    ("url", "types", "field"),
    [
        ("http://127.0.0.1:9/hook", ["goal.met"], "url"),  # private without the setting
        ("http://169.254.169.254/", ["goal.met"], "url"),
        ("https://u:p@hooks.example.com/", ["goal.met"], "url"),
        ("gopher://hooks.example.com/", ["goal.met"], "url"),
        ("https://hooks.example.com/", ["goal.reached"], "event_types[0]"),
    ],
)
def test_registration_refuses_unsafe_urls_and_unknown_types(
    client: TestClient, tenant: TenantUnderTest, url: str, types: list[str], field: str
) -> None:
    body = {"url": url, "event_types": types}
    response = client.post("/v1/webhooks", json=body, headers=bearer(tenant.admin_key))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == field


def test_a_derived_event_is_delivered_signed_with_the_learner_key(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    clock = Clock()
    with running_receiver() as receiver:
        hook = _register(hooks, tenant, receiver.url, ["achievement.*"])
        key = learner_key(tenant.scope.learner_secret, "ana")
        event_id = _append_derived(engine, tenant.tenant_id, key, "achievement.awarded")
        _append_derived(engine, tenant.tenant_id, key, "goal.met")  # not subscribed
        report = _dispatcher(engine, clock, tenant.tenant_id).run_once()
    assert (report.enqueued, report.delivered) == (1, 1)
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["stride-event-type"] == "achievement.awarded"
    t, v1 = (part.split("=", 1)[1] for part in headers["stride-signature"].split(","))
    expected = hmac.new(
        hook["secret"].encode(), t.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(v1, expected)
    assert verify(hook["secret"], headers["stride-signature"], request.body, int(t))
    body = json.loads(request.body)
    assert body["id"] == headers["stride-delivery"] and body["webhook_id"] == hook["id"]
    event = body["event"]
    assert event["id"] == event_id and event["type"] == "achievement.awarded"
    assert event["learner_key"] == key and event["derived"] is True
    assert "ana" not in request.body.decode()
    [record] = _deliveries(hooks, tenant, hook["id"])
    assert record["status"] == "delivered" and record["attempts"] == 1
    assert record["last_status_code"] == 200 and record["delivered_at"] is not None


def test_a_500_is_retried_with_backoff_until_it_succeeds(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    clock = Clock()
    with running_receiver([500, 200]) as receiver:
        hook = _register(hooks, tenant, receiver.url, ["goal.met"])
        _append_derived(engine, tenant.tenant_id, "k" * 64, "goal.met")
        dispatcher = _dispatcher(engine, clock, tenant.tenant_id)
        dispatcher.run_once()
        [pending] = _deliveries(hooks, tenant, hook["id"])
        assert pending["status"] == "pending" and pending["attempts"] == 1
        assert pending["last_status_code"] == 500 and pending["last_error"] == "HTTP 500"
        retry_at = datetime.fromisoformat(pending["next_attempt_at"])
        assert clock.now <= retry_at <= clock.now + timedelta(seconds=2)
        clock.advance(seconds=3)
        dispatcher.run_once()
    [done] = _deliveries(hooks, tenant, hook["id"])
    assert done["status"] == "delivered" and done["attempts"] == 2
    assert len(receiver.requests) == 2
    assert len({r.headers["Stride-Delivery"] for r in receiver.requests}) == 1


def test_410_gone_disables_the_webhook(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    clock = Clock()
    with running_receiver([410]) as receiver:
        hook = _register(hooks, tenant, receiver.url, ["goal.met"])
        _append_derived(engine, tenant.tenant_id, "k" * 64, "goal.met")
        dispatcher = _dispatcher(engine, clock, tenant.tenant_id)
        dispatcher.run_once()
        _append_derived(engine, tenant.tenant_id, "k" * 64, "goal.met")
        clock.advance(hours=2)
        dispatcher.run_once()
    assert len(receiver.requests) == 1
    shown = hooks.get(f"/v1/webhooks/{hook['id']}", headers=bearer(tenant.admin_key)).json()
    assert shown["disabled_at"] is not None
    [record] = _deliveries(hooks, tenant, hook["id"])
    assert record["status"] == "failed" and record["last_status_code"] == 410


def test_a_delivery_fails_after_max_attempts(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    clock = Clock()
    policy = RetryPolicy(base_s=2.0, cap_s=3600.0, max_attempts=3)
    with running_receiver([503]) as receiver:
        hook = _register(hooks, tenant, receiver.url, ["goal.met"])
        _append_derived(engine, tenant.tenant_id, "k" * 64, "goal.met")
        dispatcher = _dispatcher(engine, clock, tenant.tenant_id, retry=policy)
        for _ in range(5):
            dispatcher.run_once()
            clock.advance(hours=2)
    assert len(receiver.requests) == 3
    failed = _deliveries(hooks, tenant, hook["id"] + "")
    assert [(d["status"], d["attempts"]) for d in failed] == [("failed", 3)]
    only_failed = hooks.get(
        f"/v1/webhooks/{hook['id']}/deliveries",
        params={"status": "pending"},
        headers=bearer(tenant.admin_key),
    )
    assert only_failed.json()["deliveries"] == []


def test_redirects_are_not_followed(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    with running_receiver([302]) as receiver:
        hook = _register(hooks, tenant, receiver.url, ["goal.met"])
        _append_derived(engine, tenant.tenant_id, "k" * 64, "goal.met")
        _dispatcher(engine, Clock(), tenant.tenant_id).run_once()
    assert [r.path for r in receiver.requests] == ["/hook"]
    [record] = _deliveries(hooks, tenant, hook["id"])
    assert record["status"] == "pending" and record["last_status_code"] == 302
    assert record["last_error"] == "redirect not followed"


def test_private_targets_are_refused_at_delivery_without_the_setting(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    with running_receiver() as receiver:
        hook = _register(hooks, tenant, receiver.url, ["goal.met"])
        _append_derived(engine, tenant.tenant_id, "k" * 64, "goal.met")
        _dispatcher(engine, Clock(), tenant.tenant_id, allow_private=False).run_once()
    assert receiver.requests == []
    [record] = _deliveries(hooks, tenant, hook["id"])
    assert record["status"] == "pending" and record["last_error"].startswith("refused")


def test_the_test_delivery_is_sent_but_not_in_the_log(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    with running_receiver() as receiver:
        hook = _register(hooks, tenant, receiver.url, ["goal.met"])
        queued = hooks.post(f"/v1/webhooks/{hook['id']}/test", headers=bearer(tenant.admin_key))
        assert queued.status_code == 202 and queued.json()["event_type"] == "webhook.test"
        _dispatcher(engine, Clock(), tenant.tenant_id).run_once()
    [request] = receiver.requests
    event = json.loads(request.body)["event"]
    assert event["type"] == "webhook.test" and event["test"] is True
    with engine.connect() as connection:
        assert event_log.find_content_hashes(connection, tenant.tenant_id, [event["id"]]) == {}
    missing = hooks.post(f"/v1/webhooks/{uuid.uuid4()}/test", headers=bearer(tenant.admin_key))
    assert missing.status_code == 404


def _enqueued(engine: Engine, hook_id: str) -> int:
    query = select(func.count()).where(webhook_deliveries.c.webhook_id == hook_id)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_enqueueing_is_exactly_once_however_often_and_concurrently_fan_out_runs(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    hook = _register(hooks, tenant, "http://127.0.0.1:9/hook", ["skill.*", "goal.met"])
    for n in range(30):
        kind = ("skill.acquired", "goal.met", "goal.set")[n % 3]
        _append_derived(engine, tenant.tenant_id, f"{n:064d}", kind)
    # Past events only: the settle window must not hold the cursor back (PostgreSQL).
    settled = utc_now() + timedelta(seconds=1) if engine.dialect.name == "postgresql" else None
    fan_out(engine, utc_now(), settled, [tenant.tenant_id])
    fan_out(engine, utc_now(), settled, [tenant.tenant_id])
    assert _enqueued(engine, hook["id"]) == 20
    for n in range(30, 60):
        _append_derived(engine, tenant.tenant_id, f"{n:064d}", "goal.met")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fan_out(engine, utc_now(), None, [tenant.tenant_id])
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _enqueued(engine, hook["id"]) == 50


def test_a_hung_receiver_does_not_slow_ingest(
    hooks: TestClient, engine: Engine, tenant: TenantUnderTest
) -> None:
    admin = bearer(tenant.admin_key)
    with running_receiver(delay_s=3.0) as receiver:
        _register(hooks, tenant, receiver.url, ["*"])
        # Real time: the thread runs rounds on its own.
        dispatcher = _dispatcher(engine, utc_now, tenant.tenant_id, poll_s=0.05)
        dispatcher.start()
        try:
            first = [make_event(learner="ana")]
            assert hooks.post("/v1/events", json=first, headers=admin).status_code < 300
            deadline = time.monotonic() + 10
            while not receiver.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            assert receiver.requests, "the dispatcher should be sending (and hanging) by now"
            for _ in range(5):
                started = time.monotonic()
                batch = [make_event(learner="ana") for _ in range(20)]
                response = hooks.post("/v1/events", json=batch, headers=admin)
                assert response.status_code < 300
                assert time.monotonic() - started < 1.0
            assert len(receiver.requests) < 6, "still stuck on the hung receiver"
        finally:
            dispatcher.stop()


def test_the_server_runs_the_dispatcher_in_its_lifespan(tmp_path: Path) -> None:
    # A database of its own: this dispatcher serves every tenant it finds.
    engine = create_db_engine(f"sqlite:///{tmp_path / 'hooks.db'}")
    upgrade_database(engine)
    settings = Settings(DATABASE_URL=str(engine.url), WEBHOOK_POLL_SECONDS=0.05)

    def running() -> bool:
        return any(t.name == "stride-webhooks" for t in threading.enumerate())

    with TestClient(create_app(settings, engine=engine)):
        assert running()
    assert not running()
    engine.dispose()


def test_erasure_removes_the_learners_delivery_records(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    admin = bearer(tenant.admin_key)
    with running_receiver() as receiver:
        hook = _register(hooks, tenant, receiver.url, ["exercise.attempted"])
        sent = [make_event(learner="ana"), make_event(learner="ben")]
        assert hooks.post("/v1/events", json=sent, headers=admin).status_code < 300
        _dispatcher(engine, Clock(), tenant.tenant_id, commit_grace=timedelta(0)).run_once()
    assert len(receiver.requests) == 2
    assert hooks.delete("/v1/learners/ana", headers=admin).status_code == 200
    [left] = _deliveries(hooks, tenant, hook["id"])
    assert left["event_id"] == sent[1]["id"]


def test_finished_records_are_purged_after_the_retention_period(
    hooks: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    clock = Clock()
    with running_receiver() as receiver:
        hook = _register(hooks, tenant, receiver.url, ["goal.met"])
        _append_derived(engine, tenant.tenant_id, "k" * 64, "goal.met")
        _dispatcher(engine, clock, tenant.tenant_id).run_once()
    assert len(_deliveries(hooks, tenant, hook["id"])) == 1
    clock.advance(days=31)
    report = _dispatcher(engine, clock, tenant.tenant_id).run_once()
    assert report.purged >= 1
    assert _deliveries(hooks, tenant, hook["id"]) == []


@pytest.mark.postgres
def test_the_dispatcher_works_under_row_level_security(app_role_engine: Engine) -> None:
    """Connected as an ordinary role (RLS binds): the cross-tenant scans run in operator mode
    and each delivery's reads and writes pass its tenant's policy."""
    tenant = make_tenant(app_role_engine)
    with app_role_engine.connect() as connection:
        actor = operator_principal(connection, tenant.tenant_id)
    with running_receiver() as receiver:
        request = WebhookRequest(receiver.url, ["goal.met"])
        hook = register_webhook(app_role_engine, actor, request, True, utc_now())
        _append_derived(app_role_engine, tenant.tenant_id, "k" * 64, "goal.met")
        enqueue_test(app_role_engine, tenant.tenant_id, hook.id, utc_now())
        report = _dispatcher(app_role_engine, Clock(), tenant.tenant_id).run_once()
        delete_webhook(app_role_engine, actor, hook.id, utc_now())
    assert (report.enqueued, report.delivered) == (1, 2)
    assert len(receiver.requests) == 2
