"""GET /v1/analytics/retention and /lifecycle with `program=`: a program's own cohorts and
lifecycle, figures worked out by hand for two programs whose learners behave differently."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stride.analytics.periods import period_start, shift
from stride.clock import utc_now
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

P1, P2 = "prog", "p2"
ITEMS = {P1: "prog/c1/m1/ex1", P2: "p2/c/m/ex"}
# learner -> [(week, program)]: active on the Tuesday of week 0..3 in that program.
PLAN: dict[str, list[tuple[int, str]]] = {
    "A": [(0, P1), (1, P1), (2, P1), (3, P1)],
    "B": [(0, P1), (2, P1)],
    "C": [(0, P1)],
    "D": [(1, P1), (2, P1)],
    "H": [(0, P2), (1, P1), (3, P1)],  # in P2 first, then P1: P1's cohort is week 1
    "E": [(0, P2), (1, P2)],
    "F": [(0, P2), (1, P2)],
    "G": [(0, P2), (3, P2)],
}
RETENTION = "/v1/analytics/retention"
LIFECYCLE = "/v1/analytics/lifecycle"


def _week(n: int) -> Any:
    """The Monday of week n, week 0 being eight weeks before the current one (all complete)."""
    return shift(period_start(utc_now().date(), "week"), "week", n - 8)


def _catalog() -> dict[str, Any]:
    catalog = small_catalog()
    catalog["activities"] += [
        {"id": P2, "type": "program", "title": "Program 2"},
        {"id": "p2/c", "type": "course", "parent": P2, "title": "Course 2"},
        {"id": "p2/c/m", "type": "module", "parent": "p2/c", "title": "Module"},
        {"id": "p2/c/m/ex", "type": "exercise", "parent": "p2/c/m", "title": "Exercise"},
    ]
    return catalog


def _populate(
    client: TestClient, tenant: TenantUnderTest, only: str | None = None, minimum: int = 2
) -> dict[str, str]:
    """The plan's events (every one in program `only` when given); returns admin headers."""
    admin = bearer(tenant.admin_key)
    assert client.put("/v1/catalog", json=_catalog(), headers=admin).status_code == 200
    policy = client.put("/v1/privacy/policy", json={"min_group_size": minimum}, headers=admin)
    assert policy.status_code == 200, policy.text
    events = [
        make_event(
            learner=learner,
            timestamp=f"{_week(week) + timedelta(days=1)}T10:00:00Z",
            activity={"id": ITEMS[only or program], "type": "exercise"},
        )
        for learner, weeks in PLAN.items()
        for week, program in weeks
    ]
    sent = client.post("/v1/events", json=events, headers=admin)
    assert sent.status_code == 200 and sent.json()["accepted"] == len(events), sent.text
    return admin


