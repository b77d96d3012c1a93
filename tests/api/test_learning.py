from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from stride.store.tables import events
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)


def _ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def _record(client: TestClient, tenant: TenantUnderTest, *sent: dict[str, Any]) -> None:
    response = client.post("/v1/events", json=list(sent), headers=bearer(tenant.admin_key))
    assert response.json()["accepted"] == len(sent), response.text


def _attempt(item: str, minutes_ago: float, success: bool, **extra: Any) -> dict[str, Any]:
    return make_event(
        learner="ines",
        type="exercise.attempted",
        timestamp=_ago(minutes=minutes_ago),
        activity={"id": item, "type": "exercise"},
        result={"success": success, "score": 0.9 if success else 0.3, "duration_s": 60},
        **extra,
    )


def _with_catalog(client: TestClient, tenant: TenantUnderTest, **mastery: Any) -> None:
    applied = client.put(
        "/v1/catalog", json=small_catalog(**mastery), headers=bearer(tenant.admin_key)
    )
    assert applied.status_code == 200, applied.text


def _acquired_events(engine: Engine, tenant_id: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(events)
            .where(events.c.tenant_id == tenant_id, events.c.type == "skill.acquired")
        ).scalar_one()


def test_mastery_rises_with_success_and_acquisition_is_recorded_once(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    _with_catalog(client, tenant)
    headers = bearer(tenant.admin_key)
    _record(client, tenant, _attempt("prog/c1/m1/ex1", 300, False))
    first = client.get("/v1/learners/ines/skills", headers=headers).json()
    planning = next(s for s in first["skills"] if s["skill_id"] == "planning")
    assert planning["attempts"] == 1 and planning["mastery"] < 0.3  # below the 0.3 prior
    assert planning["dimension"] == "execution"

    _record(client, tenant, *(_attempt("prog/c1/m1/ex1", 200 - i, True) for i in range(8)))
    after = client.get("/v1/learners/ines/skills", headers=headers).json()
    planning = next(s for s in after["skills"] if s["skill_id"] == "planning")
    assert planning["mastery"] >= 0.95 and planning["acquired"] is True
    assert planning["history"], "weekly history is kept"
    assert _acquired_events(engine, tenant.tenant_id) == 1

    # More practice, and a rebuild from the log, do not record it again.
    _record(client, tenant, _attempt("prog/c1/m1/ex1", 10, True))
    assert _acquired_events(engine, tenant.tenant_id) == 1
    radar = {d["dimension_id"]: d for d in after["radar"]}
    assert radar["execution"]["practised"] == 1 and radar["execution"]["skills"] == 2
    # budgeting (weight 2) is untouched at its prior 0.3; planning is mastered.
    assert abs(radar["execution"]["mastery"] - (planning["mastery"] + 2 * 0.3) / 3) < 1e-9
    assert radar["communication"]["practised"] == 0
    assert len(after["radar_history"]) == 12


def test_a_late_attempt_gives_the_same_mastery_as_in_order(
    client: TestClient, tenant: TenantUnderTest, tenant_factory: Any
) -> None:
    attempts = [_attempt("prog/c1/m1/ex1", 100 - i, i % 3 != 0) for i in range(9)]
    _with_catalog(client, tenant)
    _record(client, tenant, *attempts[1:])
    _record(client, tenant, attempts[0])  # the oldest arrives last
    other = tenant_factory()
    _with_catalog(client, other)
    _record(client, other, *attempts)

    def planning(t: TenantUnderTest) -> dict[str, Any]:
        skills = client.get("/v1/learners/ines/skills", headers=bearer(t.admin_key)).json()
        return next(s for s in skills["skills"] if s["skill_id"] == "planning")

    assert planning(tenant)["mastery"] == planning(other)["mastery"]


def test_reapplying_a_changed_mapping_refolds_mastery(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _with_catalog(client, tenant)
    _record(client, tenant, *(_attempt("prog/c1/m1/ex1", 50 - i, True) for i in range(3)))
    changed = small_catalog()
    changed["activities"][3]["skills"] = ["writing"]
    applied = client.put("/v1/catalog", json=changed, headers=bearer(tenant.admin_key)).json()
    assert applied["mastery_refolded"] is True and applied["events_refolded"] >= 3
    skills = client.get("/v1/learners/ines/skills", headers=bearer(tenant.admin_key)).json()
    assert [s["skill_id"] for s in skills["skills"]] == ["writing"]

    # A title change leaves mastery alone.
    changed["activities"][3]["title"] = "Renamed"
    again = client.put("/v1/catalog", json=changed, headers=bearer(tenant.admin_key)).json()
    assert again["mastery_refolded"] is False


def test_skills_sent_on_events_count_without_a_catalog(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _record(client, tenant, _attempt("free/ex", 5, True, skills=["negotiation"]))
    skills = client.get("/v1/learners/ines/skills", headers=bearer(tenant.admin_key)).json()
    assert [s["skill_id"] for s in skills["skills"]] == ["negotiation"]
    assert skills["radar"] == []


def test_enroll_list_and_cancel(client: TestClient, tenant: TenantUnderTest) -> None:
    _with_catalog(client, tenant)
    headers = bearer(tenant.admin_key)
    target = (NOW + timedelta(days=30)).date().isoformat()
    created = client.post(
        "/v1/learners/ines/enrollments",
        json={"activity_id": "prog", "target_date": target},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "active" and body["activity_type"] == "program"
    assert body["target_date"] == target and body["completion"] == 0.0
    assert body["cohort"].startswith(str(NOW.isocalendar()[0]))

    listed = client.get("/v1/learners/ines/enrollments", headers=headers).json()["data"]
    assert [e["activity_id"] for e in listed] == ["prog"]

    cancelled = client.delete("/v1/learners/ines/enrollments/prog", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    missing = client.delete("/v1/learners/ines/enrollments/prog/c1", headers=headers)
    assert missing.status_code == 404


def test_enrollment_needs_a_known_activity_or_its_type(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    headers = bearer(tenant.admin_key)
    response = client.post(
        "/v1/learners/ines/enrollments", json={"activity_id": "elsewhere"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "activity_type"
    response = client.post(
        "/v1/learners/ines/enrollments",
        json={"activity_id": "elsewhere", "activity_type": "course"},
        headers=headers,
    )
    assert response.status_code == 201 and response.json()["completion"] is None


def test_enrollment_events_are_validated(client: TestClient, tenant: TenantUnderTest) -> None:
    bad = make_event(
        type="enrollment.created",
        activity={"id": "prog/c1/m1", "type": "module"},
        result=None,
        properties={"target_date": "soon"},
    )
    response = client.post("/v1/events", json=bad, headers=bearer(tenant.admin_key))
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"activity.type", "properties.target_date"}


def test_program_tree_with_pace_and_module_readiness(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _with_catalog(client, tenant)
    headers = bearer(tenant.admin_key)
    client.post(
        "/v1/learners/ines/enrollments",
        json={
            "activity_id": "prog",
            "enrolled_at": _ago(days=10),
            "target_date": (NOW + timedelta(days=10)).date().isoformat(),
        },
        headers=headers,
    )
    done = {"completion": True, "duration_s": 600}
    _record(
        client,
        tenant,
        make_event(
            learner="ines",
            type="activity.completed",
            timestamp=_ago(days=2),
            activity={"id": "prog/c1/m1/ex2", "type": "exercise"},
            result=done,
        ),
        *(
            make_event(
                learner="ines",
                timestamp=_ago(days=1, minutes=i),
                activity={"id": "prog/c1/m1/ex1", "type": "exercise"},
                result={"score": 0.9, "duration_s": 60},
            )
            for i in range(5)
        ),
    )
    program = client.get("/v1/learners/ines/programs/prog", headers=headers)
    assert program.status_code == 200, program.text
    tree = program.json()["progress"]
    module = tree["children"][0]["children"][0]
    assert module["id"] == "prog/c1/m1"
    assert module["completion"] == 0.75  # ex2 (weight 3) of ex1 + ex2
    assert program.json()["enrollment"]["status"] == "active"
    pace = program.json()["pace"]
    assert pace and pace[-1]["actual"] == tree["completion"]
    assert 0.4 < pace[-1]["planned"] < 0.6  # halfway from enrollment to target

    view = client.get("/v1/learners/ines/modules/prog/c1/m1", headers=headers).json()
    assert view["readiness"]["level"] == "advanced"
    assert view["scores"] == [90.0] * 5
    assert client.get("/v1/learners/ines/modules/prog", headers=headers).status_code == 404
    assert client.get("/v1/learners/ines/programs/nope", headers=headers).status_code == 404


def test_sessions_are_inferred_from_gaps(client: TestClient, tenant: TenantUnderTest) -> None:
    _record(
        client,
        tenant,
        *(_attempt("prog/c1/m1/ex1", 300 - i * 5, True) for i in range(3)),
        *(_attempt("prog/c1/m1/ex1", 100 - i * 5, False) for i in range(3)),
    )
    body = client.get("/v1/learners/ines/sessions", headers=bearer(tenant.admin_key)).json()
    assert body["total"] == 2
    newest, oldest = body["data"]
    assert newest["started_at"] > oldest["started_at"] and newest["inferred"] is True
    assert newest["events"] == 3


def test_trends_patterns_and_forecast_are_honest_about_little_data(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _with_catalog(client, tenant)
    headers = bearer(tenant.admin_key)
    _record(client, tenant, _attempt("prog/c1/m1/ex1", 30, True))
    trends = client.get("/v1/learners/ines/trends", headers=headers).json()
    assert trends["overall"]["status"] == "not_enough_data"
    assert trends["overall"]["points"] == 1
    patterns = client.get("/v1/learners/ines/patterns", headers=headers).json()
    assert patterns["patterns"]["status"] == "not_enough_data"
    forecast = client.get("/v1/learners/ines/forecast?program=prog", headers=headers).json()
    assert forecast["completion"]["status"] == "not_enough_data"
    assert {s["skill_id"] for s in forecast["skills"]} == {"planning", "budgeting", "writing"}
    assert client.get("/v1/learners/ines/forecast", headers=headers).status_code == 422


def test_trends_over_enough_points(client: TestClient, tenant: TenantUnderTest) -> None:
    _with_catalog(client, tenant)
    sent = [
        make_event(
            learner="ines",
            timestamp=_ago(days=20 - i),
            activity={"id": "prog/c1/m1/ex1", "type": "exercise"},
            result={"score": round(0.3 + 0.03 * i, 3)},
        )
        for i in range(15)
    ]
    _record(client, tenant, *sent)
    trends = client.get("/v1/learners/ines/trends", headers=bearer(tenant.admin_key)).json()
    planning = next(t for t in trends["skills"] if t["skill_id"] == "planning")["trend"]
    assert planning["status"] == "ok" and planning["points"] == 15
    assert abs(planning["velocity_per_week"] - 0.21) < 0.01  # 0.03 a day


def test_unknown_learner_is_404_everywhere(client: TestClient, tenant: TenantUnderTest) -> None:
    _with_catalog(client, tenant)
    headers = bearer(tenant.admin_key)
    for path in (
        "programs/prog",
        "modules/prog/c1/m1",
        "skills",
        "trends",
        "patterns",
        "forecast?program=prog",
        "sessions",
    ):
        response = client.get(f"/v1/learners/nobody/{path}", headers=headers)
        assert response.status_code == 404, path


def test_forecast_scales_the_catalog_estimate_by_the_learners_own_pace(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _with_catalog(client, tenant)
    # 120 minutes of study over six days to finish the two 30-minute exercises: twice the
    # catalog's estimate, so the 40 minutes left should take 80 minutes of study.
    sent = [
        make_event(
            learner="ines",
            type="activity.completed" if day in (1, 2) else "exercise.attempted",
            timestamp=_ago(days=day),
            activity={"id": "prog/c1/m1/ex1" if day != 2 else "prog/c1/m1/ex2", "type": "exercise"},
            result={"duration_s": 20 * 60},
        )
        for day in range(1, 7)
    ]
    _record(client, tenant, *sent)
    body = client.get(
        "/v1/learners/ines/forecast?program=prog", headers=bearer(tenant.admin_key)
    ).json()
    completion = body["completion"]
    assert completion["status"] == "ok"
    assert completion["remaining_minutes"] == 40
    assert completion["pace_factor"] == 2.0
    per_day = 120 / 28
    today = datetime.fromisoformat(completion["horizon_date"]) - timedelta(days=5 * 365 + 1)
    expected = today + timedelta(days=-(-80 // per_day))
    assert completion["expected_date"] == expected.date().isoformat()
