"""Learner and tenant reports through the API: figures, formats, access and bad parameters."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

# The report week: Monday 6 May 2024 to Sunday 12 May; the week before starts 29 April.
WEEK = "2024-05-06"
REPORT = "/v1/learners/ana/reports"


def _event(kind: str, when: str, activity: str, seconds: int, **extra: Any) -> dict[str, Any]:
    types = {"prog/c1/m1/ex1": "exercise", "prog/c1/m1/ex2": "exercise"}
    return make_event(
        learner="ana",
        type=kind,
        timestamp=f"{when}T09:00:00Z",
        activity={"id": activity, "type": types.get(activity, "lesson")},
        result={"duration_s": seconds, **extra},
    )


def _activity() -> list[dict[str, Any]]:
    goal = make_event(
        learner="ana",
        type="goal.set",
        timestamp="2024-04-29T08:00:00Z",
        properties={"goal_id": "g1", "kind": "weekly_minutes", "target": 30},
        activity=None,
        result=None,
    )
    lesson = "prog/c1/m2/l1"
    return [
        goal,
        # The week before: one failed attempt, 10 minutes.
        _event("exercise.attempted", "2024-05-01", "prog/c1/m1/ex1", 600, score=0.5, success=False),
        # The report week: 20 + 15 + 5 x 5 = 60 minutes on seven days in a row.
        _event(
            "exercise.attempted",
            "2024-05-06",
            "prog/c1/m1/ex1",
            1200,
            score=1.0,
            success=True,
            completion=True,
        ),
        _event("activity.completed", "2024-05-07", "prog/c1/m1/ex2", 900),
        *(_event("activity.progressed", f"2024-05-{d:02d}", lesson, 300) for d in range(8, 13)),
    ]


@pytest.fixture
def ana(client: TestClient, tenant: TenantUnderTest) -> dict[str, str]:
    headers = bearer(tenant.admin_key)
    assert client.put("/v1/catalog", json=small_catalog(), headers=headers).status_code == 200
    enrolled = client.post(
        "/v1/learners/ana/enrollments",
        json={"activity_id": "prog", "enrolled_at": "2024-04-29T00:00:00Z"},
        headers=headers,
    )
    assert enrolled.status_code == 201, enrolled.text
    sent = client.post("/v1/events", json=_activity(), headers=headers)
    assert sent.json()["accepted"] == len(_activity()), sent.text
    return headers


def _figures(document: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {f["key"]: (f["value"], f["previous"]) for f in document["summary"]}


def test_weekly_report_json_has_exact_figures(client: TestClient, ana: dict[str, str]) -> None:
    response = client.get(REPORT, params={"period": "week", "end": "2024-05-09"}, headers=ana)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["period"] == {
        "kind": "week",
        "start": WEEK,
        "end": "2024-05-12",
        "complete": True,
    }
    assert report["previous"]["start"] == "2024-04-29"
    figures = _figures(report)
    assert figures["minutes"] == (60, 10)
    assert figures["active_days"] == (7, 2)  # goal.set on 29 April is an event that day
    assert figures["current_streak"] == (7, 0)
    assert figures["activities_completed"] == (2, 0)
    assert figures["goals_met"] == (1, 0)
    earned = {a["name"] for a in report["achievements"]}
    assert {"First Perfect Score", "One Week Streak", "First Module Completed"} <= earned
    improved = {(c["kind"], c["id"]): c for c in report["improvements"]}
    assert improved[("module", "prog/c1/m1")]["before"] == 0.0
    assert improved[("module", "prog/c1/m1")]["after"] == 1.0
    assert ("skill", "planning") in improved
    assert report["programs"][0]["id"] == "prog" and report["programs"][0]["before"] == 0.0
    goals = {g["kind"]: g["target"] for g in report["suggested_goals"]}
    # Weeks of 15 Apr to 6 May: 0, 0, 10, 60 minutes; median 5, +10%, rounded up to 5, min 15.
    assert goals["weekly_minutes"] == 15
    assert len(report["days"]) == 90 and report["days"][-1]["day"] == "2024-05-12"
    assert {r["dimension_id"] for r in report["radar"]} == {"execution", "communication"}


def test_weekly_report_pdf_text_holds_the_figures(client: TestClient, ana: dict[str, str]) -> None:
    params = {"period": "week", "end": WEEK, "format": "pdf"}
    response = client.get(REPORT, params=params, headers=ana)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="learner-week-2024-05-06.pdf"' in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    program = client.get(REPORT, params={"end": WEEK}, headers=ana).json()["programs"][0]
    assert "Learning report: ana" in text
    assert "60 min" in text and "10 min" in text  # minutes, this week and the week before
    assert "Streak at period end" in text and "+500%" in text  # 60 against 10 minutes
    assert "First Perfect Score" in text
    assert "Module 1: 0% to 100%" in text
    assert f"Program: 0% to {program['after']:.0%}" in text or f"{program['after']:.0%}" in text
    assert len(reader.pages) >= 2  # the charts are drawn in


def test_html_and_csv_formats(client: TestClient, ana: dict[str, str]) -> None:
    html = client.get(REPORT, params={"end": WEEK, "format": "html"}, headers=ana)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "First Perfect Score" in html.text and "data:image/png;base64," in html.text
    assert "img-src data:" in html.headers["content-security-policy"]
    assert "script" not in html.headers["content-security-policy"]
    response = client.get(REPORT, params={"end": WEEK, "format": "csv"}, headers=ana)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["section", "metric", "value", "previous"]
    assert ["summary", "minutes", "60", "10"] in rows
    assert ["summary", "current_streak", "7", "0"] in rows
    assert ["achievement", "First Perfect Score", "10", ""] in rows


def test_monthly_report_names_a_missed_goal(client: TestClient, ana: dict[str, str]) -> None:
    report = client.get(REPORT, params={"period": "month", "end": "2024-05-31"}, headers=ana)
    assert report.status_code == 200, report.text
    document = report.json()
    assert document["period"]["start"] == "2024-05-01"
    assert _figures(document)["minutes"] == (70, 0)
    # Weeks ending on a Sunday of May: 29 April (10 of 30 minutes), 6 May (met), 13 and 20
    # May (none); the week of 27 May ends in June.
    missed = [c for c in document["challenges"] if c["kind"] == "missed_goal"]
    assert sorted((c["value"], c["target"]) for c in missed) == [(0, 30), (0, 30), (10, 30)]
    assert any("week of 2024-04-29: 10 reached" in c["text"] for c in missed)
    assert _figures(document)["goals_met"][0] == 1


def test_access_rules(
    client: TestClient, tenant: TenantUnderTest, ana: dict[str, str], key_factory: Any
) -> None:
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    assert client.get(REPORT, headers=analyst).status_code == 403
    instructor = bearer(key_factory(tenant.tenant_id, Role.INSTRUCTOR))
    assert client.get(REPORT, params={"end": WEEK}, headers=instructor).status_code == 200
    reads = [
        e
        for e in client.get("/v1/audit", headers=ana).json()["entries"]
        if e["action"] == "learner.read"
    ]
    assert [(e["role"], e["resource"]) for e in reads] == [
        ("instructor", "/v1/learners/{learner_id}/reports")
    ]
    token = client.post("/v1/learners/ana/tokens", headers=ana).json()["token"]
    own = client.get(REPORT, params={"end": WEEK}, headers=bearer(token))
    assert own.status_code == 200, own.text
    other = client.get("/v1/learners/ben/reports", headers=bearer(token))
    assert other.status_code == 403
    assert client.get("/v1/learners/nobody/reports", headers=ana).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"period": "year"},
        {"format": "docx"},
        {"end": "3000-01-01"},
        {"end": "1899-12-31"},
        {"end": "0001-01-01"},
        {"end": "not-a-day"},
        {"end": "99999-01-01"},
    ],
)
def test_bad_parameters_are_problems(
    client: TestClient, ana: dict[str, str], params: dict[str, str]
) -> None:
    for path in (REPORT, "/v1/reports/summary"):
        response = client.get(path, params=params, headers=ana)
        if path.endswith("summary") and params.get("format") == "csv":
            continue
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def _learner_week(client: TestClient, headers: dict[str, str], name: str, days: int) -> None:
    sent = [
        make_event(
            learner=name,
            type="activity.completed" if d == 0 else "activity.progressed",
            timestamp=f"2024-05-{6 + d:02d}T10:00:00Z",
            activity={"id": "prog/c1/m2/l1", "type": "lesson"},
            result={"duration_s": 600},
        )
        for d in range(days)
    ]
    assert client.post("/v1/events", json=sent, headers=headers).json()["accepted"] == days


def test_tenant_summary_json_and_pdf(client: TestClient, tenant: TenantUnderTest) -> None:
    admin = bearer(tenant.admin_key)
    assert client.put("/v1/privacy/policy", json={"min_group_size": 2}, headers=admin).is_success
    before = [
        make_event(learner=f"p{n}", timestamp="2024-04-30T10:00:00Z", result={"duration_s": 600})
        for n in range(2)
    ]
    assert client.post("/v1/events", json=before, headers=admin).json()["accepted"] == 2
    for n, days in enumerate((1, 2, 3)):
        _learner_week(client, admin, f"w{n}", days)
    params = {"period": "week", "end": WEEK}
    response = client.get("/v1/reports/summary", params=params, headers=admin)
    assert response.status_code == 200, response.text
    report = response.json()
    metrics = {m["key"]: m for m in report["metrics"]}
    assert (metrics["active_learners"]["value"], metrics["active_learners"]["previous"]) == (3, 2)
    assert metrics["active_learners"]["change"] == 0.5
    assert metrics["time_invested_minutes"]["value"] == 60
    assert (metrics["completions"]["value"], metrics["completions"]["previous"]) == (3, 0)
    assert metrics["new_learners"]["value"] == 3
    assert "Active learners rose 50% to 3" in report["highlights"]
    assert "Activity completions: 3, none the week before" in report["highlights"]
    pdf = client.get("/v1/reports/summary", params={**params, "format": "pdf"}, headers=admin)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Active learners rose 50% to 3" in text
    assert "60 min" in text and "+50%" in text
    html = client.get("/v1/reports/summary", params={**params, "format": "html"}, headers=admin)
    assert "Active learners rose 50% to 3" in html.text


def test_tenant_summary_needs_analytics_read(
    client: TestClient, tenant: TenantUnderTest, key_factory: Any
) -> None:
    ingest = bearer(key_factory(tenant.tenant_id, Role.INGEST))
    assert client.get("/v1/reports/summary", headers=ingest).status_code == 403
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    response = client.get("/v1/reports/summary", headers=analyst)
    assert response.status_code == 200, response.text
    assert response.json()["highlights"]
