"""GET /xapi/statements with related_activities / related_agents, and HEAD on xAPI resources."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from stride.privacy.pseudonym import learner_key
from stride.store.tables import xapi_related_activities, xapi_related_agents
from tests.api.helpers import bearer
from tests.api.test_xapi import basic, xapi
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

VERSIONS = ["1.0.3", "2.0.0"]
TARGET = "http://example.com/courses/related/target"
BEA = {"objectType": "Agent", "mbox": "mailto:bea@example.com"}
BEA_ID = "mbox:mailto:bea@example.com"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _post(client: TestClient, tenant: TenantUnderTest, body: Any, version: str) -> list[str]:
    response = client.post("/xapi/statements", json=body, headers=xapi(tenant.admin_key, version))
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


def _ids(client: TestClient, tenant: TenantUnderTest, version: str, **params: str) -> set[str]:
    response = client.get(
        "/xapi/statements", params=params, headers=xapi(tenant.admin_key, version)
    )
    assert response.status_code == 200, response.text
    return {s["id"] for s in response.json()["statements"]}


def statement_pages(
    client: TestClient, headers: dict[str, str], params: dict[str, str]
) -> list[list[str]]:
    """The ids of every page of a query, following `more` to the end."""
    pages: list[list[str]] = []
    response = client.get("/xapi/statements", params=params, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([s["id"] for s in page["statements"]])
        if not page["more"]:
            return pages
        response = client.get(page["more"], headers=headers)


def _context(**activities: Any) -> dict[str, Any]:
    return {"contextActivities": activities}


def _activity(iri: str = TARGET) -> dict[str, Any]:
    return {"objectType": "Activity", "id": iri}


def _sub(**parts: Any) -> dict[str, Any]:
    sub: dict[str, Any] = {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": _activity("http://example.com/elsewhere"),
    }
    sub.update(parts)
    return sub


@pytest.mark.parametrize("version", VERSIONS)
def test_related_activities_match_context_and_sub_statements(
    client: TestClient, tenant: TenantUnderTest, version: str
) -> None:
    direct = simple_statement(activity=TARGET)
    related = [
        simple_statement(context=_context(parent=[_activity()])),
        simple_statement(context=_context(grouping=[_activity()])),
        simple_statement(context=_context(category=[_activity()])),
        simple_statement(context=_context(other=[_activity()])),
        simple_statement(object=_sub(object=_activity())),
        simple_statement(object=_sub(context=_context(parent=[_activity()]))),
    ]
    unrelated = simple_statement(context=_context(parent=[_activity("http://example.com/x")]))
    _post(client, tenant, [direct, *related, unrelated], version)

    assert _ids(client, tenant, version, activity=TARGET) == {direct["id"]}
    assert _ids(client, tenant, version, activity=TARGET, related_activities="false") == {
        direct["id"]
    }
    broad = _ids(client, tenant, version, activity=TARGET, related_activities="true")
    assert broad == {direct["id"], *(s["id"] for s in related)}


@pytest.mark.parametrize("version", VERSIONS)
def test_related_agents_match_instructor_team_authority_and_sub_statements(
    client: TestClient, tenant: TenantUnderTest, version: str
) -> None:
    team = {"objectType": "Group", "member": [BEA]}  # anonymous: matched by its member
    only_related = [
        simple_statement(context={"instructor": BEA}),
        simple_statement(context={"team": team}),
        simple_statement(object=_sub(actor=BEA)),
        simple_statement(object=_sub(object=BEA)),
        simple_statement(object=_sub(context={"instructor": BEA})),
        simple_statement(object=_sub(context={"team": team})),
    ]
    # The plain filter matches the actor or object, a group by its members (xAPI 2.1.3).
    plain = [
        simple_statement(object=BEA),
        {
            **simple_statement(),
            "actor": {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [BEA]},
        },
        simple_statement(mbox=BEA["mbox"]),
    ]
    other = simple_statement(context={"instructor": {"mbox": "mailto:carl@example.com"}})
    _post(client, tenant, [*only_related, *plain, other], version)

    agent = json.dumps(BEA)
    assert _ids(client, tenant, version, agent=agent) == {s["id"] for s in plain}
    broad = _ids(client, tenant, version, agent=agent, related_agents="true")
    assert broad == {s["id"] for s in [*only_related, *plain]}

    # An identified group matches by its identifier, as team or as actor.
    group = {"objectType": "Group", "mbox": "mailto:team@example.com"}
    as_team = simple_statement(context={"team": {**group, "member": [BEA]}})
    _post(client, tenant, as_team, version)
    found = _ids(client, tenant, version, agent=json.dumps(group), related_agents="true")
    assert found == {plain[1]["id"], as_team["id"]}
    assert _ids(client, tenant, version, agent=json.dumps(group)) == {plain[1]["id"]}

    # The authority is the API key that stored the statement (docs/xapi.md, Storing).
    key_id = tenant.admin_key.split("_", 2)[1]
    authority = json.dumps({"account": {"homePage": "http://testserver", "name": key_id}})
    assert _ids(client, tenant, version, agent=authority) == set()
    assert len(_ids(client, tenant, version, agent=authority, related_agents="true")) == 11


def test_related_queries_combine_with_filters_paging_and_voiding(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    verbs = ["http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/passed"]
    sent = [
        simple_statement(
            verbs[n % 2],
            context={"instructor": BEA, **_context(parent=[_activity()])},
        )
        for n in range(7)
    ]
    for statement in sent:  # one by one: stored order is sending order
        _post(client, tenant, statement, "1.0.3")
    ids = [s["id"] for s in sent]
    both = {"agent": json.dumps(BEA), "related_agents": "true", "activity": TARGET}
    both["related_activities"] = "true"
    assert _ids(client, tenant, "1.0.3", **both) == set(ids)
    assert _ids(client, tenant, "1.0.3", **both, verb=verbs[1]) == set(ids[1::2])
    assert _ids(client, tenant, "1.0.3", **{**both, "related_activities": "false"}) == set()

    void = simple_statement(
        VOIDED, object={"objectType": "StatementRef", "id": ids[2]}, context={"instructor": BEA}
    )
    _post(client, tenant, void, "1.0.3")
    query = {"agent": json.dumps(BEA), "related_agents": "true", "limit": "3"}
    pages = statement_pages(client, xapi(tenant.admin_key), query)
    expected = [void["id"], *ids[::-1]]
    expected.remove(ids[2])  # voided: left out of queries; the voiding statement is found
    assert pages == [expected[:3], expected[3:6], expected[6:]]
    ascending = _ids(client, tenant, "1.0.3", **{**query, "ascending": "true", "limit": "0"})
    assert ascending == set(expected)


def _count(engine: Engine, table: Any, tenant: TenantUnderTest, **where: Any) -> int:
    query = select(func.count()).select_from(table).where(table.c.tenant_id == tenant.tenant_id)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_erasure_drops_the_related_rows_of_the_erased_learner_only(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    bea_key = learner_key(tenant.scope.learner_secret, BEA_ID)
    taught = simple_statement(context={"instructor": BEA, **_context(parent=[_activity()])})
    own = simple_statement(mbox=BEA["mbox"], context={"instructor": {"mbox": "mailto:d@x.org"}})
    _post(client, tenant, [taught, own], "1.0.3")
    assert _count(engine, xapi_related_agents, tenant, learner_key=bea_key) == 2

    erased = client.delete(f"/v1/learners/{BEA_ID}", headers=bearer(tenant.admin_key))
    assert erased.status_code == 200, erased.text
    assert erased.json()["tables"]["xapi_related_agents"] == 2  # counted, not lost to the trigger
    # Bea's rows are gone; the statement she taught, by Ana, stays, and so do its other rows.
    assert _count(engine, xapi_related_agents, tenant, learner_key=bea_key) == 0
    assert _ids(client, tenant, "1.0.3") == {taught["id"]}
    ana = json.dumps({"mbox": "mailto:ana@example.com"})
    assert _ids(client, tenant, "1.0.3", agent=ana) == {taught["id"]}
    assert _ids(client, tenant, "1.0.3", activity=TARGET, related_activities="true") == {
        taught["id"]
    }
    # Bea's own statement went with her, and with it (trigger) its instructor's row.
    d_key = learner_key(tenant.scope.learner_secret, "mbox:mailto:d@x.org")
    assert _count(engine, xapi_related_agents, tenant, learner_key=d_key) == 0
    assert _count(engine, xapi_related_activities, tenant) == 2  # taught: object and parent


def test_only_keys_are_stored(client: TestClient, tenant: TenantUnderTest, engine: Engine) -> None:
    statement = simple_statement(context={"instructor": {"mbox": "mailto:secret-i@example.com"}})
    _post(client, tenant, statement, "1.0.3")
    with engine.connect() as connection:
        rows = connection.execute(
            select(xapi_related_agents).where(xapi_related_agents.c.tenant_id == tenant.tenant_id)
        ).all()
    assert len(rows) == 3  # actor, instructor, authority
    assert "secret-i" not in repr(rows)


def _head_matches_get(client: TestClient, path: str, headers: dict[str, str], **params: str) -> int:
    got = client.get(path, params=params, headers=headers)
    head = client.head(path, params=params, headers=headers)
    assert head.status_code == got.status_code, (path, head.text)
    assert head.content == b""
    skipped = {"x-experience-api-consistent-through", "date"}
    assert {k: v for k, v in head.headers.items() if k not in skipped} == {
        k: v for k, v in got.headers.items() if k not in skipped
    }
    assert head.headers["x-experience-api-version"] == got.headers["x-experience-api-version"]
    return head.status_code


@pytest.mark.parametrize("version", VERSIONS)
def test_head_answers_like_get_without_a_body(
    client: TestClient, tenant: TenantUnderTest, version: str
) -> None:
    statement = simple_statement(activity=TARGET)
    _post(client, tenant, statement, version)
    headers = xapi(tenant.admin_key, version)
    agent = json.dumps({"mbox": "mailto:ana@example.com"})
    document = {"activityId": TARGET, "agent": agent, "stateId": "bookmark"}
    put = client.put("/xapi/activities/state", params=document, json={"page": 3}, headers=headers)
    assert put.status_code == 204, put.text
    ok = [
        ("/xapi/about", {}),
        ("/xapi/statements", {}),
        ("/xapi/statements", {"statementId": statement["id"]}),
        ("/xapi/statements", {"agent": agent, "related_agents": "true"}),
        ("/xapi/activities/state", document),
        ("/xapi/activities/state", {"activityId": TARGET, "agent": agent}),
        ("/xapi/activities/profile", {"activityId": TARGET}),
        ("/xapi/agents/profile", {"agent": agent}),
        ("/xapi/activities", {"activityId": TARGET}),
        ("/xapi/agents", {"agent": agent}),
    ]
    for path, params in ok:
        assert _head_matches_get(client, path, headers, **params) == 200, path
    assert _head_matches_get(client, "/xapi/statements", headers, statementId=str(uuid.uuid4()))
    missing = {**document, "stateId": "nothing-here"}
    assert _head_matches_get(client, "/xapi/activities/state", headers, **missing) == 404
    assert _head_matches_get(client, "/xapi/statements", basic(tenant.admin_key)) == 400
    assert _head_matches_get(client, "/xapi/statements", {"X-Experience-API-Version": version})
    assert client.head("/xapi/statements", headers=headers).headers["content-length"] != "0"


def test_head_routes_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    xapi_paths = {path: item for path, item in paths.items() if path.startswith("/xapi")}
    assert xapi_paths
    assert all("head" not in item for item in xapi_paths.values())
