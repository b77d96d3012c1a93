from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest
from tests.strategies import json_values as any_json


def test_batch_reports_each_event(client: TestClient, tenant: TenantUnderTest) -> None:
    kept = make_event()
    body = {"events": [kept, make_event(result={"score": 7}), kept, {**kept, "type": "goal.set"}]}
    response = client.post("/v1/events", json=body, headers=bearer(tenant.admin_key))
    assert response.status_code == 200
    data = response.json()
    assert (data["accepted"], data["duplicates"], data["conflicts"], data["rejected"]) == (
        1,
        1,
        1,
        1,
    )
    statuses = [r["status"] for r in data["results"]]
    assert statuses == ["accepted", "rejected", "duplicate", "conflict"]
    assert data["results"][1]["error"] == {
        "path": "result.score",
        "reason": "Input should be less than or equal to 1",
    }
    assert data["results"][0]["id"] == kept["id"]


def test_a_bare_array_is_a_batch(client: TestClient, tenant: TenantUnderTest) -> None:
    response = client.post(
        "/v1/events", json=[make_event(), make_event()], headers=bearer(tenant.admin_key)
    )
    assert response.json()["accepted"] == 2


def test_single_event_outcomes(client: TestClient, tenant: TenantUnderTest) -> None:
    event = make_event()
    headers = bearer(tenant.admin_key)
    assert client.post("/v1/events", json=event, headers=headers).json()["accepted"] == 1
    again = client.post("/v1/events", json=event, headers=headers)
    assert again.status_code == 200 and again.json()["duplicates"] == 1

    conflict = client.post("/v1/events", json={**event, "session": "x"}, headers=headers)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"

    rejected = client.post("/v1/events", json=make_event(timestamp="2024-01-01"), headers=headers)
    assert rejected.status_code == 422
    problem = rejected.json()
    assert problem["status"] == 422 and problem["code"] == "invalid_event"
    assert problem["errors"][0]["path"] == "timestamp"
    assert problem["results"][0]["status"] == "rejected"


def test_auth_is_required_and_roles_are_checked(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    assert client.post("/v1/events", json=make_event()).status_code == 401
    wrong = client.post("/v1/events", json=make_event(), headers=bearer("sk_0123456789abcdef_x"))
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    analyst = key_factory(tenant.tenant_id, Role.ANALYST)
    denied = client.post("/v1/events", json=make_event(), headers=bearer(analyst))
    assert denied.status_code == 403
    ingest = key_factory(tenant.tenant_id, Role.INGEST)
    assert client.post("/v1/events", json=make_event(), headers=bearer(ingest)).status_code == 200


def test_malformed_large_and_non_json_bodies(client: TestClient, tenant: TenantUnderTest) -> None:
    headers = {**bearer(tenant.admin_key), "Content-Type": "application/json"}
    malformed = client.post("/v1/events", content=b"{not json", headers=headers)
    assert malformed.status_code == 400
    assert malformed.json()["type"] == "urn:stride:problem:malformed_request"

    huge = b'{"events": [' + b"1," * (3 * 1024 * 1024) + b"1]}"
    assert client.post("/v1/events", content=huge, headers=headers).status_code == 413

    too_many = {"events": [make_event() for _ in range(1001)]}
    assert client.post("/v1/events", json=too_many, headers=headers).status_code == 413

    text = client.post(
        "/v1/events",
        content=b"hello",
        headers={**bearer(tenant.admin_key), "Content-Type": "text/plain"},
    )
    assert text.status_code == 415
    assert text.headers["content-type"] == "application/problem+json"

    scalar = client.post("/v1/events", content=b"42", headers=headers)
    assert scalar.status_code == 422


def test_metrics_count_events_by_status(client: TestClient, tenant: TenantUnderTest) -> None:
    client.post("/v1/events", json=[make_event(), {"bad": 1}], headers=bearer(tenant.admin_key))
    text = client.get("/metrics").text
    assert 'stride_events_total{status="accepted"} 1.0' in text
    assert 'stride_events_total{status="rejected"} 1.0' in text
    assert (
        'stride_http_request_duration_seconds_bucket{le="0.001",method="POST",route="/v1/events"'
        in text
    )


json_values = any_json(20)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | json_values,
        "type": st.sampled_from(["exercise.attempted", "custom.x"]) | json_values,
        "learner": st.text(max_size=300) | json_values,
        "timestamp": st.datetimes().map(lambda d: d.isoformat() + "Z") | json_values,
        "result": json_values,
        "activity": json_values,
        "properties": json_values,
    },
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(json_values, event_like, st.lists(event_like, max_size=5)).map(
        lambda b: {"events": b} if isinstance(b, list) and b and isinstance(b[0], dict) else b
    )
    | st.binary(max_size=64)
)
def test_no_body_produces_a_server_error(
    client: TestClient, tenant: TenantUnderTest, body: Any
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(
        "/v1/events",
        content=content,
        headers={**bearer(tenant.admin_key), "Content-Type": "application/json"},
    )
    assert response.status_code in {200, 400, 409, 413, 422}, response.text
