"""GET/PATCH /v1/learners/{id}/achievements and GET /v1/learners/{id}/points."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)
EX1, EX2 = "prog/c1/m1/ex1", "prog/c1/m1/ex2"


def _ago(days: float = 0, minutes: float = 0) -> str:
    return (NOW - timedelta(days=days, minutes=minutes)).isoformat()


def _since_midnight(share: float) -> float:
    """Days ago of an instant `share` of the way back from NOW to the start of its day."""
    midnight = NOW.replace(hour=0, minute=0, second=0)
    return (NOW - midnight).total_seconds() * share / 86_400


def _send(client: TestClient, tenant: TenantUnderTest, *sent: dict[str, Any]) -> None:
    response = client.post("/v1/events", json=list(sent), headers=bearer(tenant.admin_key))
    assert response.json()["accepted"] == len(sent), response.text


def _catalog(client: TestClient, tenant: TenantUnderTest, achievements: Any) -> None:
    catalog = {**small_catalog(), "achievements": achievements}
    response = client.put("/v1/catalog", json=catalog, headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text


def _attempt(score: float, days: float, learner: str = "ana") -> dict[str, Any]:
    return make_event(
        learner=learner,
        timestamp=_ago(days=days),
        activity={"id": EX1, "type": "exercise"},
        result={"score": score, "success": score >= 0.7},
    )


def test_earned_unearned_progress_and_points(client: TestClient, tenant: TenantUnderTest) -> None:
    _catalog(
        client,
        tenant,
        [
            {
                "id": "ten-tries",
                "name": "Ten tries",
                "points": 5,
                "criteria": "events:exercise.attempted.count >= 10",
            },
            {
                "id": "both",
                "name": "Both",
                "criteria": {"all": ["streak.current >= 3", "module:prog/c1/m1.completion >= 1"]},
            },
        ],
    )
    # Two attempts earlier today (UTC, the learner's zone), whatever the time of the run.
    today = [_since_midnight(share) for share in (0.25, 0.5)]
    _send(client, tenant, _attempt(1.0, 2), *(_attempt(0.5, d) for d in (1, *today)))
    response = client.get("/v1/learners/ana/achievements", headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    body = response.json()
    (earned,) = body["earned"]
    assert earned["id"] == "first-perfect-score"
    assert earned["celebration_shown"] is False and earned["points"] == 10
    assert datetime.fromisoformat(earned["awarded_at"]) == datetime.fromisoformat(_ago(days=2))
    unearned = {a["id"]: a for a in body["unearned"]}
    tries = unearned["ten-tries"]["progress"]
    assert (tries["current"], tries["required"], tries["percent"]) == (4, 10, 40.0)
    # Four attempts in the last 28 days: 1/7 a day, so six more take 42 days.
    expected = (NOW + timedelta(days=42)).date().isoformat()
    assert tries["estimated_date"] in (expected, (NOW + timedelta(days=43)).date().isoformat())
    both = unearned["both"]["progress"]
    assert both["current"] is None and len(both["conditions"]) == 2
    assert unearned["one-week-streak"]["progress"]["current"] == 3
    assert body["total_points"] == 4 + 10  # four attempts at 1 point, plus the award
    points = client.get("/v1/learners/ana/points", headers=bearer(tenant.admin_key)).json()
    assert points["total_points"] == 14 and sum(w["points"] for w in points["weeks"]) == 14


def test_celebration_by_staff_and_by_the_learners_own_token(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    _send(client, tenant, _attempt(1.0, 1), _attempt(1.0, 1, learner="ben"))
    url = "/v1/learners/ana/achievements/first-perfect-score"
    instructor = bearer(key_factory(tenant.tenant_id, Role.INSTRUCTOR))
    shown = client.patch(url, json={"celebration_shown": True}, headers=instructor)
    assert shown.status_code == 200, shown.text
    assert shown.json()["celebration_shown"] is True
    first_at = shown.json()["celebration_shown_at"]
    issued = client.post("/v1/learners/ana/tokens", json={"ttl_seconds": 600}, headers=instructor)
    token = bearer(issued.json()["token"])
    again = client.patch(url, json={"celebration_shown": True}, headers=token)
    assert again.status_code == 200 and again.json()["celebration_shown_at"] == first_at
    listed = client.get("/v1/learners/ana/achievements", headers=token).json()
    assert listed["earned"][0]["celebration_shown"] is True
    other = "/v1/learners/ben/achievements/first-perfect-score"
    assert client.patch(other, json={"celebration_shown": True}, headers=token).status_code == 403
    assert client.get("/v1/learners/ben/points", headers=token).status_code == 403
    ingest = bearer(key_factory(tenant.tenant_id, Role.INGEST))
    assert client.patch(url, json={"celebration_shown": True}, headers=ingest).status_code == 403


def test_not_earned_unknown_and_bad_bodies(client: TestClient, tenant: TenantUnderTest) -> None:
    admin = bearer(tenant.admin_key)
    _send(client, tenant, _attempt(0.5, 1))
    base = "/v1/learners/ana/achievements"
    body = {"celebration_shown": True}
    assert client.patch(f"{base}/one-week-streak", json=body, headers=admin).status_code == 404
    assert client.patch(f"{base}/nope", json=body, headers=admin).status_code == 404
    assert client.patch(f"{base}/one-week-streak", json={"x": 1}, headers=admin).status_code == 422
    assert client.get("/v1/learners/nobody/achievements", headers=admin).status_code == 404
    assert client.get("/v1/learners/nobody/points", headers=admin).status_code == 404


def test_a_bad_catalog_section_is_refused_with_paths(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    catalog = {
        **small_catalog(),
        "achievements": [
            {"id": "a", "name": "A", "criteria": {"all": ["mastery:nope >= 0.9"]}},
            {"id": "b", "name": "B", "criteria": "__import__('os').system('id') >= 1"},
        ],
        "points": {"events": {"exercise.attempted": -1}},
    }
    response = client.put("/v1/catalog", json=catalog, headers=bearer(tenant.admin_key))
    assert response.status_code == 422
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == [
        "achievements[0].criteria.all[0]",
        "achievements[1].criteria",
        "points.events.exercise.attempted",
    ]
