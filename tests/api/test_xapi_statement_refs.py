"""GET /xapi/statements: a statement whose object is a StatementRef matches a filter when the
statement it targets does (the spec's filter rule for StatementRefs)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_xapi import xapi
from tests.api.test_xapi_related import statement_pages
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

VERSIONS = ["1.0.3", "2.0.0"]
BEN = "mailto:ben@example.com"
ANDREW = "mailto:andrew@example.com"
TRAINING = "http://example.com/activities/explosives-training"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
CONFIRMED = "http://example.com/verbs/confirmed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
REGISTRATION = "4c7a5e2b-8d43-4f61-9c3a-2b1e0f7d6a58"


def _post(client: TestClient, tenant: TenantUnderTest, version: str, *statements: Any) -> None:
    for statement in statements:  # one by one: stored order is sending order
        response = client.post(
            "/xapi/statements", json=statement, headers=xapi(tenant.admin_key, version)
        )
        assert response.status_code == 200, response.text


def _found(client: TestClient, tenant: TenantUnderTest, version: str, **params: str) -> list[str]:
    response = client.get(
        "/xapi/statements", params=params, headers=xapi(tenant.admin_key, version)
    )
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["statements"]]


def _ref(statement: dict[str, Any]) -> dict[str, str]:
    return {"objectType": "StatementRef", "id": statement["id"]}


def _agent(mbox: str) -> str:
    return json.dumps({"mbox": mbox})


@pytest.mark.parametrize("version", VERSIONS)
def test_a_statement_targeting_a_match_is_found_by_its_targets_content(
    client: TestClient, tenant: TenantUnderTest, version: str
) -> None:
    passed = simple_statement(PASSED, BEN, TRAINING, context={"registration": REGISTRATION})
    confirmed = simple_statement(CONFIRMED, ANDREW, object=_ref(passed))
    unrelated = simple_statement(PASSED, ANDREW, "http://example.com/activities/first-aid")
    _post(client, tenant, version, passed, confirmed, unrelated)
    both = [confirmed["id"], passed["id"]]  # newest first
    assert _found(client, tenant, version, agent=_agent(BEN)) == both
    assert _found(client, tenant, version, activity=TRAINING) == both
    assert _found(client, tenant, version, registration=REGISTRATION) == both
    assert _found(client, tenant, version, verb=PASSED) == [unrelated["id"], *both]
    # The target must match the whole filter, as the statement itself would (as the
    # reference LRS reads the rule): parts on each side do not add up.
    assert _found(client, tenant, version, agent=_agent(BEN), verb=CONFIRMED) == []
    assert _found(client, tenant, version, agent=_agent(ANDREW), verb=PASSED) == [unrelated["id"]]
    assert _found(client, tenant, version, agent=_agent(ANDREW), verb=CONFIRMED) == [
        confirmed["id"]
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_rule_applies_down_a_chain_and_time_applies_to_the_statement_returned(
    client: TestClient, tenant: TenantUnderTest, version: str
) -> None:
    first = simple_statement(PASSED, BEN, TRAINING)
    second = simple_statement(CONFIRMED, ANDREW, object=_ref(first))
    third = simple_statement(CONFIRMED, "mailto:cleo@example.com", object=_ref(second))
    for statement in (first, second, third):
        _post(client, tenant, version, statement)
        time.sleep(0.002)  # stored times are in milliseconds: keep them apart
    chain = [third["id"], second["id"], first["id"]]
    assert _found(client, tenant, version, activity=TRAINING) == chain
    assert _found(client, tenant, version, activity=TRAINING, ascending="true") == chain[::-1]

    stored = client.get(
        "/xapi/statements",
        params={"statementId": first["id"]},
        headers=xapi(tenant.admin_key, version),
    ).json()["stored"]
    assert _found(client, tenant, version, activity=TRAINING, since=stored) == chain[:2]
    assert _found(client, tenant, version, activity=TRAINING, until=stored) == chain[2:]

    query = {"activity": TRAINING, "limit": "2"}
    pages = statement_pages(client, xapi(tenant.admin_key, version), query)
    assert pages == [chain[:2], chain[2:]]


@pytest.mark.parametrize("version", VERSIONS)
def test_statements_targeting_a_voided_statement_are_still_found(
    client: TestClient, tenant: TenantUnderTest, version: str
) -> None:
    passed = simple_statement(PASSED, BEN, TRAINING)
    confirmed = simple_statement(CONFIRMED, ANDREW, object=_ref(passed))
    voiding = simple_statement(VOIDED, ANDREW, object=_ref(passed))
    _post(client, tenant, version, passed, confirmed, voiding)
    # The voided statement is left out; the voiding one and the other reference stay.
    assert _found(client, tenant, version, activity=TRAINING) == [voiding["id"], confirmed["id"]]
    assert _found(client, tenant, version, agent=_agent(BEN)) == [voiding["id"], confirmed["id"]]


@pytest.mark.parametrize("version", VERSIONS)
def test_references_in_context_do_not_count_and_a_cycle_ends(
    client: TestClient, tenant: TenantUnderTest, version: str
) -> None:
    passed = simple_statement(PASSED, BEN, TRAINING)
    in_context = simple_statement(
        CONFIRMED,
        ANDREW,
        "http://example.com/activities/review",
        context={"statement": _ref(passed)},
    )
    one = simple_statement(CONFIRMED, "mailto:dee@example.com")
    other = simple_statement(PASSED, "mailto:eli@example.com", object=_ref(one))
    one["object"] = _ref(other)  # one and other target each other
    _post(client, tenant, version, passed, in_context, one, other)
    assert _found(client, tenant, version, activity=TRAINING) == [passed["id"]]
    assert _found(client, tenant, version, agent=_agent("mailto:eli@example.com")) == [
        other["id"],
        one["id"],
    ]
