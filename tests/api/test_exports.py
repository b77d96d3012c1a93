"""GET /v1/exports/{dataset}: streamed exports, their filters, consent, roles and audit."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from stride.exports.datasets import DATASETS, Kind
from stride.privacy.pseudonym import learner_key
from stride.tenancy.roles import Role
from stride.xapi.from_events import VERBS
from stride.xapi.mapping import statement_to_event
from stride.xapi.validation import V1, V2, statement_errors
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import at, make_event
from tests.fixtures.tenant import TenantUnderTest

EX1 = {"id": "prog/c1/m1/ex1", "type": "exercise"}
OUTSIDE = {"id": "elsewhere/ex9", "type": "exercise"}


def _events() -> list[dict[str, Any]]:
    return [
        make_event(learner="ana", timestamp=at(0), activity=EX1, skills=["planning"]),
        make_event(
            learner="ana",
            timestamp=at(1),
            activity=EX1,
            result={"score": 1, "success": True, "duration_s": 12.5, "response": 'a, "b"\nc'},
        ),
        make_event(learner="ben", timestamp=at(1, hours=2), activity=OUTSIDE),
        make_event(
            learner="ben",
            type="session.started",
            timestamp=at(2),
            activity=None,
            result=None,
            context={"program": "prog", "platform": "web"},
        ),
        make_event(
            learner="cleo",
            type="enrollment.created",
            timestamp=at(3),
            activity={"id": "prog", "type": "program"},
            result=None,
            properties={"target_date": "2024-09-01"},
        ),
        make_event(
            learner="cleo",
            type="custom.forum.posted",
            timestamp=at(3, hours=1),
            activity=None,
            result=None,
            properties={"words": 120, "tags": ["x", None]},
        ),
    ]


@pytest.fixture
def recorded(client: TestClient, tenant: TenantUnderTest) -> TenantUnderTest:
    headers = bearer(tenant.admin_key)
    assert client.put("/v1/catalog", json=small_catalog(), headers=headers).status_code == 200
    response = client.post("/v1/events", json=_events(), headers=headers)
    assert response.json()["accepted"] == len(_events()), response.text
    return tenant


def _get(client: TestClient, key: str, dataset: str, **query: Any) -> Any:
    return client.get(f"/v1/exports/{dataset}", params=query, headers=bearer(key))


def _jsonl(client: TestClient, key: str, dataset: str, **query: Any) -> list[dict[str, Any]]:
    response = _get(client, key, dataset, **query)
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.content.splitlines()]


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _from_csv(dataset: str, data: bytes) -> list[dict[str, Any]]:
    kinds = {c.name: c.kind for c in DATASETS[dataset].columns}
    decode: dict[Kind, Callable[[str], Any]] = {
        Kind.INT: int,
        Kind.FLOAT: float,
        Kind.BOOL: {"true": True, "false": False}.__getitem__,
        Kind.JSON: orjson.loads,
    }
    reader = csv.DictReader(io.StringIO(data.decode(), newline=""))
    assert reader.fieldnames == list(kinds)
    return [
        {k: None if v == "" else decode.get(kinds[k], str)(v) for k, v in row.items()}
        for row in reader
    ]


def _from_parquet(dataset: str, data: bytes) -> list[dict[str, Any]]:
    table = pq.read_table(io.BytesIO(data))
    kinds = {c.name: c.kind for c in DATASETS[dataset].columns}
    assert table.schema.names == list(kinds)

    def decode(name: str, value: Any) -> Any:
        if value is None:
            return None
        if kinds[name] is Kind.JSON:
            return orjson.loads(value)
        if isinstance(value, datetime):
            return _instant(value)
        return value.isoformat() if isinstance(value, date) else value

    return [{k: decode(k, v) for k, v in row.items()} for row in table.to_pylist()]


# The learner-level read models (learners, days, points, goals, certificates) need goals and
# certificates in their fixture: test_exports_read_models.py round-trips them.
@pytest.mark.parametrize("dataset", ["achievements", "enrollments", "events", "progress", "skills"])
def test_csv_and_parquet_round_trip_to_the_json_lines(
    client: TestClient, recorded: TenantUnderTest, dataset: str
) -> None:
    key = recorded.admin_key
    rows = _jsonl(client, key, dataset)
    assert rows, f"the fixture leaves {dataset} empty"
    as_csv = _get(client, key, dataset, format="csv")
    as_parquet = _get(client, key, dataset, format="parquet")
    assert as_csv.status_code == as_parquet.status_code == 200
    assert _from_csv(dataset, as_csv.content) == rows
    assert _from_parquet(dataset, as_parquet.content) == rows


def test_events_export_in_log_order_with_payload_and_headers(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    response = _get(client, recorded.admin_key, "events")
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"] == 'attachment; filename="events.jsonl"'
    assert response.headers["cache-control"] == "no-store"
    rows = [orjson.loads(line) for line in response.content.splitlines()]
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    ana = learner_key(recorded.scope.learner_secret, "ana")
    perfect = rows[1]
    assert perfect["learner_key"] == ana and perfect["score"] == 1.0
    assert perfect["payload"]["result"]["response"] == 'a, "b"\nc'
    assert perfect["event_time"] == "2024-05-02T09:00:00Z"
    assert "ana" not in response.text.replace(ana, ""), "learners appear by key only"
    parquet = _get(client, recorded.admin_key, "events", format="parquet")
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert parquet.headers["content-disposition"] == 'attachment; filename="events.parquet"'
    assert (
        _get(client, recorded.admin_key, "events", format="csv")
        .headers["content-type"]
        .startswith("text/csv")
    )


def test_time_type_and_program_filters(client: TestClient, recorded: TenantUnderTest) -> None:
    key = recorded.admin_key
    days = _jsonl(client, key, "events", **{"from": "2024-05-02", "to": "2024-05-03"})
    sent = [r for r in days if not r["payload"].get("derived")]
    assert [r["event_time"][:10] for r in sent] == ["2024-05-02", "2024-05-02", "2024-05-03"]
    # The perfect score's award is a derived event of that day.
    assert [r["type"] for r in days if r not in sent] == ["achievement.awarded"]
    typed = _jsonl(client, key, "events", type=["session.started", "enrollment.created"])
    assert sorted(r["type"] for r in typed) == ["enrollment.created", "session.started"]
    in_program = _jsonl(client, key, "events", program="prog")
    # By activity under the program (ex1, the program itself) or by context.program.
    assert len([r for r in in_program if not r["payload"].get("derived")]) == 4
    assert all(r["activity_id"] != OUTSIDE["id"] for r in in_program)
    progress = _jsonl(client, key, "progress", program="prog")
    assert {r["activity_id"] for r in progress} >= {EX1["id"]}
    assert OUTSIDE["id"] not in {r["activity_id"] for r in progress}
    assert OUTSIDE["id"] in {r["activity_id"] for r in _jsonl(client, key, "progress")}
    skills = _jsonl(client, key, "skills", program="prog")
    assert {r["skill_id"] for r in skills} == {"planning"}
    assert _jsonl(client, key, "skills", program="no-such-program") == []


def test_research_exports_hold_only_research_consenters(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    key, secret = recorded.admin_key, recorded.scope.learner_secret
    # Research is opt-in by default: nobody is in a research export until they consent.
    assert _jsonl(client, key, "events", purpose="research") == []
    client.put("/v1/learners/ana/consent", json={"research": True}, headers=bearer(key))
    research = _jsonl(client, key, "events", purpose="research")
    assert {r["learner_key"] for r in research} == {learner_key(secret, "ana")}
    assert {r["learner_key"] for r in _jsonl(client, key, "progress", purpose="research")} == {
        learner_key(secret, "ana")
    }
    # Withdrawing analytics consent takes a learner out of everyday exports at once.
    client.put("/v1/learners/ben/consent", json={"analytics": False}, headers=bearer(key))
    keys = {r["learner_key"] for r in _jsonl(client, key, "events")}
    assert learner_key(secret, "ben") not in keys and learner_key(secret, "ana") in keys


def test_roles_and_the_audit_entry(
    client: TestClient,
    recorded: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
) -> None:
    ingest = key_factory(recorded.tenant_id, Role.INGEST)
    refused = _get(client, ingest, "events")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/exports/events").status_code == 401
    analyst = key_factory(recorded.tenant_id, Role.ANALYST)
    instructor = key_factory(recorded.tenant_id, Role.INSTRUCTOR)
    assert _get(client, analyst, "events", format="csv").status_code == 403  # aggregates only
    assert _get(client, instructor, "events", format="csv").status_code == 200
    assert _get(client, instructor, "skills", purpose="research").status_code == 200

    entries = client.get("/v1/audit", headers=bearer(recorded.admin_key)).json()["entries"]
    exports = [e for e in entries if e["action"] == "export"]
    assert len(exports) == 2
    by_resource = {e["resource"]: e for e in exports}
    assert by_resource["exports/events"]["role"] == "instructor"
    assert by_resource["exports/events"]["detail"]["format"] == "csv"
    assert by_resource["exports/skills"]["detail"]["purpose"] == "research"


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("events", {"format": "xml"}, "query.format"),
        ("nope", {}, "path.dataset"),
        ("events", {"from": "1899-12-31"}, "from"),
        ("events", {"to": "3000-01-01"}, "to"),
        ("events", {"from": "99999-01-01"}, "query.from"),
        ("events", {"from": "2024-05-03", "to": "2024-05-01"}, "from"),
        ("progress", {"type": "activity.completed"}, "type"),
        ("events", {"type": "Not A Type"}, "type"),
        ("achievements", {"program": "prog"}, "program"),
        ("learners", {"program": "prog"}, "program"),
        ("days", {"from": "2024-05-03", "to": "2024-05-01"}, "from"),
        ("points", {"type": "activity.completed"}, "type"),
        ("certificates", {"format": "xapi"}, "format"),
        ("progress", {"format": "xapi"}, "format"),
        ("events", {"purpose": "marketing"}, "purpose"),
        ("events", {"program": "a\x00b"}, "program"),
    ],
)
def test_invalid_requests_are_problems_not_streams(
    client: TestClient, tenant: TenantUnderTest, path: str, query: dict[str, str], field: str
) -> None:
    response = client.get(f"/v1/exports/{path}", params=query, headers=bearer(tenant.admin_key))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["path"] for e in response.json()["errors"]]


def test_another_tenants_rows_never_appear(
    client: TestClient,
    recorded: TenantUnderTest,
    tenant_factory: Callable[[], TenantUnderTest],
) -> None:
    other = tenant_factory()
    sent = make_event(learner="ana", activity=EX1, timestamp=at(0))
    assert (
        client.post("/v1/events", json=[sent], headers=bearer(other.admin_key)).status_code == 200
    )
    theirs = _jsonl(client, other.admin_key, "events")
    assert [r["event_id"] for r in theirs] == [sent["id"]]
    ours = _jsonl(client, recorded.admin_key, "events")
    assert sent["id"] not in {r["event_id"] for r in ours} and len(ours) == len(_events()) + 1
    for dataset in DATASETS:
        mine = {r["learner_key"] for r in _jsonl(client, recorded.admin_key, dataset)}
        assert learner_key(other.scope.learner_secret, "ana") not in mine


def _basic(api_key: str) -> dict[str, str]:
    _, key_id, secret = api_key.split("_", 2)
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def test_events_as_xapi_statements_validate_and_map_back(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    statement_id = "0f5b6a6e-3c33-4f7e-9d55-2f1f7a0c9a11"
    sent = {
        "id": statement_id,
        "actor": {"objectType": "Agent", "mbox": "mailto:dee@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {
            "id": "http://lms.example.com/quiz/7",
            "definition": {"type": "http://adlnet.gov/expapi/activities/assessment"},
        },
        "result": {"score": {"scaled": 0.9}, "duration": "PT2M"},
        "timestamp": "2024-05-04T10:00:00Z",
    }
    stored = client.post("/xapi/statements", json=sent, headers=_basic(recorded.admin_key))
    assert stored.status_code == 200, stored.text
    response = _get(client, recorded.admin_key, "events", format="xapi")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="events.xapi.jsonl"'
    statements = [orjson.loads(line) for line in response.content.splitlines()]
    events = _jsonl(client, recorded.admin_key, "events")
    assert len(statements) == len(events) == len(_events()) + 2  # an award, a statement
    for statement, event in zip(statements, events, strict=True):
        assert statement_errors(statement, V1) == [] and statement_errors(statement, V2) == []
        assert statement["actor"]["account"]["name"] == event["learner_key"]
        back = statement_to_event(statement)
        assert back is not None
        if event["type"] in {*VERBS, "assessment.submitted"}:  # the others have no xAPI verb
            assert back["type"] == event["type"]
        else:
            assert back["type"].startswith("custom.xapi.")
        if event["activity_type"] is not None:  # else the object is the deployment itself
            assert back["activity"]["type"] == event["activity_type"]
    from_xapi = statements[-1]
    assert from_xapi["id"] == statement_id
    assert from_xapi["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert from_xapi["object"]["id"] == "http://lms.example.com/quiz/7"
    assert from_xapi["result"] == {"score": {"scaled": 0.9}, "success": True, "duration": "PT120S"}
