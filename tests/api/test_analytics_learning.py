"""GET /v1/analytics/{content,items,coaching,outcomes}: figures, roles, bad parameters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.fixtures.tenant import TenantUnderTest
from tests.store.test_analytics_learning import six_learners

KeyFactory = Callable[[str, Role], str]


@pytest.fixture
def analyst(client: TestClient, tenant: TenantUnderTest, key_factory: KeyFactory) -> dict[str, str]:
    admin = bearer(tenant.admin_key)
    assert client.put("/v1/catalog", json=small_catalog(), headers=admin).status_code == 200
    policy = client.put("/v1/privacy/policy", json={"min_group_size": 2}, headers=admin)
    assert policy.status_code == 200, policy.text
    sent = client.post("/v1/events", json=six_learners(), headers=admin)
    assert sent.status_code in (200, 207), sent.text
    return bearer(key_factory(tenant.tenant_id, Role.ANALYST))


def test_content_by_module_and_block(client: TestClient, analyst: dict[str, str]) -> None:
    response = client.get("/v1/analytics/content?course=prog/c1", headers=analyst)
    assert response.status_code == 200, response.text
    body = response.json()
    m1 = body["modules"][0]
    assert (m1["module_id"], m1["learners"], m1["completions"]) == ("prog/c1/m1", 5, 2)
    assert m1["drop_off"] == {"activity_id": "prog/c1/m1/ex1", "learners": 2, "share": 2 / 3}
    assert [b["activity_id"] for b in m1["blocks"]] == ["prog/c1/m1/ex1", "prog/c1/m1/ex2"]
    # Module 2's lesson has one learner (below min_group_size 2): withheld, and said so.
    assert (body["withheld_modules"], body["withheld_blocks"]) == (0, 1)
    assert [b["activity_id"] for b in body["modules"][1]["blocks"]] == ["prog/c1/m2/quiz"]
    assert "1 item(s)" in body["note"]


def test_items(client: TestClient, analyst: dict[str, str]) -> None:
    response = client.get("/v1/analytics/items?module=prog/c1/m1", headers=analyst)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["activity_id"] for i in body["items"]] == ["prog/c1/m1/ex1", "prog/c1/m1/ex2"]
    assert body["items"][0]["difficulty"] == 0.6
    assert "other items" in body["rest_score"]


def test_coaching_and_outcomes_answer(client: TestClient, analyst: dict[str, str]) -> None:
    coaching = client.get("/v1/analytics/coaching?from=2024-05-01&to=2024-05-15", headers=analyst)
    assert coaching.status_code == 200, coaching.text
    assert coaching.json()["practice"]["completion_rate"] == 0.75
    assert coaching.json()["meetings"] is None and coaching.json()["meetings_withheld"]
    outcomes = client.get("/v1/analytics/outcomes?to=2024-06-01", headers=analyst)
    assert outcomes.status_code == 200, outcomes.text
    body = outcomes.json()
    assert body["threshold"] == 0.95
    assert {d["dimension_id"] for d in body["dimensions"]} <= {"execution", "communication"}


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("/v1/analytics/content?program=nope", 404),
        ("/v1/analytics/content?course=prog/c1/m1", 404),  # a module is not a course
        ("/v1/analytics/items?program=prog&module=elsewhere", 404),
        ("/v1/analytics/content?program=", 422),
        ("/v1/analytics/coaching?from=2024-05-10&to=2024-05-01", 422),
        ("/v1/analytics/coaching?from=yesterday", 422),
        ("/v1/analytics/outcomes?from=1990-01-01&to=2024-01-01", 422),
    ],
)
def test_bad_parameters(
    client: TestClient, analyst: dict[str, str], query: str, status: int
) -> None:
    response = client.get(query, headers=analyst)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["content", "items", "coaching", "outcomes"])
def test_roles(
    client: TestClient, tenant: TenantUnderTest, key_factory: KeyFactory, path: str
) -> None:
    ingest = bearer(key_factory(tenant.tenant_id, Role.INGEST))
    assert client.get(f"/v1/analytics/{path}", headers=ingest).status_code == 403
    assert client.get(f"/v1/analytics/{path}").status_code == 401
    for role in (Role.ANALYST, Role.INSTRUCTOR, Role.ADMIN):
        headers = bearer(key_factory(tenant.tenant_id, role))
        assert client.get(f"/v1/analytics/{path}", headers=headers).status_code == 200


def test_a_tenant_without_catalog_gets_empty_figures(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    response = client.get("/v1/analytics/content", headers=bearer(tenant.admin_key))
    assert response.status_code == 200
    assert response.json()["modules"] == [] and "no catalog" in response.json()["note"]
