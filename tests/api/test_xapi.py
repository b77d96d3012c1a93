"""The xAPI Statement Resource on both databases: round trips, ids, voiding, queries, auth."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from stride.store.tables import xapi_statements
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import moodle_statement, moodle_statements, simple_statement

V1 = {"X-Experience-API-Version": "1.0.3"}
ANA = "mailto:ana@example.com"


def basic(api_key: str) -> dict[str, str]:
    _, key_id, secret = api_key.split("_", 2)
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def xapi(api_key: str, version: str = "1.0.3") -> dict[str, str]:
    return {**basic(api_key), "X-Experience-API-Version": version}


def _post(client: TestClient, tenant: TenantUnderTest, body: Any, version: str = "1.0.3") -> Any:
    response = client.post("/xapi/statements", json=body, headers=xapi(tenant.admin_key, version))
    assert response.status_code == 200, response.text
    return response.json()


def _get(client: TestClient, tenant: TenantUnderTest, **params: str) -> Any:
    response = client.get("/xapi/statements", params=params, headers=xapi(tenant.admin_key))
    assert response.status_code == 200, response.text
    return response.json()


def test_moodle_statements_come_back_as_sent(client: TestClient, tenant: TenantUnderTest) -> None:
    sent = [statement for _, statement in moodle_statements()]
    ids = []
    for start in range(0, len(sent), 100):
        ids += _post(client, tenant, sent[start : start + 100])
    assert len(set(ids)) == len(sent)
    for statement_id, statement in list(zip(ids, sent, strict=True))[::7]:
        got = _get(client, tenant, statementId=statement_id)
        extra = {key: got.pop(key) for key in ("id", "stored", "authority", "version")}
        timestamp = got.pop("timestamp")
        assert got == statement
        assert extra["id"] == statement_id and extra["version"] == "1.0.0"
        assert timestamp == extra["stored"]  # Moodle's statements carry no timestamp
        assert extra["authority"]["account"]["name"] == tenant.admin_key.split("_")[1]


def test_statement_json_is_encrypted_at_rest(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    statement = simple_statement(mbox="mailto:secret-person@example.com")
    [statement_id] = _post(client, tenant, statement)
    with engine.connect() as connection:
        row = connection.execute(
            select(xapi_statements).where(xapi_statements.c.statement_id == statement_id)
        ).one()
    assert "secret-person" not in repr(tuple(row))
    assert row.learner_key is not None and row.tenant_id == tenant.tenant_id


def test_a_statement_stored_under_older_comparison_rules_is_still_the_same(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    """Its hash was computed by earlier rules (here: before durations counted to 0.01 s), so
    the hashes differ; the statement itself decides."""
    statement = simple_statement(result={"duration": "PT1.2345S"})
    [statement_id] = _post(client, tenant, statement)
    table = xapi_statements
    with engine.begin() as connection:
        connection.execute(
            table.update()
            .where(table.c.tenant_id == tenant.tenant_id, table.c.statement_id == statement_id)
            .values(content_hash="0" * 64)
        )
    assert _post(client, tenant, statement) == [statement_id]
    assert _post(client, tenant, {**statement, "result": {"duration": "PT1.23S"}})
    other = {**statement, "result": {"duration": "PT2S"}}
    headers = xapi(tenant.admin_key)
    assert client.post("/xapi/statements", json=other, headers=headers).status_code == 409


def test_put_answers_204_for_same_content_and_409_for_other(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement()
    statement_id = statement.pop("id")
    headers = xapi(tenant.admin_key)
    url, params = "/xapi/statements", {"statementId": statement_id}
    assert client.put(url, params=params, json=statement, headers=headers).status_code == 204
    # The same statement again, its timestamp written with another offset: still the same.
    assert client.put(url, params=params, json=statement, headers=headers).status_code == 204
    changed = {**statement, "result": {"completion": True}}
    conflict = client.put(url, params=params, json=changed, headers=headers)
    assert conflict.status_code == 409, conflict.text
    assert conflict.headers["X-Experience-API-Version"] == "1.0.3"
    posted = client.post(url, json={**changed, "id": statement_id}, headers=headers)
    assert posted.status_code == 409
    mismatch = client.put(
        url, params=params, json={**statement, "id": str(uuid.uuid4())}, headers=headers
    )
    assert mismatch.status_code == 400
    assert client.put(url, json=statement, headers=headers).status_code == 400
    assert _get(client, tenant, statementId=statement_id)["verb"] == statement["verb"]


def test_same_timestamp_in_another_offset_is_the_same_statement(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement(timestamp="2024-05-01T11:30:00+02:00")
    _post(client, tenant, statement)
    _post(client, tenant, {**statement, "timestamp": "2024-05-01T09:30:00Z"})


@pytest.mark.parametrize(
    "body",
    [
        {"actor": {"mbox": ANA}, "verb": {"id": "http://x.y/v"}},
        {**simple_statement(), "result": {"score": {"scaled": 2}}},
        [simple_statement(), {**simple_statement(), "id": "nope"}],
        "a string",
        [1, 2],
    ],
)
def test_invalid_statements_answer_400_and_store_nothing(
    client: TestClient, tenant: TenantUnderTest, body: Any
) -> None:
    response = client.post("/xapi/statements", json=body, headers=xapi(tenant.admin_key))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]
    assert _get(client, tenant)["statements"] == []


def test_a_batch_with_one_id_twice_is_refused(client: TestClient, tenant: TenantUnderTest) -> None:
    statement = simple_statement()
    response = client.post(
        "/xapi/statements", json=[statement, statement], headers=xapi(tenant.admin_key)
    )
    assert response.status_code == 400


@pytest.mark.parametrize("header", [None, "0.95", "1.1.0", "3.0.0", "banana"])
def test_missing_or_unsupported_version_is_400(
    client: TestClient, tenant: TenantUnderTest, header: str | None
) -> None:
    headers = basic(tenant.admin_key)
    if header is not None:
        headers["X-Experience-API-Version"] = header
    response = client.get("/xapi/statements", headers=headers)
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json()["detail"]


@pytest.mark.parametrize(
    ("sent", "answered"), [("1.0", "1.0.3"), ("1.0.1", "1.0.3"), ("2.0.0", "2.0.0")]
)
def test_versions_are_negotiated(
    client: TestClient, tenant: TenantUnderTest, sent: str, answered: str
) -> None:
    response = client.get("/xapi/statements", headers=xapi(tenant.admin_key, sent))
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == answered
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def test_version_2_rules_apply_to_2_0_requests(client: TestClient, tenant: TenantUnderTest) -> None:
    naive = simple_statement(timestamp="2024-05-01T09:30:00")
    _post(client, tenant, naive)  # 1.0.3 allows a timestamp without a zone
    other = {**naive, "id": str(uuid.uuid4())}
    response = client.post("/xapi/statements", json=other, headers=xapi(tenant.admin_key, "2.0.0"))
    assert response.status_code == 400
    agents = [{"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.com"}}]
    with_agents = simple_statement(context={"contextAgents": agents})
    [statement_id] = _post(client, tenant, with_agents, "2.0.0")
    got = client.get(
        "/xapi/statements",
        params={"statementId": statement_id},
        headers=xapi(tenant.admin_key, "2.0"),
    )
    assert got.json()["version"] == "2.0.0"


def test_about_needs_no_credentials(client: TestClient) -> None:
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.json()["version"] == ["1.0.3", "2.0.0"]
    assert "X-Experience-API-Version" in response.headers


def test_basic_and_bearer_auth_and_roles(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    url = "/xapi/statements"
    assert client.get(url, headers=V1).status_code == 401
    assert client.get(url, headers=V1).headers["WWW-Authenticate"].startswith("Basic")
    wrong = basic(tenant.admin_key.rsplit("_", 1)[0] + "_wrongsecret")
    assert client.get(url, headers={**wrong, **V1}).status_code == 401
    garbage = {"Authorization": "Basic !!!", **V1}
    assert client.get(url, headers=garbage).status_code == 401
    assert client.get(url, headers={**bearer(tenant.admin_key), **V1}).status_code == 200
    ingest = key_factory(tenant.tenant_id, Role.INGEST)
    analyst = key_factory(tenant.tenant_id, Role.ANALYST)
    instructor = key_factory(tenant.tenant_id, Role.INSTRUCTOR)
    assert client.post(url, json=simple_statement(), headers=xapi(ingest)).status_code == 200
    assert client.get(url, headers=xapi(ingest)).status_code == 403
    assert client.get(url, headers=xapi(analyst)).status_code == 403
    assert client.get(url, headers=xapi(instructor)).status_code == 200
    assert client.post(url, json=simple_statement(), headers=xapi(instructor)).status_code == 403


def test_voiding(client: TestClient, tenant: TenantUnderTest) -> None:
    target = simple_statement()
    [target_id] = _post(client, tenant, target)
    voiding = simple_statement(
        "http://adlnet.gov/expapi/verbs/voided",
        object={"objectType": "StatementRef", "id": target_id},
    )
    [voiding_id] = _post(client, tenant, voiding)
    headers = xapi(tenant.admin_key)
    gone = client.get("/xapi/statements", params={"statementId": target_id}, headers=headers)
    assert gone.status_code == 404
    assert _get(client, tenant, voidedStatementId=target_id)["id"] == target_id
    listed = [s["id"] for s in _get(client, tenant)["statements"]]
    assert listed == [voiding_id]  # voided statements are not in queries; voiding ones are
    missing = client.get(
        "/xapi/statements", params={"voidedStatementId": voiding_id}, headers=headers
    )
    assert missing.status_code == 404
    # A voiding statement cannot be voided: one that targets it is stored and voids nothing.
    again = _voiding(voiding_id)
    [again_id] = _post(client, tenant, again)
    assert _get(client, tenant, statementId=voiding_id)["id"] == voiding_id
    assert {s["id"] for s in _get(client, tenant)["statements"]} == {voiding_id, again_id}
    # Nor when the voiding statement it targets arrives later, or in the same batch.
    later = _voiding(str(uuid.uuid4()))
    _post(client, tenant, _voiding(later["id"]))
    _post(client, tenant, later)
    assert _get(client, tenant, statementId=later["id"])["id"] == later["id"]
    pair = _voiding(str(uuid.uuid4()))
    _post(client, tenant, [_voiding(pair["id"]), pair])
    assert _get(client, tenant, statementId=pair["id"])["id"] == pair["id"]


def _voiding(target_id: str) -> dict[str, Any]:
    return simple_statement(
        "http://adlnet.gov/expapi/verbs/voided",
        object={"objectType": "StatementRef", "id": target_id},
    )


def test_a_statement_voided_before_it_arrives_is_stored_voided(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    late = simple_statement()
    voiding = simple_statement(
        "http://adlnet.gov/expapi/verbs/voided",
        object={"objectType": "StatementRef", "id": late["id"]},
    )
    _post(client, tenant, voiding)
    _post(client, tenant, late)
    assert _get(client, tenant, voidedStatementId=late["id"])["id"] == late["id"]


def test_filters_and_paging(client: TestClient, tenant: TenantUnderTest) -> None:
    registration = str(uuid.uuid4())
    verbs = ["http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/answered"]
    sent = []
    for n in range(7):
        statement = simple_statement(
            verbs[n % 2],
            mbox=ANA if n < 5 else "mailto:ben@example.com",
            activity=f"http://example.com/a/{n % 3}",
        )
        if n % 2:
            statement["context"] = {"registration": registration}
        sent.append(statement)
        _post(client, tenant, statement)  # one by one: stored order is sending order
    ids = [s["id"] for s in sent]
    assert [s["id"] for s in _get(client, tenant)["statements"]] == ids[::-1]
    assert [s["id"] for s in _get(client, tenant, ascending="true")["statements"]] == ids
    by_agent = _get(client, tenant, agent=json.dumps({"mbox": ANA}))["statements"]
    assert {s["id"] for s in by_agent} == set(ids[:5])
    by_verb = _get(client, tenant, verb=verbs[1])["statements"]
    assert {s["id"] for s in by_verb} == set(ids[1::2])
    by_activity = _get(client, tenant, activity="http://example.com/a/0")["statements"]
    assert {s["id"] for s in by_activity} == {ids[0], ids[3], ids[6]}
    by_registration = _get(client, tenant, registration=registration)["statements"]
    assert {s["id"] for s in by_registration} == set(ids[1::2])
    assert _get(client, tenant, since="2100-01-01T00:00:00Z")["statements"] == []
    assert len(_get(client, tenant, until="2100-01-01T00:00:00Z")["statements"]) == 7

    pages, page = [], _get(client, tenant, limit="3", ascending="true")
    while True:
        pages.append([s["id"] for s in page["statements"]])
        if not page["more"]:
            break
        response = client.get(page["more"], headers=xapi(tenant.admin_key))
        assert response.status_code == 200
        page = response.json()
    assert pages == [ids[:3], ids[3:6], ids[6:]]


def test_a_single_context_activity_comes_back_in_an_array(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    parent = {"id": "http://example.com/course/1", "objectType": "Activity"}
    statement = simple_statement(context={"contextActivities": {"parent": parent}})
    [statement_id] = _post(client, tenant, statement)
    shown = _get(client, tenant, statementId=statement_id)
    assert shown["context"]["contextActivities"] == {"parent": [parent]}
    [listed] = _get(client, tenant, activity=parent["id"], related_activities="true")["statements"]
    assert listed["context"]["contextActivities"] == {"parent": [parent]}
    # Stored as sent: the same statement sent again is the same one, not a conflict.
    assert _post(client, tenant, statement) == [statement_id]


def test_formats(client: TestClient, tenant: TenantUnderTest) -> None:
    statement = moodle_statement("mod_quiz__attempt_submitted__no_questions")
    [statement_id] = _post(client, tenant, statement)
    ids = _get(client, tenant, statementId=statement_id, format="ids")
    assert ids["actor"] == {"account": statement["actor"]["account"]}
    assert ids["verb"] == {"id": statement["verb"]["id"]}
    assert ids["object"] == {"id": statement["object"]["id"]}  # the id alone identifies it
    canonical = _get(client, tenant, statementId=statement_id, format="canonical")
    assert canonical["verb"]["display"] == statement["verb"]["display"]


@pytest.mark.parametrize(
    "params",
    [
        {"statementId": "nope"},
        {"statementId": str(uuid.uuid4()), "voidedStatementId": str(uuid.uuid4())},
        {"statementId": str(uuid.uuid4()), "verb": "http://x.y/v"},
        {"agent": "not json"},
        {"agent": json.dumps({"name": "no identifier"})},
        {"verb": "not an iri"},
        {"registration": "x"},
        {"since": "yesterday"},
        {"limit": "-1"},
        {"limit": "many"},
        {"format": "pretty"},
        {"ascending": "yes"},
        {"related_activities": "yes"},
        {"related_agents": "1"},
        {"unknown": "1"},
        {"more": "garbage"},
        {"more": base64.urlsafe_b64encode(b'{"q": 1, "after": "x"}').decode()},
    ],
)
def test_bad_queries_answer_400(
    client: TestClient, tenant: TenantUnderTest, params: dict[str, str]
) -> None:
    response = client.get("/xapi/statements", params=params, headers=xapi(tenant.admin_key))
    assert response.status_code == 400, response.text


def test_bad_bodies_answer_400(client: TestClient, tenant: TenantUnderTest) -> None:
    headers = xapi(tenant.admin_key)
    not_json = client.post(
        "/xapi/statements", content=b"{", headers={**headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    text = client.post(
        "/xapi/statements", content=b"x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert text.status_code == 400


def test_a_completed_statement_moves_the_learners_progress(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = moodle_statement("mod_quiz__attempt_submitted__no_questions")
    _post(client, tenant, statement)
    # One path segment: quoted once for the server, and once more for the test client, which
    # decodes the path twice (httpx's path, then starlette.testclient's unquote).
    learner = quote(quote("account:http:%2F%2Fwww.example.org|1", safe=""), safe="")
    response = client.get(f"/v1/learners/{learner}/progress", headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    assert response.json()["activities_completed"] == 1


def test_erasure_removes_the_learners_statements(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _post(client, tenant, [simple_statement(), simple_statement(mbox="mailto:ben@example.com")])
    erased = client.delete(
        "/v1/learners/mbox:mailto:ana@example.com", headers=bearer(tenant.admin_key)
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["tables"]["xapi_statements"] == 1
    left = _get(client, tenant)["statements"]
    assert [s["actor"]["mbox"] for s in left] == ["mailto:ben@example.com"]


def test_tenants_do_not_see_each_others_statements(
    client: TestClient, tenant_factory: Callable[[], TenantUnderTest]
) -> None:
    a, b = tenant_factory(), tenant_factory()
    statement = simple_statement()
    _post(client, b, statement)
    _post(client, a, {**statement, "verb": {"id": "http://x.y/other"}})  # same id, other tenant
    assert _get(client, a, statementId=statement["id"])["verb"]["id"] == "http://x.y/other"
    assert len(_get(client, a)["statements"]) == 1


def test_reads_and_writes_run_under_the_callers_tenant_context(
    client: TestClient, tenant: TenantUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So PostgreSQL's Row-Level Security binds the xAPI queries too (architecture.md)."""
    from stride.store import xapi as repo
    from stride.store.tenant_context import current_tenant

    seen: list[str | None] = []
    for name in ("find_hashes", "query_statements"):
        original = getattr(repo, name)

        def spy(*args: Any, _original: Any = original) -> Any:
            seen.append(current_tenant.get())
            return _original(*args)

        monkeypatch.setattr(repo, name, spy)
    _post(client, tenant, simple_statement())
    _get(client, tenant)
    _get(client, tenant)  # the second time from the credential cache
    assert seen == [tenant.tenant_id] * 3


def test_concurrent_batches_with_shared_ids_store_each_statement_once(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    shared = [simple_statement(mbox=f"mailto:l{n}@example.com") for n in range(30)]
    batches = [shared[::-1] if n % 2 else shared for n in range(6)]
    headers = xapi(tenant.admin_key)

    def send(batch: list[dict[str, Any]]) -> int:
        return client.post("/xapi/statements", json=batch, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(send, batches)) == [200] * 6
    stored = _get(client, tenant)["statements"]
    assert sorted(s["id"] for s in stored) == sorted(s["id"] for s in shared)
