"""GET /v1/analytics/{usage,metrics,funnels,funnels/drop-offs}: figures, roles, bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.privacy.pseudonym import learner_key
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

START = datetime(2024, 5, 6, 9, tzinfo=UTC)
STEPS = "steps=activity.started:c1&steps=activity.completed:c1"
RANGE = "from=2024-05-01&to=2024-05-31"


def _seed(engine: Engine, tenant: TenantUnderTest) -> None:
    c1 = {"id": "c1", "type": "course"}
    events = []
    for n, name in enumerate(["ana", "ben", "cleo", "dan", "eve", "fay"]):
        at = START + timedelta(hours=n)
        events.append(
            make_event(type="activity.started", learner=name, timestamp=at.isoformat(), activity=c1)
        )
        if n % 2 == 0:
            done = at + timedelta(days=1)
            events.append(
                make_event(
                    type="activity.completed", learner=name, timestamp=done.isoformat(), activity=c1
                )
            )
        events.append(
            make_event(
                type="custom.quiz",
                learner=name,
                timestamp=(at + timedelta(days=2)).isoformat(),
                activity=None,
                result={"score": 0.1 * (n + 1)},
                context={"platform": "web" if n < 5 else "ios"},
            )
        )
    limits = ValidationLimits(datetime(2024, 6, 1, tzinfo=UTC), timedelta(hours=24))
    ingest_events(engine, tenant.scope, events, limits, datetime(2024, 6, 1, tzinfo=UTC))


def test_usage_metrics_and_funnel_over_http(
    client: TestClient,
    engine: Engine,
    tenant: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
) -> None:
    _seed(engine, tenant)
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    usage = client.get(
        f"/v1/analytics/usage?period=month&{RANGE}&since=2024-05-01", headers=analyst
    )
    assert usage.status_code == 200, usage.text
    body = usage.json()
    by_type = {s["type"]: s for s in body["series"]}
    assert by_type["custom.quiz"]["points"][0] == {
        "start": "2024-05-01",
        "events": 6,
        "learners": 6,
    }
    # activity.completed: 3 learners, below the default k of 5.
    assert "activity.completed" not in by_type
    assert body["privacy"] == {
        "min_group_size": 5,
        "withheld_groups": 1,  # the series (adoption lists only the types shown)
        "note": body["privacy"]["note"],
    }
    assert {i["name"]: i["adopters"] for i in body["adoption"]["items"]} == {
        "activity.started": 6,
        "custom.quiz": 6,
    }

    metrics = client.get(
        f"/v1/analytics/metrics?type=custom.quiz&field=result.score&period=month&{RANGE}"
        "&breakdown=platform",
        headers=analyst,
    )
    assert metrics.status_code == 200, metrics.text
    [web] = metrics.json()["groups"]  # ios has one learner: withheld
    assert web["value"] == "web"
    assert web["points"][0]["count"] == 5
    assert web["points"][0]["sum"] == pytest.approx(1.5)
    assert metrics.json()["privacy"]["withheld_groups"] == 1

    funnel = client.get(f"/v1/analytics/funnels?{STEPS}", headers=analyst)
    assert funnel.status_code == 200, funnel.text
    steps = funnel.json()["steps"]
    assert [s["learners"] for s in steps] == [6, 3]
    assert steps[1]["median_seconds_from_previous"] == 86400

    admin = bearer(tenant.admin_key)
    drops = client.get(f"/v1/analytics/funnels/drop-offs?{STEPS}&step=1&limit=2", headers=admin)
    assert drops.status_code == 200, drops.text
    expected = sorted(learner_key(tenant.scope.learner_secret, n) for n in ("ben", "dan", "fay"))
    assert drops.json()["total"] == 3
    assert [d["learner_key"] for d in drops.json()["learners"]] == expected[:2]
    rest = client.get(
        f"/v1/analytics/funnels/drop-offs?{STEPS}&step=1&limit=2&offset=2", headers=admin
    )
    assert [d["learner_key"] for d in rest.json()["learners"]] == expected[2:]


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/v1/analytics/usage", Role.ANALYST, 200),
        ("/v1/analytics/usage", Role.INGEST, 403),
        ("/v1/analytics/metrics?type=custom.quiz", Role.INSTRUCTOR, 200),
        ("/v1/analytics/metrics?type=custom.quiz", Role.INGEST, 403),
        (f"/v1/analytics/funnels?{STEPS}", Role.ANALYST, 200),
        (f"/v1/analytics/funnels?{STEPS}", Role.INGEST, 403),
        (f"/v1/analytics/funnels/drop-offs?{STEPS}&step=1", Role.ANALYST, 403),
        (f"/v1/analytics/funnels/drop-offs?{STEPS}&step=1", Role.INSTRUCTOR, 200),
    ],
)
def test_roles(
    client: TestClient,
    tenant: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
    path: str,
    role: Role,
    status: int,
) -> None:
    response = client.get(path, headers=bearer(key_factory(tenant.tenant_id, role)))
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("usage?period=year", "period"),
        ("usage?from=2024-05-02&to=2024-05-01", "from"),
        ("usage?period=day&from=2000-01-01&to=2024-01-01", "from"),
        ("usage?feature=custom", "feature"),
        ("metrics", "type"),
        ("metrics?type=quiz", "type"),
        ("metrics?type=custom.quiz&field=result.response", "field"),
        ("metrics?type=custom.quiz&breakdown=learner", "breakdown"),
        ("funnels?steps=activity.started", "steps"),
        ("funnels?steps=activity.started&steps=nope:c1", "steps[1]"),
        (f"funnels?{STEPS}&window_days=0", "window_days"),
        (f"funnels?{STEPS}&order=loose", "order"),
        (f"funnels/drop-offs?{STEPS}&step=2", "step"),
        (f"funnels/drop-offs?{STEPS}", "step"),
        (f"funnels/drop-offs?{STEPS}&step=1&limit=0", "limit"),
    ],
)
def test_bad_parameters_name_the_field(
    client: TestClient, tenant: TenantUnderTest, query: str, field: str
) -> None:
    response = client.get(f"/v1/analytics/{query}", headers=bearer(tenant.admin_key))
    assert response.status_code == 422, response.text
    assert f"query.{field}" in [e["path"] for e in response.json()["errors"]], response.json()
