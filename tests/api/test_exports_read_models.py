"""GET /v1/exports/{dataset} for the learner-level read models: learners, days, points, goals
and certificates, against the learner APIs that show the same rows (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stride.privacy.pseudonym import learner_key
from tests.api.helpers import bearer
from tests.api.test_exports import _from_csv, _from_parquet, _get, _jsonl
from tests.catalogs import small_catalog
from tests.factories import at, make_event
from tests.fixtures.tenant import TenantUnderTest

READ_MODELS = ("learners", "days", "points", "goals", "certificates")
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
START_OF_TODAY = datetime.combine(TODAY, time(), UTC)
CERTIFICATION = {
    "program": "prog",
    "name": "Project Basics",
    "required_modules": [{"module": "prog/c1/m1", "min_score": 0.8}],
    "min_mastery": {"planning": 0.5},
    "min_hours": 0.2,
    "valid_for_days": 30,
}
EX1 = {"id": "prog/c1/m1/ex1", "type": "exercise"}
EX2 = {"id": "prog/c1/m1/ex2", "type": "exercise"}


def _goal(learner: str, when: str, event: str = "goal.set", **properties: Any) -> dict[str, Any]:
    return make_event(
        learner=learner, type=event, timestamp=when, activity=None, result=None,
        properties=properties,
    )  # fmt: skip


def _certified(learner: str) -> list[dict[str, Any]]:
    """Today's attempts that make a learner eligible for the certification."""
    return [
        make_event(
            learner=learner,
            # Today's, also in the first hour of the day.
            timestamp=max(
                NOW - timedelta(minutes=60 - i), START_OF_TODAY + timedelta(seconds=i)
            ).isoformat(),
            activity=item,
            result={"success": True, "score": 0.9, "completion": True, "duration_s": 300},
        )
        for i, item in enumerate((EX1, EX1, EX1, EX2))
    ]


def _events() -> list[dict[str, Any]]:
    return [
        # ana: two days in a row in May 2024 (a streak of 2), sessions, and two goals.
        make_event(learner="ana", timestamp=at(0), activity=EX1, session="s-1"),
        make_event(learner="ana", timestamp=at(0, hours=1), activity=EX2, session="s-1"),
        make_event(
            learner="ana",
            type="activity.completed",
            timestamp=at(1),
            activity=EX1,
            result={"score": 1, "success": True, "duration_s": 90},
        ),
        _goal("ana", at(0), goal_id="mins", kind="weekly_minutes", target=30),
        _goal("ana", at(2), goal_id="mins", kind="weekly_minutes", target=45),
        _goal(
            "ana", at(1), goal_id="m1", kind="module_by_date", module="prog/c1/m1", due="2024-06-01"
        ),
        # ben: one day, a week later, outside the program; a goal he cancelled.
        make_event(learner="ben", timestamp=at(7), activity={"id": "x/ex9", "type": "exercise"}),
        _goal("ben", at(7), goal_id="sess", kind="sessions_per_week", target=3),
        _goal("ben", at(8), "goal.cancelled", goal_id="sess"),
        # ines and jo: certified today (jo's certificate is then revoked).
        *_certified("ines"),
        *_certified("jo"),
    ]


