"""GET /v1/analytics/engagement, /retention and /lifecycle: figures, roles, bad parameters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from stride.clock import utc_now
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

ROUTES = ["/v1/analytics/engagement", "/v1/analytics/retention", "/v1/analytics/lifecycle"]


def _send(client: TestClient, tenant: TenantUnderTest) -> None:
    yesterday = utc_now() - timedelta(days=1)
    events = [
        make_event(learner=name, timestamp=(yesterday - timedelta(days=d)).isoformat())
        for name in ("ana", "ben", "cleo")
        for d in (0, 8)
    ]
    sent = client.post("/v1/events", json=events, headers=bearer(tenant.admin_key))
    assert sent.status_code == 200 and sent.json()["accepted"] == 6, sent.text


def test_engagement_counts_the_days_learners_were_active(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _send(client, tenant)
    admin = bearer(tenant.admin_key)
    day = (utc_now() - timedelta(days=1)).date()
    response = client.get(
        "/v1/analytics/engagement",
        params={"from": day.isoformat(), "to": day.isoformat(), "breakdown": "platform"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["from"] == day.isoformat() and body["breakdown"] == "platform"
    (point,) = body["series"]
    assert (point["active_learners"], point["wau"], point["mau"]) == (3, 3, 3)
    assert point["time_invested_ms"] == 3 * 60_000 and point["stickiness"] == 1.0
    assert body["groups"] == [] and body["withheld_groups"] == 0  # no platform was sent
    lifecycle = client.get("/v1/analytics/lifecycle?period=day", headers=admin).json()
    assert lifecycle["series"][-2]["returning"] == 0
    assert sum(p["new"] for p in lifecycle["series"]) == 3


def test_retention_withholds_small_cohorts(client: TestClient, tenant: TenantUnderTest) -> None:
    _send(client, tenant)
    admin = bearer(tenant.admin_key)
    params = {"period": "day", "entry": "recurring", "return": "on_or_after"}
    small = client.get("/v1/analytics/retention", params=params, headers=admin).json()
    assert small["cohorts"] == [] and small["withheld_cohorts"] > 0 and small["note"]
    client.put("/v1/privacy/policy", json={"min_group_size": 3}, headers=admin)
    shown = client.get("/v1/analytics/retention", params=params, headers=admin).json()
    first = shown["cohorts"][0]
    assert first["size"] == 3 and first["cells"][8]["learners"] == 3
    assert shown["mean"][0]["share"] == 1.0


@pytest.mark.parametrize("route", ROUTES)
def test_roles(
    client: TestClient,
    tenant: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
    route: str,
) -> None:
    for role, status in [(Role.ANALYST, 200), (Role.INSTRUCTOR, 200), (Role.INGEST, 403)]:
        response = client.get(route, headers=bearer(key_factory(tenant.tenant_id, role)))
        assert response.status_code == status, (role, response.text)
    assert client.get(route).status_code == 401


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("/v1/analytics/engagement", {"period": "year"}),
        ("/v1/analytics/engagement", {"breakdown": "country"}),
        ("/v1/analytics/engagement", {"from": "2024-02-30"}),
        ("/v1/analytics/engagement", {"from": "2024-05-02", "to": "2024-05-01"}),
        ("/v1/analytics/engagement", {"from": "2024-01-01", "to": "2024-05-01"}),
        ("/v1/analytics/retention", {"start_event": "no.such"}),
        ("/v1/analytics/retention", {"return": "sometimes"}),
        ("/v1/analytics/retention", {"entry": "last"}),
        ("/v1/analytics/retention", {"entry": "recurring", "start_event": "activity.completed"}),
        ("/v1/analytics/retention", {"period": "day", "from": "2024-01-01", "to": "2024-12-01"}),
        ("/v1/analytics/lifecycle", {"period": "hour"}),
        ("/v1/analytics/retention", {"period": "day", "from": "0001-01-01", "to": "0001-01-02"}),
        ("/v1/analytics/engagement", {"to": "9999-12-31"}),
    ],
)
def test_bad_parameters_are_422(
    client: TestClient, tenant: TenantUnderTest, route: str, params: dict[str, str]
) -> None:
    response = client.get(route, params=params, headers=bearer(tenant.admin_key))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
