"""Weekly leaderboards: consent gating, display handles, ties, groups and roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.learners.enrollments import cohort_of
from stride.privacy.pseudonym import learner_key
from stride.store.tables import learner_points, learners
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.fixtures.tenant import TenantUnderTest

WEEK = date(2026, 11, 16)  # a Monday
BOARD = f"/v1/leaderboards?week={WEEK.isoformat()}"


def _points(engine: Engine, tenant: TenantUnderTest, scores: dict[str, int]) -> None:
    """Rows of learner_points as the achievements fold would leave them."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for raw, points in scores.items():
            key = learner_key(tenant.scope.learner_secret, raw)
            connection.execute(
                learners.insert().values(
                    tenant_id=tenant.tenant_id, learner_key=key, created_at=now
                )
            )
            connection.execute(
                learner_points.insert().values(
                    tenant_id=tenant.tenant_id, learner_key=key, week=WEEK, points=points
                )
            )


def _opt_in(client: TestClient, tenant: TenantUnderTest, *raws: str, handles: bool = True) -> None:
    headers = bearer(tenant.admin_key)
    for raw in raws:
        consent = client.put(
            f"/v1/learners/{raw}/consent", json={"leaderboard": True}, headers=headers
        )
        assert consent.status_code == 200, consent.text
        if handles:
            put = client.put(
                f"/v1/learners/{raw}", json={"display_handle": f"H-{raw}"}, headers=headers
            )
            assert put.status_code == 200, put.text


def test_ties_share_a_rank_and_only_opt_ins_appear_by_handle(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    _points(engine, tenant, {"ana": 10, "ben": 8, "cleo": 8, "dan": 5, "eve": 50})
    _opt_in(client, tenant, "ana", "ben", "cleo", "dan")  # eve never opts in
    response = client.get(BOARD, headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(e["rank"], e["points"]) for e in body["entries"]] == [(1, 10), (2, 8), (2, 8), (4, 5)]
    assert {e["display_handle"] for e in body["entries"]} == {"H-ana", "H-ben", "H-cleo", "H-dan"}
    assert body["ranked_learners"] == 4 and body["withheld"] is False
    text = response.text
    assert "eve" not in text and learner_key(tenant.scope.learner_secret, "ana") not in text


def test_top_and_requested_learner_rank(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    _points(engine, tenant, {"ana": 10, "ben": 8, "cleo": 7})
    _opt_in(client, tenant, "ana", "ben", "cleo")
    body = client.get(f"{BOARD}&top=1&learner=cleo", headers=bearer(tenant.admin_key)).json()
    assert [e["points"] for e in body["entries"]] == [10]
    assert body["learner"] == {"on_board": True, "rank": 3, "points": 7, "note": None}


def test_learner_token_gets_its_own_rank_only(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    _points(engine, tenant, {"ana": 3, "ben": 9})
    _opt_in(client, tenant, "ana", "ben")
    issued = client.post(
        "/v1/learners/ana/tokens", json={"ttl_seconds": 600}, headers=bearer(tenant.admin_key)
    )
    token = bearer(issued.json()["token"])
    own = client.get(BOARD, headers=token).json()
    assert own["learner"]["rank"] == 2 and own["learner"]["points"] == 3
    assert client.get(f"{BOARD}&learner=ben", headers=token).status_code == 403


def test_learner_without_consent_sees_why(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    _points(engine, tenant, {"ana": 3, "ben": 9})
    _opt_in(client, tenant, "ben")
    body = client.get(f"{BOARD}&learner=ana", headers=bearer(tenant.admin_key)).json()
    assert body["learner"]["on_board"] is False and body["learner"]["rank"] is None
    assert "opted in" in body["learner"]["note"]
    assert [e["points"] for e in body["entries"]] == [9]


def test_no_handle_shows_anonymous_or_is_left_out(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    _points(engine, tenant, {"ana": 3})
    _opt_in(client, tenant, "ana", handles=False)
    headers = bearer(tenant.admin_key)
    board = client.get(BOARD, headers=headers).json()
    assert [e["display_handle"] for e in board["entries"]] == ["Anonymous learner"]
    catalog = {"name": "c", "activities": [], "leaderboards": {"show_anonymous": False}}
    assert client.put("/v1/catalog", json=catalog, headers=headers).status_code == 200
    assert client.get(BOARD, headers=headers).json()["entries"] == []


def test_disabled_in_catalog_is_404(client: TestClient, tenant: TenantUnderTest) -> None:
    headers = bearer(tenant.admin_key)
    catalog = {"name": "c", "activities": [], "leaderboards": {"enabled": False}}
    assert client.put("/v1/catalog", json=catalog, headers=headers).status_code == 200
    assert client.get(BOARD, headers=headers).status_code == 404


def test_program_board_below_min_group_size_is_withheld(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    headers = bearer(tenant.admin_key)
    raws = ["a1", "a2", "a3", "a4", "a5"]
    _points(engine, tenant, {raw: n for n, raw in enumerate(raws, start=1)})
    _opt_in(client, tenant, *raws)
    for raw in raws[:4]:
        enrolled = client.post(
            f"/v1/learners/{raw}/enrollments",
            json={
                "activity_id": "prog",
                "activity_type": "program",
                "enrolled_at": "2026-11-02T10:00:00Z",
            },
            headers=headers,
        )
        assert enrolled.status_code == 201, enrolled.text
    small = client.get(f"{BOARD}&program=prog&learner=a1", headers=headers).json()
    assert small["withheld"] is True and small["entries"] == [] and small["learner"] is None
    assert "fewer than 5" in small["note"]
    client.put("/v1/privacy/policy", json={"min_group_size": 3}, headers=headers)
    board = client.get(f"{BOARD}&program=prog", headers=headers).json()
    assert [e["points"] for e in board["entries"]] == [4, 3, 2, 1]
    cohort = cohort_of(datetime(2026, 11, 2, 10, tzinfo=UTC))
    by_cohort = client.get(f"{BOARD}&program=prog&cohort={cohort}", headers=headers).json()
    assert len(by_cohort["entries"]) == 4
    other = client.get(f"{BOARD}&program=prog&cohort=2020-W01", headers=headers).json()
    assert other["withheld"] is True


def test_roles(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    ingest = bearer(key_factory(tenant.tenant_id, Role.INGEST))
    assert client.get(BOARD, headers=analyst).status_code == 200
    assert client.get(f"{BOARD}&learner=ana", headers=analyst).status_code == 403
    assert client.get(BOARD, headers=ingest).status_code == 403


def test_display_handle_is_set_cleared_and_refuses_pii(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    headers = bearer(tenant.admin_key)
    set_ = client.put("/v1/learners/zoe", json={"display_handle": "  Zed  "}, headers=headers)
    assert set_.status_code == 200 and set_.json()["display_handle"] == "Zed"
    zone = client.put("/v1/learners/zoe", json={"timezone": "Asia/Tokyo"}, headers=headers)
    assert zone.json() == {**zone.json(), "timezone": "Asia/Tokyo", "display_handle": "Zed"}
    for bad in ["zoe@example.com", "+44 20 7946 0958", "zoe", "ZOE", "a\u200bb", " "]:
        refused = client.put("/v1/learners/zoe", json={"display_handle": bad}, headers=headers)
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["path"] == "display_handle"
    cleared = client.put("/v1/learners/zoe", json={"display_handle": None}, headers=headers)
    assert cleared.json()["display_handle"] is None
    assert client.put("/v1/learners/zoe", json={}, headers=headers).status_code == 422