@pytest.fixture
def recorded(client: TestClient, tenant: TenantUnderTest) -> TenantUnderTest:
    headers = bearer(tenant.admin_key)
    catalog = {**small_catalog(), "certifications": [CERTIFICATION]}
    assert client.put("/v1/catalog", json=catalog, headers=headers).status_code == 200
    response = client.post("/v1/events", json=_events(), headers=headers)
    assert response.json()["accepted"] == len(_events()), response.text
    for learner in ("ines", "jo"):
        issued = client.post(f"/v1/learners/{learner}/certifications/prog", headers=headers)
        assert issued.status_code == 201, issued.text
    revoked = client.post(
        f"/v1/credentials/{issued.json()['credential_id']}/revoke",
        json={"reason": 'Issued in error, "twice"'},
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.text
    return tenant


def _key(tenant: TenantUnderTest, learner: str) -> str:
    return learner_key(tenant.scope.learner_secret, learner)


def _api(client: TestClient, tenant: TenantUnderTest, path: str, **query: Any) -> Any:
    response = client.get(path, params=query, headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    return response.json()


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _mine(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["learner_key"] == key]


@pytest.mark.parametrize("dataset", READ_MODELS)
def test_csv_and_parquet_round_trip_to_the_json_lines(
    client: TestClient, recorded: TenantUnderTest, dataset: str
) -> None:
    key = recorded.admin_key
    rows = _jsonl(client, key, dataset)
    assert rows, f"the fixture leaves {dataset} empty"
    as_csv = _get(client, key, dataset, format="csv")
    as_parquet = _get(client, key, dataset, format="parquet")
    assert as_csv.status_code == as_parquet.status_code == 200
    assert as_parquet.headers["content-disposition"] == f'attachment; filename="{dataset}.parquet"'
    assert _from_csv(dataset, as_csv.content) == rows
    assert _from_parquet(dataset, as_parquet.content) == rows


def test_learners_rows_are_the_progress_summaries(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    rows = _jsonl(client, recorded.admin_key, "learners")
    keys = [row["learner_key"] for row in rows]
    assert keys == sorted(keys) and set(keys) == {
        _key(recorded, name) for name in ("ana", "ben", "ines", "jo")
    }
    for name in ("ana", "ben", "ines"):
        (row,) = _mine(rows, _key(recorded, name))
        api = _api(client, recorded, f"/v1/learners/{name}/progress")
        for field in ("events", "active_days", "longest_streak", "activities_completed"):
            assert row[field] == api[field], (name, field)
        assert row["activities_in_progress"] == api["activities_in_progress"]
        assert row["total_active_ms"] == round(api["total_time_s"] * 1000)
        assert _moment(row["first_seen"]) == _moment(api["first_seen"])
        assert _moment(row["last_active"]) == _moment(api["last_active"])
        if date.fromisoformat(row["last_active_day"]) >= TODAY - timedelta(days=1):
            assert row["last_streak"] == api["current_streak"]  # still alive
        else:
            assert api["current_streak"] == 0
    ana = _mine(rows, _key(recorded, "ana"))[0]
    assert (ana["longest_streak"], ana["last_streak"], ana["last_active_day"]) == (
        3,
        3,
        "2024-05-03",
    )


def test_days_rows_are_the_timeline_days_with_activity(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    rows = _jsonl(client, recorded.admin_key, "days")
    for name, start, end in (
        ("ana", "2024-05-01", "2024-05-31"),
        ("ben", "2024-05-01", "2024-05-31"),
        ("ines", (TODAY - timedelta(days=3)).isoformat(), TODAY.isoformat()),
    ):
        timeline = _api(
            client, recorded, f"/v1/learners/{name}/timeline", **{"from": start, "to": end}
        )
        shown = [
            (d["day"], d["events"], d["active_s"], d["sessions"])
            for d in timeline["days"]
            if d["events"]
        ]
        exported = [
            (r["day"], r["events"], r["active_ms"] / 1000, r["sessions"])
            for r in _mine(rows, _key(recorded, name))
        ]
        assert exported == shown and exported, name
    first = _mine(rows, _key(recorded, "ana"))[0]
    # Day one: two timed events of 60 s each in one session (goal.set counts as an event).
    assert (first["day"], first["sessions"], first["activity_ms"]) == ("2024-05-01", 1, 120_000)
    assert first["active_ms"] == max(first["activity_ms"], first["session_ms"])


def test_points_rows_are_the_weekly_points(client: TestClient, recorded: TenantUnderTest) -> None:
    rows = _jsonl(client, recorded.admin_key, "points")
    assert {row["learner_key"] for row in rows} >= {_key(recorded, "ana"), _key(recorded, "ines")}
    for name in ("ana", "ben", "ines", "jo"):
        weeks = _api(client, recorded, f"/v1/learners/{name}/points")["weeks"]
        exported = [(r["week"], r["points"]) for r in _mine(rows, _key(recorded, name))]
        assert exported == [(w["week"], w["points"]) for w in weeks], name


def test_goals_rows_are_the_goals(client: TestClient, recorded: TenantUnderTest) -> None:
    rows = _jsonl(client, recorded.admin_key, "goals")
    for name, count in (("ana", 2), ("ben", 1)):
        goals = _api(client, recorded, f"/v1/learners/{name}/goals")["data"]
        assert len(goals) == count
        exported = {r["goal_id"]: r for r in _mine(rows, _key(recorded, name))}
        assert set(exported) == {g["goal_id"] for g in goals}
        for goal in goals:
            row = exported[goal["goal_id"]]
            for field in ("kind", "target", "module", "due"):
                assert row[field] == goal[field], (name, field)
            for field in ("created_at", "updated_at", "cancelled_at"):
                assert _moment(row[field]) == _moment(goal[field]), (name, field)
    mins = next(r for r in rows if r["goal_id"] == "mins")
    assert (mins["target"], mins["created_at"], mins["updated_at"]) == (
        45, "2024-05-01T09:00:00Z", "2024-05-03T09:00:00Z"
    )  # fmt: skip
    assert next(r for r in rows if r["goal_id"] == "sess")["cancelled_event_id"] is not None


def test_certificate_rows_are_the_credentials_without_their_secrets(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    response = _get(client, recorded.admin_key, "certificates")
    rows = _jsonl(client, recorded.admin_key, "certificates")
    assert {r["learner_key"] for r in rows} == {_key(recorded, "ines"), _key(recorded, "jo")}
    for row in rows:
        api = _api(client, recorded, f"/v1/credentials/{row['credential_id']}")
        assert row["program_id"] == api["program_id"] == "prog"
        for field in ("issued_at", "valid_until", "revoked_at"):
            assert _moment(row[field]) == _moment(api[field]), field
        assert row["revocation_reason"] == api["revocation_reason"]
        # Neither the signed credential nor its public verification code leaves in bulk.
        assert api["verification_code"] not in response.text and api["jwt"] not in response.text
        assert set(row) == {
            "learner_key", "credential_id", "program_id", "issued_at", "valid_until",
            "revoked_at", "revocation_reason", "status_list_id", "status_index",
        }  # fmt: skip
    revoked = [r for r in rows if r["revoked_at"] is not None]
    assert [r["learner_key"] for r in revoked] == [_key(recorded, "jo")]
    assert "ines" not in response.text and '"jo"' not in response.text


@pytest.mark.parametrize("dataset", READ_MODELS)
def test_research_exports_hold_only_research_consenters(
    client: TestClient, recorded: TenantUnderTest, dataset: str
) -> None:
    key = recorded.admin_key
    everyone = {r["learner_key"] for r in _jsonl(client, key, dataset)}
    assert _jsonl(client, key, dataset, purpose="research") == []  # research is opt-in
    for name in ("ana", "ines"):
        consent = {"research": True}
        assert client.put(
            f"/v1/learners/{name}/consent", json=consent, headers=bearer(key)
        ).is_success
    consenting = {_key(recorded, "ana"), _key(recorded, "ines")}
    research = {r["learner_key"] for r in _jsonl(client, key, dataset, purpose="research")}
    assert research == everyone & consenting and research and everyone - consenting
    # Withdrawing analytics consent takes a learner out of everyday exports.
    client.put("/v1/learners/ines/consent", json={"analytics": False}, headers=bearer(key))
    assert _key(recorded, "ines") not in {r["learner_key"] for r in _jsonl(client, key, dataset)}


def test_time_filters_select_on_each_datasets_day_or_instant(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    key = recorded.admin_key

    def rows(dataset: str, first: str | date, last: str | date) -> list[dict[str, Any]]:
        return _jsonl(client, key, dataset, **{"from": str(first), "to": str(last)})

    # Days are DATEs: the first and the last day of the range are both in it.
    assert [r["day"] for r in rows("days", "2024-05-01", "2024-05-01")] == ["2024-05-01"]
    week = {r["day"] for r in rows("days", "2024-05-02", "2024-05-08")}
    assert week == {"2024-05-02", "2024-05-03", "2024-05-08"}
    assert {r["day"] for r in rows("days", TODAY, TODAY)} == {TODAY.isoformat()}
    all_days = _jsonl(client, key, "days")
    assert len(rows("days", "1900-01-01", "2999-12-31")) == len(all_days)
    # Weeks by their Monday: 29 April 2024 is the Monday of ana's first week.
    weeks = {r["week"] for r in rows("points", "2024-04-29", "2024-04-29")}
    assert weeks == {"2024-04-29"}
    assert rows("points", "2024-04-30", "2024-05-05") == []
    # Instants by UTC day.
    learners = {r["learner_key"] for r in rows("learners", "2024-05-03", "2024-05-03")}
    assert learners == {_key(recorded, "ana")}  # ana was last active on 3 May
    goals = rows("goals", "2024-05-02", "2024-05-03")
    assert sorted(r["goal_id"] for r in goals) == ["m1", "mins"]  # by updated_at
    assert len(rows("certificates", TODAY, TODAY)) == 2
    assert rows("certificates", "2024-05-01", TODAY - timedelta(days=1)) == []


def test_program_filter_where_a_program_is_named_and_a_422_elsewhere(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    key = recorded.admin_key
    # A goal belongs to a program by its module; weekly goals belong to none.
    assert [r["goal_id"] for r in _jsonl(client, key, "goals", program="prog")] == ["m1"]
    assert [r["goal_id"] for r in _jsonl(client, key, "goals", program="prog/c1/m1")] == ["m1"]
    assert _jsonl(client, key, "goals", program="prog/c1/m2") == []
    assert len(_jsonl(client, key, "certificates", program="prog")) == 2
    assert _jsonl(client, key, "certificates", program="prog/c1") == []
    for dataset in ("learners", "days", "points"):
        refused = _get(client, key, dataset, program="prog")
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["path"] for e in refused.json()["errors"]] == ["program"]
        assert f"{dataset} cannot be filtered by program" in refused.text
        typed = _get(client, key, dataset, type="activity.completed")
        assert typed.status_code == 422 and "type" in [e["path"] for e in typed.json()["errors"]]
        assert _get(client, key, dataset, format="xapi").status_code == 422


def test_each_export_is_audited(client: TestClient, recorded: TenantUnderTest) -> None:
    for dataset in READ_MODELS:
        assert _get(client, recorded.admin_key, dataset, format="csv").status_code == 200
    entries = _api(client, recorded, "/v1/audit", action="export")["entries"]
    assert sorted(e["resource"] for e in entries) == sorted(f"exports/{d}" for d in READ_MODELS)
    assert all(e["detail"]["format"] == "csv" for e in entries)