def _get(client: TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    span = {"period": "week", "from": str(_week(0)), "to": str(_week(3) + timedelta(days=6))}
    response = client.get(path, params={**span, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _cohorts(body: dict[str, Any]) -> list[tuple[int, int, list[int | None]]]:
    """(week number, size, learners in periods 0-3) per shown cohort."""
    weeks = {str(_week(n)): n for n in range(4)}
    return [
        (weeks[c["cohort_start"]], c["size"], [cell["learners"] for cell in c["cells"][:4]])
        for c in body["cohorts"]
    ]


@pytest.mark.parametrize(
    ("program", "entry", "mode", "expected", "withheld"),
    [
        # P1 first periods: week 0 A, B, C; week 1 D and H (H was in P2 before).
        (P1, "first", "on", [(0, 3, [3, 1, 2, 1]), (1, 2, [2, 1, 1, 0])], 2),
        (P1, "first", "on_or_after", [(0, 3, [3, 2, 2, 1]), (1, 2, [2, 2, 1, 0])], 2),
        # Recurring: every week a learner was active in P1 (week 1: A, D, H).
        (
            P1,
            "recurring",
            "on",
            [
                (0, 3, [3, 1, 2, 1]),
                (1, 3, [3, 2, 2, 0]),
                (2, 3, [3, 1, 0, 0]),
                (3, 2, [2, 0, 0, 0]),
            ],
            0,
        ),
        (
            P1,
            "recurring",
            "on_or_after",
            [
                (0, 3, [3, 2, 2, 1]),
                (1, 3, [3, 3, 2, 0]),
                (2, 3, [3, 1, 0, 0]),
                (3, 2, [2, 0, 0, 0]),
            ],
            0,
        ),
        # P2: E, F, G, H start in week 0; H never comes back to P2 (her week 1 is P1's).
        (P2, "first", "on", [(0, 4, [4, 2, 0, 1])], 3),
        (P2, "first", "on_or_after", [(0, 4, [4, 3, 1, 1])], 3),
    ],
)
def test_a_programs_retention_counts_its_own_learners(
    client: TestClient,
    tenant: TenantUnderTest,
    program: str,
    entry: str,
    mode: str,
    expected: list[tuple[int, int, list[int]]],
    withheld: int,
) -> None:
    admin = _populate(client, tenant)
    body = _get(client, admin, RETENTION, program=program, entry=entry, **{"return": mode})
    assert body["program"] == program and body["min_group_size"] == 2
    assert _cohorts(body) == expected
    assert body["withheld_cohorts"] == withheld
    everyone = _get(client, admin, RETENTION, entry=entry, **{"return": mode})
    assert everyone["program"] is None and _cohorts(everyone) != expected


def test_program_cohorts_are_withheld_and_averaged_like_the_tenants(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    admin = _populate(client, tenant)
    body = _get(client, admin, RETENTION, program=P1)
    # Sizes 3 and 2: period 1 (1 + 1) / 5, period 2 (2 + 1) / 5, period 3 (1 + 0) / 5.
    shares = [m["share"] for m in body["mean"][:4]]
    assert shares == pytest.approx([1.0, 0.4, 0.6, 0.2])
    assert [m["cohorts"] for m in body["mean"][:4]] == [2, 2, 2, 2]
    policy = client.put("/v1/privacy/policy", json={"min_group_size": 3}, headers=admin)
    assert policy.status_code == 200, policy.text
    body = _get(client, admin, RETENTION, program=P1)
    assert _cohorts(body) == [(0, 3, [3, 1, 2, 1])]  # week 1's two learners are withheld
    assert body["withheld_cohorts"] == 3 and "fewer than 3" in body["note"]
    assert body["mean"][1]["share"] == pytest.approx(1 / 3)


def test_a_programs_lifecycle_and_its_withholding(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    admin = _populate(client, tenant, minimum=5)

    def figures(body: dict[str, Any]) -> list[tuple[int, ...]]:
        keys = ("active", "new", "returning", "resurrecting", "dormant")
        return [tuple(p[k] for k in keys) for p in body["series"]]

    p1 = _get(client, admin, LIFECYCLE, program=P1)
    assert p1["program"] == P1 and p1["withheld_groups"] == 0 and p1["note"] is None
    assert figures(p1) == [(3, 3, 0, 0, 0), (3, 2, 1, 0, 2), (3, 0, 2, 1, 1), (2, 0, 1, 1, 2)]
    # P2 had 4 learners (its engagement group's size): below 5, withheld as in the breakdown.
    p2 = _get(client, admin, LIFECYCLE, program=P2)
    assert p2["series"] == [] and p2["withheld_groups"] == 1 and "fewer than 5" in p2["note"]
    breakdown = _get(client, admin, "/v1/analytics/engagement", breakdown="program")
    assert [g["value"] for g in breakdown["groups"]] == [P1]
    assert breakdown["groups"][0]["learners"] == 5 and breakdown["withheld_groups"] == 1
    everyone = _get(client, admin, LIFECYCLE)
    assert everyone["withheld_groups"] == 0 and figures(everyone)[0] == (7, 7, 0, 0, 0)
    client.put("/v1/privacy/policy", json={"min_group_size": 2}, headers=admin)
    p2 = _get(client, admin, LIFECYCLE, program=P2)
    assert figures(p2) == [(4, 4, 0, 0, 0), (2, 0, 2, 0, 2), (0, 0, 0, 0, 2), (1, 0, 0, 1, 0)]


def test_an_unknown_program_is_empty_like_a_withheld_one(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    admin = _populate(client, tenant)
    retention = _get(client, admin, RETENTION, program="nope")
    assert retention["cohorts"] == [] and retention["withheld_cohorts"] == 4
    assert all(m["share"] is None and m["cohorts"] == 0 for m in retention["mean"])
    lifecycle = _get(client, admin, LIFECYCLE, program="nope")
    assert lifecycle["series"] == [] and lifecycle["withheld_groups"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"entry": "first", "return": "on"},
        {"entry": "first", "return": "on_or_after"},
        {"entry": "recurring", "return": "on"},
        {"entry": "recurring", "return": "on_or_after"},
    ],
)
def test_a_program_holding_everything_equals_the_tenant_report(
    client: TestClient, tenant: TenantUnderTest, params: dict[str, str]
) -> None:
    admin = _populate(client, tenant, only=P1)
    everyone = _get(client, admin, RETENTION, **params)
    ours = _get(client, admin, RETENTION, program=P1, **params)
    assert ours.pop("program") == P1 and everyone.pop("program") is None
    assert ours == everyone and ours["cohorts"] and ours["withheld_cohorts"] < 4
    everyone = _get(client, admin, LIFECYCLE)
    ours = _get(client, admin, LIFECYCLE, program=P1)
    assert ours.pop("program") == P1 and everyone.pop("program") is None
    assert ours == everyone and ours["series"][0]["active"] == 7  # all but D


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (RETENTION, {"program": P1, "start_event": "activity.completed"}, "query.start_event"),
        (RETENTION, {"program": P1, "return_event": "activity.started"}, "query.return_event"),
        (RETENTION, {"program": "a\x00b"}, "query.program"),
        (LIFECYCLE, {"program": "a\x00b"}, "query.program"),
        (LIFECYCLE, {"program": ""}, "query.program"),
        (RETENTION, {"program": "p" * 257}, "query.program"),
    ],
)
def test_bad_program_requests_are_422(
    client: TestClient, tenant: TenantUnderTest, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(path, params=params, headers=bearer(tenant.admin_key))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["path"] for e in response.json()["errors"]]
