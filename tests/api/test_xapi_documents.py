"""The xAPI State, Activity Profile and Agent Profile resources, /xapi/activities and
/xapi/agents, on both databases: round trips, merge, ETag preconditions, privacy, tenancy."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, select

from stride.api.app import create_app
from stride.config import Settings
from stride.store.tables import xapi_documents
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.fixtures.tenant import TenantUnderTest, make_tenant
from tests.xapi_fixtures import simple_statement

ACTIVITY = "http://example.com/courses/pm/lesson-1"
ANA = {"objectType": "Agent", "mbox": "mailto:ana@example.com", "name": "Ana"}
BEN = {"mbox": "mailto:ben@example.com"}
STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"


def xapi(api_key: str, version: str = "1.0.3", **extra: str) -> dict[str, str]:
    _, key_id, secret = api_key.split("_", 2)
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": version, **extra}


def state(agent: dict[str, Any] = ANA, **params: str) -> dict[str, str]:
    return {"activityId": ACTIVITY, "agent": json.dumps(agent), **params}


def send(
    client: TestClient,
    tenant: TenantUnderTest,
    method: str,
    path: str,
    params: dict[str, str],
    body: Any = None,
    content_type: str = "application/json",
    version: str = "1.0.3",
    **headers: str,
) -> httpx.Response:
    content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = xapi(tenant.admin_key, version, **headers)
    if content is not None:
        sent["Content-Type"] = content_type
    response = client.request(method, path, params=params, content=content, headers=sent)
    assert response.headers.get("X-Experience-API-Version") == (
        "2.0.0" if version.startswith("2") else "1.0.3"
    ), (method, path, response.status_code)
    assert "X-Experience-API-Consistent-Through" in response.headers
    return response


def test_state_put_get_post_merge_and_delete(client: TestClient, tenant: TenantUnderTest) -> None:
    params = state(stateId="bookmark")
    assert send(client, tenant, "GET", STATE, params).status_code == 404
    put = send(client, tenant, "PUT", STATE, params, {"x": "foo", "y": "bar"})
    assert put.status_code == 204, put.text

    got = send(client, tenant, "GET", STATE, params)
    assert got.status_code == 200 and got.json() == {"x": "foo", "y": "bar"}
    assert got.headers["content-type"] == "application/json"
    assert got.headers["etag"] == '"' + hashlib.sha1(got.content).hexdigest() + '"'
    assert got.headers["last-modified"].endswith("GMT")

    merged = send(client, tenant, "POST", STATE, params, {"x": "bash", "z": "faz"})
    assert merged.status_code == 204, merged.text
    assert send(client, tenant, "GET", STATE, params).json() == {
        "x": "bash",
        "y": "bar",
        "z": "faz",
    }

    assert send(client, tenant, "DELETE", STATE, params).status_code == 204
    assert send(client, tenant, "GET", STATE, params).status_code == 404


def test_documents_come_back_byte_for_byte_with_their_content_type(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    blob = bytes(range(256)) * 4
    params = state(stateId="blob")
    put = send(client, tenant, "PUT", STATE, params, blob, "application/octet-stream")
    assert put.status_code == 204
    got = send(client, tenant, "GET", STATE, params)
    assert got.content == blob and got.headers["content-type"] == "application/octet-stream"

    text = "ünïcode, as sent".encode()
    profile = {"activityId": ACTIVITY, "profileId": "notes"}
    send(client, tenant, "PUT", ACTIVITY_PROFILE, profile, text, "text/plain")
    got = send(client, tenant, "GET", ACTIVITY_PROFILE, profile)
    assert got.content == text and got.headers["content-type"] == "text/plain"


def test_post_merges_only_json_objects(client: TestClient, tenant: TenantUnderTest) -> None:
    params = state(stateId="mixed")
    send(client, tenant, "PUT", STATE, params, b"plain", "text/plain")
    refused = send(client, tenant, "POST", STATE, params, {"a": 1})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_xapi_request"
    send(client, tenant, "PUT", STATE, params, [1, 2])
    assert send(client, tenant, "POST", STATE, params, {"a": 1}).status_code == 400
    assert send(client, tenant, "GET", STATE, params).json() == [1, 2]  # unchanged
    fresh = state(stateId="fresh")  # POST of a new document stores it as sent
    assert send(client, tenant, "POST", STATE, fresh, b"raw", "text/plain").status_code == 204
    assert send(client, tenant, "GET", STATE, fresh).content == b"raw"
    bad_json = send(client, tenant, "PUT", STATE, fresh, b"{not json", "application/json")
    assert bad_json.status_code == 400


def test_state_ids_list_with_since_and_registration_scoping(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    registration = str(uuid.uuid4())
    send(client, tenant, "PUT", STATE, state(stateId="a"), {"n": 1})
    send(client, tenant, "PUT", STATE, state(stateId="r", registration=registration), {"n": 2})
    send(client, tenant, "PUT", STATE, state(BEN, stateId="other-agent"), {"n": 3})
    time.sleep(0.05)
    middle = send(client, tenant, "GET", STATE, state()).headers[
        "X-Experience-API-Consistent-Through"
    ]
    time.sleep(0.05)
    send(client, tenant, "PUT", STATE, state(stateId="b"), {"n": 4})

    listed = send(client, tenant, "GET", STATE, state())
    assert listed.status_code == 200 and listed.json() == ["a", "b", "r"]
    assert "last-modified" in listed.headers
    assert send(client, tenant, "GET", STATE, state(registration=registration)).json() == ["r"]
    assert send(client, tenant, "GET", STATE, state(since=middle)).json() == ["b"]

    # A document under a registration is another document than the one without.
    assert send(client, tenant, "GET", STATE, state(stateId="r")).status_code == 404
    got = send(client, tenant, "GET", STATE, state(stateId="r", registration=registration.upper()))
    assert got.json() == {"n": 2}

    assert (
        send(client, tenant, "DELETE", STATE, state(registration=registration)).status_code == 204
    )
    assert send(client, tenant, "GET", STATE, state()).json() == ["a", "b"]
    assert send(client, tenant, "DELETE", STATE, state()).status_code == 204
    assert send(client, tenant, "GET", STATE, state()).json() == []
    assert send(client, tenant, "GET", STATE, state(BEN)).json() == ["other-agent"]


def test_the_agent_is_matched_by_its_identifier_not_its_name(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    send(client, tenant, "PUT", STATE, state(stateId="s"), {"n": 1})
    renamed = {"mbox": ANA["mbox"], "name": "Ana María"}
    assert send(client, tenant, "GET", STATE, state(renamed, stateId="s")).json() == {"n": 1}


@pytest.mark.parametrize(
    "params",
    [
        {"activityId": ACTIVITY, "agent": "{not json", "stateId": "s"},
        {"activityId": ACTIVITY, "agent": '{"name": "no identifier"}', "stateId": "s"},
        {"activityId": ACTIVITY, "agent": '{"objectType": "Group", "member": []}', "stateId": "s"},
        {"activityId": ACTIVITY, "agent": '{"mbox": "ana@example.com"}', "stateId": "s"},
        {"activityId": "not an iri", "agent": json.dumps(ANA), "stateId": "s"},
        {"activityId": ACTIVITY, "stateId": "s"},
        {"activityId": ACTIVITY, "agent": json.dumps(ANA), "stateId": "s", "registration": "x"},
        {"activityId": ACTIVITY, "agent": json.dumps(ANA), "stateId": "s", "since": "yesterday"},
        {"activityId": ACTIVITY, "agent": json.dumps(ANA), "stateid": "s"},
    ],
)
def test_bad_parameters_answer_400(
    client: TestClient, tenant: TenantUnderTest, params: dict[str, str]
) -> None:
    response = send(client, tenant, "GET", STATE, params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_put_without_an_id_is_400(client: TestClient, tenant: TenantUnderTest) -> None:
    assert send(client, tenant, "PUT", STATE, state(), {"a": 1}).status_code == 400
    profile = {"agent": json.dumps(ANA)}
    assert send(client, tenant, "DELETE", AGENT_PROFILE, profile).status_code == 400
    nul = {**profile, "profileId": "a\x00b"}
    assert send(client, tenant, "PUT", AGENT_PROFILE, nul, {"a": 1}).status_code == 400


@pytest.mark.parametrize(
    ("path", "context"),
    [(ACTIVITY_PROFILE, {"activityId": ACTIVITY}), (AGENT_PROFILE, {"agent": json.dumps(ANA)})],
)
def test_profile_etag_concurrency(
    client: TestClient, tenant: TenantUnderTest, path: str, context: dict[str, str]
) -> None:
    params = {**context, "profileId": "prefs"}
    created = send(client, tenant, "PUT", path, params, {"v": 1}, **{"If-None-Match": "*"})
    assert created.status_code == 204, created.text
    got = send(client, tenant, "GET", path, params)
    tag = got.headers["etag"]

    again = send(client, tenant, "PUT", path, params, {"v": 2}, **{"If-None-Match": "*"})
    assert again.status_code == 412 and again.json()["code"] == "precondition_failed"
    blind = send(client, tenant, "PUT", path, params, {"v": 2})
    assert blind.status_code == 409 and "If-Match" in blind.json()["detail"]
    wrong = send(
        client, tenant, "PUT", path, params, {"v": 2}, **{"If-Match": '"' + "0" * 40 + '"'}
    )
    assert wrong.status_code == 412
    assert send(client, tenant, "GET", path, params).json() == {"v": 1}

    updated = send(client, tenant, "PUT", path, params, {"v": 2}, **{"If-Match": tag})
    assert updated.status_code == 204
    stale = send(client, tenant, "POST", path, params, {"w": 1}, **{"If-Match": tag})
    assert stale.status_code == 412
    assert send(client, tenant, "DELETE", path, params, **{"If-Match": tag}).status_code == 412
    current = send(client, tenant, "GET", path, params)
    assert current.json() == {"v": 2} and current.headers["etag"] != tag
    merged = send(client, tenant, "POST", path, params, {"w": 1})  # POST needs no header
    assert merged.status_code == 204
    assert send(client, tenant, "GET", path, params).json() == {"v": 2, "w": 1}
    listed = send(client, tenant, "GET", path, context)
    assert listed.json() == ["prefs"]
    assert send(client, tenant, "DELETE", path, params).status_code == 204
    assert send(client, tenant, "GET", path, params).status_code == 404
    missing = send(client, tenant, "PUT", path, params, {"v": 3}, **{"If-Match": tag})
    assert missing.status_code == 412


def test_state_put_over_a_document_needs_a_precondition_only_in_2_0(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    params = state(stateId="s")
    assert send(client, tenant, "PUT", STATE, params, {"v": 1}).status_code == 204
    assert send(client, tenant, "PUT", STATE, params, {"v": 2}).status_code == 204  # 1.0.3
    refused = send(client, tenant, "PUT", STATE, params, {"v": 3}, version="2.0.0")
    assert refused.status_code == 409
    tag = send(client, tenant, "GET", STATE, params, version="2.0.0").headers["etag"]
    accepted = send(
        client, tenant, "PUT", STATE, params, {"v": 3}, version="2.0.0", **{"If-Match": tag}
    )
    assert accepted.status_code == 204
    assert send(client, tenant, "GET", STATE, params).json() == {"v": 3}


def test_oversized_documents_answer_413(client: TestClient, tenant: TenantUnderTest) -> None:
    too_big = b"x" * (1024 * 1024 + 1)
    headers = {**xapi(tenant.admin_key), "Content-Type": "text/plain"}
    response = client.put(STATE, params=state(stateId="big"), content=too_big, headers=headers)
    assert response.status_code == 413  # from the HTTP layer, before the route
    assert response.headers["content-type"] == "application/problem+json"
    half = {"a": "x" * 600_000}
    params = state(stateId="grows")
    assert send(client, tenant, "PUT", STATE, params, half).status_code == 204
    grown = send(client, tenant, "POST", STATE, params, {"b": "y" * 600_000})
    assert grown.status_code == 413 and grown.json()["code"] == "payload_too_large"
    assert send(client, tenant, "GET", STATE, params).json() == half


def test_documents_are_encrypted_and_keyed_by_the_learner_pseudonym(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    send(client, tenant, "PUT", STATE, state(stateId="s"), {"secret": "ana-private-note"})
    with engine.connect() as connection:
        rows = connection.execute(
            select(xapi_documents).where(xapi_documents.c.tenant_id == tenant.tenant_id)
        ).all()
    assert len(rows) == 1
    text = repr(tuple(rows[0]))
    assert "ana-private-note" not in text and "ana@example.com" not in text
    assert ACTIVITY not in text and rows[0].learner_key is not None


def test_erasure_removes_the_learners_documents(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    send(client, tenant, "PUT", STATE, state(stateId="s"), {"n": 1})
    send(
        client, tenant, "PUT", AGENT_PROFILE, {"agent": json.dumps(ANA), "profileId": "p"}, {"n": 2}
    )
    send(client, tenant, "PUT", STATE, state(BEN, stateId="s"), {"n": 3})
    shared = {"activityId": ACTIVITY, "profileId": "p"}
    send(client, tenant, "PUT", ACTIVITY_PROFILE, shared, {"n": 4})

    erased = client.delete(
        "/v1/learners/mbox:mailto:ana@example.com", headers=bearer(tenant.admin_key)
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["tables"]["xapi_documents"] == 2
    assert send(client, tenant, "GET", STATE, state(stateId="s")).status_code == 404
    assert send(client, tenant, "GET", STATE, state(BEN, stateId="s")).json() == {"n": 3}
    assert send(client, tenant, "GET", ACTIVITY_PROFILE, shared).json() == {"n": 4}


def test_another_tenant_cannot_read_the_documents(
    client: TestClient, tenant_factory: Callable[[], TenantUnderTest]
) -> None:
    a, b = tenant_factory(), tenant_factory()
    params = state(stateId="s")
    send(client, a, "PUT", STATE, params, {"tenant": "a"})
    send(client, a, "PUT", ACTIVITY_PROFILE, {"activityId": ACTIVITY, "profileId": "p"}, {"t": 1})
    assert send(client, b, "GET", STATE, params).status_code == 404
    assert send(client, b, "GET", STATE, state()).json() == []
    assert send(client, b, "GET", ACTIVITY_PROFILE, {"activityId": ACTIVITY}).json() == []
    send(client, b, "PUT", STATE, params, {"tenant": "b"})
    assert send(client, a, "GET", STATE, params).json() == {"tenant": "a"}


def test_roles_and_credentials(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    params = state(stateId="s")
    analyst = key_factory(tenant.tenant_id, Role.ANALYST)
    ingest = key_factory(tenant.tenant_id, Role.INGEST)
    response = client.get(STATE, params=params, headers=xapi(analyst))
    assert response.status_code == 403 and response.headers["X-Experience-API-Version"] == "1.0.3"
    assert client.put(STATE, params=params, json={"a": 1}, headers=xapi(ingest)).status_code == 204
    assert client.get(STATE, params=params, headers=xapi(ingest)).json() == {"a": 1}
    no_auth = client.get(STATE, params=params, headers={"X-Experience-API-Version": "1.0.3"})
    assert no_auth.status_code == 401 and "X-Experience-API-Version" in no_auth.headers
    no_version = client.get(STATE, params=params, headers=bearer(tenant.admin_key))
    assert no_version.status_code == 400 and "X-Experience-API-Version" in no_version.headers


def test_activities_returns_the_richest_definition(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    older = simple_statement(activity=ACTIVITY)
    older["object"]["definition"] = {
        "name": {"en-US": "Lesson 1"},
        "type": "http://adlnet.gov/expapi/activities/lesson",
    }
    newer = simple_statement(activity=ACTIVITY, mbox="mailto:ben@example.com")
    newer["object"]["definition"] = {
        "name": {"fr-FR": "Leçon 1"},
        "description": {"en-US": "The first lesson"},
    }
    for statement in (older, newer):
        posted = client.post("/xapi/statements", json=statement, headers=xapi(tenant.admin_key))
        assert posted.status_code == 200, posted.text
    got = send(client, tenant, "GET", "/xapi/activities", {"activityId": ACTIVITY})
    assert got.status_code == 200
    assert got.json() == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {
            "name": {"en-US": "Lesson 1", "fr-FR": "Leçon 1"},
            "description": {"en-US": "The first lesson"},
            "type": "http://adlnet.gov/expapi/activities/lesson",
        },
    }
    unknown = send(client, tenant, "GET", "/xapi/activities", {"activityId": "http://x.y/none"})
    assert unknown.status_code == 200
    assert unknown.json() == {"objectType": "Activity", "id": "http://x.y/none"}
    assert (
        send(client, tenant, "GET", "/xapi/activities", {"activityId": "nope"}).status_code == 400
    )
    assert send(client, tenant, "GET", "/xapi/activities", {}).status_code == 400


def test_agents_returns_a_person(client: TestClient, tenant: TenantUnderTest) -> None:
    got = send(client, tenant, "GET", "/xapi/agents", {"agent": json.dumps(ANA)})
    assert got.status_code == 200
    assert got.json() == {
        "objectType": "Person",
        "name": ["Ana"],
        "mbox": ["mailto:ana@example.com"],
    }
    account = {"account": {"homePage": "https://lms.example.edu", "name": "42"}}
    assert send(client, tenant, "GET", "/xapi/agents", {"agent": json.dumps(account)}).json() == {
        "objectType": "Person",
        "account": [account["account"]],
    }
    assert send(client, tenant, "GET", "/xapi/agents", {"agent": "{}"}).status_code == 400


FUZZED = [
    ("PUT", STATE),
    ("POST", STATE),
    ("GET", STATE),
    ("DELETE", STATE),
    ("PUT", ACTIVITY_PROFILE),
    ("GET", AGENT_PROFILE),
    ("GET", "/xapi/activities"),
    ("GET", "/xapi/agents"),
]


@pytest.mark.parametrize(("method", "path"), FUZZED)
def test_fuzzed_requests_never_answer_500(method: str, path: str, sqlite_engine: Engine) -> None:
    app = create_app(
        Settings(DATABASE_URL=str(sqlite_engine.url), RATE_LIMIT_PER_SECOND=0), engine=sqlite_engine
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = next(
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path == path and result.ok().method.upper() == method
    )
    headers = {
        "Authorization": f"Bearer {make_tenant(sqlite_engine).admin_key}",
        "X-Experience-API-Version": "1.0.3",
    }

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
        version = response.headers.get("x-experience-api-version")
        assert version in ("1.0.3", ["1.0.3"]), f"{response.status_code} {response.text}"

    check()
