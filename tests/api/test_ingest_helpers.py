"""A server whose helper process prepares incoming batches stores exactly what one without does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.api.app import create_app
from stride.config import Settings
from stride.demo.generator import generate_demo_events
from stride.ingest import ahead
from stride.store.tenant_data import purge_tenant_activity
from stride.store.transactions import write_transaction
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest
from tests.store.snapshots import read_model_snapshot

NOW = datetime.now(UTC).replace(microsecond=0)
BATCH = 60  # over HELPED_FROM_EVENTS: helpers take it


def _events() -> list[Any]:
    events: list[Any] = list(islice(generate_demo_events(3, learners=12, days=30, end=NOW), 300))
    events[10] = {"id": "not-a-uuid", "type": "session.started"}  # rejected
    events[70] = dict(events[3])  # a duplicate, in another batch
    events[130] = {**events[4], "result": {"score": 0.5}}  # a conflict
    assert len(events) == 300
    return events


def _post_all(app_settings: Settings, engine: Engine, tenant: TenantUnderTest) -> list[Any]:
    events = _events()
    app = create_app(app_settings, engine=engine)
    with TestClient(app) as client:
        answers = []
        for start in range(0, len(events), BATCH):
            batch = events[start : start + BATCH]
            response = client.post("/v1/events", json=batch, headers=bearer(tenant.admin_key))
            assert response.status_code == 200, response.text
            answers.append(response.json())
        pool = app.state.ingest_helpers
        helped = pool.prepared_now if pool is not None else 0
    return [answers, helped]


def test_batches_prepared_by_a_helper_are_stored_as_without_one(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    url = str(engine.url)
    answers, helped = _post_all(Settings(DATABASE_URL=url, INGEST_HELPERS=1), engine, tenant)
    # The first batch is prepared in the server: no policy of the tenant was known yet.
    assert helped == len(answers) - 1
    assert answers[0]["rejected"] == 1
    with_helper = read_model_snapshot(engine, tenant.tenant_id)

    with write_transaction(engine) as connection:
        purge_tenant_activity(connection, tenant.tenant_id)
    plain, none = _post_all(Settings(DATABASE_URL=url, INGEST_HELPERS=0), engine, tenant)
    assert none == 0
    assert plain == answers
    assert read_model_snapshot(engine, tenant.tenant_id) == with_helper


def test_a_policy_changed_since_is_applied_to_a_batch_a_helper_prepared(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    app = create_app(Settings(DATABASE_URL=str(engine.url), INGEST_HELPERS=1), engine=engine)
    at = (NOW - timedelta(hours=1)).isoformat()
    headers = bearer(tenant.admin_key)
    with TestClient(app) as client:
        first = [make_event(learner=f"l{n % 4}", timestamp=at) for n in range(BATCH)]
        assert client.post("/v1/events", json=first, headers=headers).json()["accepted"] == BATCH
        policy = {"pii": {"fields": {"properties": "reject"}}}
        assert client.put("/v1/privacy/policy", json=policy, headers=headers).status_code == 200
        second = [
            make_event(learner=f"l{n % 4}", timestamp=at, properties={"note": "ana@example.org"})
            for n in range(BATCH)
        ]
        answer = client.post("/v1/events", json=second, headers=headers).json()
        assert app.state.ingest_helpers.prepared_now == 1  # under the policy it knew
    assert answer["rejected"] == BATCH
    assert {r["error"]["path"] for r in answer["results"]} == {"properties.note"}


def test_one_helper_by_default_on_several_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead.os, "cpu_count", lambda: 2)
    assert ahead.server_helpers(None) == 1
    assert ahead.server_helpers(0) == 0 and ahead.server_helpers(3) == 3
    monkeypatch.setattr(ahead.os, "cpu_count", lambda: 1)
    assert ahead.server_helpers(None) == 0
