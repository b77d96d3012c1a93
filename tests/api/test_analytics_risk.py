"""At-risk learners, the dropout-risk model and recommendations over the API."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.analytics.risk_features import FEATURE_NAMES
from stride.analytics.risk_model import RiskModel
from stride.catalog.service import apply_catalog
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store.analytics_risk import StoredRiskModel, save_risk_model
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)
ITEMS = {
    "prog/c1/m1/ex1": "exercise",
    "prog/c1/m1/ex2": "exercise",
    "prog/c1/m2/l1": "lesson",
    "prog/c1/m2/quiz": "assessment",
}
PROGRAM = {"id": "prog", "type": "program"}


def _at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago, hours=1)).isoformat()


def _active(learner: str, days_ago: float, item: str = "prog/c1/m1/ex1") -> dict[str, Any]:
    return make_event(
        learner=learner,
        type="activity.started",
        timestamp=_at(days_ago),
        activity={"id": item, "type": ITEMS[item]},
        result=None,
    )


def _completed(learner: str, days_ago: float, item: str) -> dict[str, Any]:
    return make_event(
        learner=learner,
        type="activity.completed",
        timestamp=_at(days_ago),
        activity={"id": item, "type": ITEMS[item]},
        result=None,
    )


def _enrolled(learner: str, days_ago: float, target_days_ago: int | None = None) -> dict[str, Any]:
    target = None
    if target_days_ago is not None:
        target = {"target_date": (NOW - timedelta(days=target_days_ago)).date().isoformat()}
    return make_event(
        learner=learner,
        type="enrollment.created",
        timestamp=_at(days_ago),
        activity=PROGRAM,
        result=None,
        properties=target,
    )


def _cancelled(learner: str, days_ago: float) -> dict[str, Any]:
    return make_event(
        learner=learner,
        type="enrollment.cancelled",
        timestamp=_at(days_ago),
        activity=PROGRAM,
        result=None,
    )


def _record(engine: Engine, tenant: TenantUnderTest, events: Iterable[dict[str, Any]]) -> None:
    batch = list(events)
    limits = ValidationLimits(datetime.now(UTC), timedelta(hours=1))
    for start in range(0, len(batch), 500):
        report = ingest_events(engine, tenant.scope, batch[start : start + 500], limits, NOW)
        rejected = [o for o in report.outcomes if o.status is EventStatus.REJECTED]
        assert not rejected, rejected


def _catalog(engine: Engine, tenant: TenantUnderTest) -> None:
    apply_catalog(engine, tenant.tenant_id, small_catalog(), NOW)


def _key(tenant: TenantUnderTest, learner: str) -> str:
    return learner_key(tenant.scope.learner_secret, learner)


def _rules_tenant(client: TestClient, engine: Engine, tenant: TenantUnderTest) -> None:
    _catalog(engine, tenant)
    events = [
        # ana: enrolled, three active days, idle for 10 days: flagged.
        _enrolled("ana", 30),
        *(_active("ana", d) for d in (12, 11, 10)),
        # bo: a first visit only (enrolled that day; any event makes a day active).
        _enrolled("bo", 20),
        _active("bo", 20),
        # cy: active two days ago.
        _enrolled("cy", 30),
        _active("cy", 3),
        _active("cy", 2),
        # dee: completed the program, then stopped.
        _enrolled("dee", 30),
        _active("dee", 21),
        *(_completed("dee", 20, item) for item in ITEMS),
        # eve: cancelled her enrollment.
        _enrolled("eve", 30),
        _active("eve", 16),
        _active("eve", 15),
        _cancelled("eve", 15),
        # fay: idle but never enrolled.
        _active("fay", 16),
        _active("fay", 15),
        # gus: idle 8 days and far behind a target date that has passed.
        _enrolled("gus", 40, target_days_ago=5),
        _active("gus", 9),
        _completed("gus", 8, "prog/c1/m1/ex1"),
    ]
    _record(engine, tenant, events)


def test_the_rules_list_idle_enrolled_learners_with_reasons(
    client: TestClient, engine: Engine, tenant: TenantUnderTest
) -> None:
    _rules_tenant(client, engine, tenant)
    headers = bearer(tenant.admin_key)
    response = client.get("/v1/analytics/at-risk", headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 2, page
    assert page["model"] == {"status": "none", "auc": None, "fitted_at": None}
    listed = [(a["learner_key"], [r["code"] for r in a["reasons"]]) for a in page["learners"]]
    assert listed == [
        (_key(tenant, "ana"), ["inactive"]),
        (_key(tenant, "gus"), ["inactive", "behind_plan"]),
    ]
    ana, gus = page["learners"]
    last = (NOW - timedelta(days=10, hours=1)).date().isoformat()
    assert ana["reasons"][0]["detail"] == (
        f"No activity for 10 days (last on {last}); the limit is 7."
    )
    # Four active days: the enrollment day counts, as any event does.
    assert (ana["days_inactive"], ana["active_days"], ana["score"]) == (10, 4, None)
    assert gus["reasons"][1]["detail"] == "12% done where the plan to the target date expects 100%."

    longer = client.get("/v1/analytics/at-risk?inactive_days=9", headers=headers).json()
    assert [a["learner_key"] for a in longer["learners"]] == [_key(tenant, "ana")]
    paged = client.get("/v1/analytics/at-risk?limit=1&offset=1", headers=headers).json()
    assert [a["learner_key"] for a in paged["learners"]] == [_key(tenant, "gus")]
    assert paged["total"] == 2
    other = client.get("/v1/analytics/at-risk?program=other", headers=headers).json()
    assert other["learners"] == []


def test_learners_without_personalization_consent_are_withheld(
    client: TestClient, engine: Engine, tenant: TenantUnderTest
) -> None:
    _rules_tenant(client, engine, tenant)
    headers = bearer(tenant.admin_key)
    refused = client.put(
        "/v1/learners/ana/consent", json={"personalization": False}, headers=headers
    )
    assert refused.status_code == 200, refused.text
    page = client.get("/v1/analytics/at-risk", headers=headers).json()
    assert [a["learner_key"] for a in page["learners"]] == [_key(tenant, "gus")]
    assert page["withheld"] == 1


@pytest.mark.parametrize(
    "query",
    ["inactive_days=0", "inactive_days=x", "limit=0", "offset=-1", "min_score=2", "program="],
)
def test_bad_query_parameters_are_422(
    client: TestClient, tenant: TenantUnderTest, query: str
) -> None:
    response = client.get(f"/v1/analytics/at-risk?{query}", headers=bearer(tenant.admin_key))
    assert response.status_code == 422, response.text


def test_learner_lists_are_for_staff_and_fitting_for_admins(
    client: TestClient,
    engine: Engine,
    tenant: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
) -> None:
    _rules_tenant(client, engine, tenant)
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    instructor = bearer(key_factory(tenant.tenant_id, Role.INSTRUCTOR))
    assert client.get("/v1/analytics/at-risk", headers=analyst).status_code == 403
    assert client.get("/v1/analytics/recommendations/ana", headers=analyst).status_code == 403
    assert client.get("/v1/analytics/at-risk", headers=instructor).status_code == 200
    assert client.get("/v1/analytics/recommendations/ana", headers=instructor).status_code == 200
    assert client.post("/v1/analytics/at-risk/fit", headers=instructor).status_code == 403
    # Too few known outcomes to fit anything: nothing fitted, nothing stored.
    response = client.post("/v1/analytics/at-risk/fit", headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "insufficient_data"
    assert response.json()["detail"].startswith("Too few known outcomes")
    page = client.get("/v1/analytics/at-risk", headers=instructor).json()
    assert page["model"]["status"] == "none"


def outcomes_tenant(engine: Engine, tenant: TenantUnderTest, *, informative: bool) -> None:
    """20 learners who completed the program and 20 who cancelled, enrolled 100 days ago.
    Informative: completers study every other day, drop-outs three days then stop. Not: all
    study the same ten days, and only what happens after day 56 tells them apart."""
    _catalog(engine, tenant)
    events: list[dict[str, Any]] = []
    for n in range(20):
        done, gone = f"done-{n}", f"gone-{n}"
        events += [_enrolled(done, 100), _enrolled(gone, 100)]
        if informative:
            events += [_active(done, 100 - d) for d in range(0, 60, 2)]
            events += [_active(gone, 100 - d) for d in range(3)]
            events.append(_cancelled(gone, 80))
        else:
            events += [_active(who, 100 - d) for who in (done, gone) for d in range(10)]
            events.append(_cancelled(gone, 40))
        events += [_completed(done, 40, item) for item in ITEMS]
    # Still open: enrolled ten days ago, active three days, idle for seven.
    events += [_enrolled("hal", 10), *(_active("hal", d) for d in (9, 8, 7))]
    _record(engine, tenant, events)


def test_an_informative_model_is_accepted_and_scores_the_list(
    client: TestClient, engine: Engine, tenant: TenantUnderTest
) -> None:
    outcomes_tenant(engine, tenant, informative=True)
    headers = bearer(tenant.admin_key)
    fit = client.post("/v1/analytics/at-risk/fit", headers=headers)
    assert fit.status_code == 200, fit.text
    body = fit.json()
    assert body["status"] == "accepted" and body["auc"] >= 0.9
    assert body["learners"] == 40 and len(body["reliability"]) == 10
    page = client.get("/v1/analytics/at-risk", headers=headers).json()
    assert page["model"]["status"] == "accepted"
    (hal,) = page["learners"]
    assert hal["learner_key"] == _key(tenant, "hal")
    assert hal["score"] > 0.5
    assert hal["contributions"] and all(c["log_odds"] > 0 for c in hal["contributions"])
    scored = client.get("/v1/analytics/at-risk?inactive_days=30&min_score=0.5", headers=headers)
    assert [r["code"] for r in scored.json()["learners"][0]["reasons"]] == ["dropout_risk"]


def test_a_model_below_the_floor_is_rejected_and_the_rules_stay(
    client: TestClient, engine: Engine, tenant: TenantUnderTest
) -> None:
    outcomes_tenant(engine, tenant, informative=False)
    headers = bearer(tenant.admin_key)
    fit = client.post("/v1/analytics/at-risk/fit", json={"floor": 0.7}, headers=headers)
    assert fit.status_code == 200, fit.text
    assert fit.json()["status"] == "rejected" and fit.json()["auc"] < 0.7
    page = client.get("/v1/analytics/at-risk?min_score=0", headers=headers).json()
    assert page["model"]["status"] == "rejected"
    assert [(a["learner_key"], a["score"]) for a in page["learners"]] == [
        (_key(tenant, "hal"), None)
    ]
    bad = client.post("/v1/analytics/at-risk/fit", json={"floor": 0.2}, headers=headers)
    assert bad.status_code == 422


def test_recommendations_with_their_reasons(
    client: TestClient, engine: Engine, tenant: TenantUnderTest, key_factory: Any
) -> None:
    _catalog(engine, tenant)
    attempts = [
        make_event(
            learner="ines",
            type="exercise.attempted",
            timestamp=_at(d),
            activity={"id": "prog/c1/m1/ex1", "type": "exercise"},
            result={"success": False, "score": 0.2, "duration_s": 60},
        )
        for d in (0, 1, 2, 8, 9)
    ]
    _record(engine, tenant, [_enrolled("ines", 20), *attempts])
    response = client.get("/v1/analytics/recommendations/ines", headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["learner_key"] == _key(tenant, "ines")
    kinds = [(r["kind"], r["activity_id"], r["skill_id"]) for r in body["recommendations"]]
    assert kinds == [
        ("keep_pace", None, None),
        ("practice_skill", "prog/c1/m1/ex1", "planning"),
        ("next_module", "prog/c1/m1", None),
    ]
    assert all(r["reason"] for r in body["recommendations"])
    unknown = client.get("/v1/analytics/recommendations/nobody", headers=bearer(tenant.admin_key))
    assert unknown.status_code == 404
    # The learner's own token reads them too, and only theirs.
    token = client.post("/v1/learners/ines/tokens", headers=bearer(tenant.admin_key)).json()
    own = client.get("/v1/analytics/recommendations/ines", headers=bearer(token["token"]))
    assert own.status_code == 200 and own.json() == body
    other = client.get("/v1/analytics/recommendations/ana", headers=bearer(token["token"]))
    assert other.status_code == 403
    assert client.get("/v1/analytics/at-risk", headers=bearer(token["token"])).status_code == 403


def store_risk_model(engine: Engine, tenant_id: str, marker: str) -> None:
    """An accepted model (all weights zero) whose evaluation carries `marker`: the tenant
    isolation sweep looks for it in other tenants' answers."""
    names = list(FEATURE_NAMES)
    stored = StoredRiskModel(
        status="accepted",
        fitted_at=NOW,
        auc=0.8,
        brier=0.2,
        floor=0.7,
        examples=10,
        learners=10,
        positives=5,
        model=RiskModel(
            tuple(names), (0.0,) * len(names), (1.0,) * len(names), (0.0,) * len(names), 0.0
        ).to_document(),
        evaluation={"note": marker, "bins": []},
    )
    with engine.begin() as connection:
        save_risk_model(connection, tenant_id, stored)
