from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest


def _now_minus(days: int, hours: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days, hours=hours)).isoformat()


def _record(client: TestClient, tenant: TenantUnderTest, *events: dict) -> None:  # type: ignore[type-arg]
    response = client.post("/v1/events", json=list(events), headers=bearer(tenant.admin_key))
    assert response.json()["accepted"] == len(events), response.text


def test_progress_activities_and_timeline(client: TestClient, tenant: TenantUnderTest) -> None:
    _record(
        client,
        tenant,
        make_event(
            learner="maya", timestamp=_now_minus(2), result={"score": 0.5, "duration_s": 120}
        ),
        make_event(
            learner="maya", timestamp=_now_minus(1), result={"score": 0.9, "duration_s": 60}
        ),
        make_event(
            learner="maya",
            type="activity.completed",
            timestamp=_now_minus(0, 1),
            activity={"id": "course-1/ex-1", "type": "exercise"},
            result=None,
        ),
        make_event(
            learner="maya",
            activity={"id": "lesson-2", "type": "lesson"},
            type="activity.started",
            timestamp=_now_minus(0, 1),
            result=None,
        ),
    )
    headers = bearer(tenant.admin_key)
    progress = client.get("/v1/learners/maya/progress", headers=headers).json()
    assert progress["events"] == 4
    assert progress["active_days"] >= 2
    assert progress["current_streak"] >= 2
    assert progress["activities_completed"] == 1
    assert progress["activities_in_progress"] == 1
    assert progress["total_time_s"] == 180.0

    activities = client.get("/v1/learners/maya/activities", headers=headers).json()["data"]
    exercise = next(a for a in activities if a["activity_id"] == "course-1/ex-1")
    assert exercise["status"] == "completed"
    assert exercise["attempts"] == 2
    assert (exercise["best_score"], exercise["last_score"]) == (0.9, 0.9)
    completed = client.get("/v1/learners/maya/activities?status=completed", headers=headers).json()[
        "data"
    ]
    assert [a["activity_id"] for a in completed] == ["course-1/ex-1"]

    timeline = client.get("/v1/learners/maya/timeline", headers=headers).json()
    assert len(timeline["days"]) == 30
    assert sum(day["events"] for day in timeline["days"]) == 4


def test_unknown_learner_is_404_problem(client: TestClient, tenant: TenantUnderTest) -> None:
    response = client.get("/v1/learners/nobody/progress", headers=bearer(tenant.admin_key))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_tenants_cannot_see_each_other(
    client: TestClient, tenant_factory: Callable[[], TenantUnderTest]
) -> None:
    a, b = tenant_factory(), tenant_factory()
    _record(client, a, make_event(learner="shared-id"))
    assert (
        client.get("/v1/learners/shared-id/progress", headers=bearer(a.admin_key)).status_code
        == 200
    )
    assert (
        client.get("/v1/learners/shared-id/progress", headers=bearer(b.admin_key)).status_code
        == 404
    )


def test_timezone_moves_activity_to_local_days(client: TestClient, tenant: TenantUnderTest) -> None:
    # 22:30 UTC on 1 May is already 2 May in Tokyo.
    _record(client, tenant, make_event(learner="kenji", timestamp="2024-05-01T22:30:00Z"))
    headers = bearer(tenant.admin_key)
    query = "/v1/learners/kenji/timeline?from=2024-05-01&to=2024-05-02"
    utc_days = client.get(query, headers=headers).json()["days"]
    assert [d["events"] for d in utc_days] == [1, 0]

    response = client.put("/v1/learners/kenji", json={"timezone": "Asia/Tokyo"}, headers=headers)
    assert response.status_code == 200 and response.json()["timezone"] == "Asia/Tokyo"
    tokyo = client.get(query, headers=headers).json()
    assert tokyo["timezone"] == "Asia/Tokyo"
    assert [d["events"] for d in tokyo["days"]] == [0, 1]


def test_bad_timezone_and_range_are_422(client: TestClient, tenant: TenantUnderTest) -> None:
    headers = bearer(tenant.admin_key)
    _record(client, tenant, make_event(learner="lea"))
    bad_zone = client.put("/v1/learners/lea", json={"timezone": "Mars/Olympus"}, headers=headers)
    assert bad_zone.status_code == 422
    assert bad_zone.json()["errors"] == [
        {"path": "timezone", "reason": "must be an IANA time zone such as Europe/Paris or UTC"}
    ]
    inverted = client.get(
        "/v1/learners/lea/timeline?from=2024-05-02&to=2024-05-01", headers=headers
    )
    assert inverted.status_code == 422
    too_long = client.get(
        "/v1/learners/lea/timeline?from=2020-01-01&to=2024-01-01", headers=headers
    )
    assert too_long.status_code == 422
    bad_date = client.get("/v1/learners/lea/timeline?from=yesterday", headers=headers)
    assert bad_date.status_code == 422
    assert bad_date.json()["errors"][0]["path"] == "query.from"


def test_read_roles(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    _record(client, tenant, make_event(learner="omar"))
    ingest = key_factory(tenant.tenant_id, Role.INGEST)
    analyst = key_factory(tenant.tenant_id, Role.ANALYST)
    instructor = key_factory(tenant.tenant_id, Role.INSTRUCTOR)
    assert client.get("/v1/learners/omar/progress", headers=bearer(ingest)).status_code == 403
    # Analysts see aggregates only, never one learner's rows.
    assert client.get("/v1/learners/omar/progress", headers=bearer(analyst)).status_code == 403
    assert client.get("/v1/learners/omar/progress", headers=bearer(instructor)).status_code == 200
    put = client.put("/v1/learners/omar", json={"timezone": "UTC"}, headers=bearer(analyst))
    assert put.status_code == 403


def test_timeline_at_the_edge_of_the_calendar(client: TestClient, tenant: TenantUnderTest) -> None:
    headers = bearer(tenant.admin_key)
    _record(client, tenant, make_event(learner="edge"))
    late = client.get("/v1/learners/edge/timeline?from=9999-12-30", headers=headers)
    assert late.status_code == 422
    early = client.get("/v1/learners/edge/timeline?to=0001-01-02", headers=headers)
    assert early.status_code == 422
