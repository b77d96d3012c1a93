from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stride.api.schemas.rights import ErasurePublic, LearnerExportPublic
from stride.privacy.pseudonym import learner_key
from stride.store.learner_data import learner_tables
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

RAW_ID = "noor-raw-4b9a"


def _ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def _record(client: TestClient, tenant: TenantUnderTest, learner: str, n: int) -> None:
    sent = [
        make_event(
            learner=learner,
            timestamp=_ago(100 - i),
            result={"score": 0.5, "success": False, "response": f"answer {i}"},
        )
        for i in range(n)
    ]
    response = client.post("/v1/events", json=sent, headers=bearer(tenant.admin_key))
    assert response.json()["accepted"] == n, response.text


@pytest.fixture
def recorded(client: TestClient, tenant: TenantUnderTest) -> TenantUnderTest:
    _record(client, tenant, RAW_ID, 5)
    _record(client, tenant, "someone-else", 3)
    return tenant


def _export(client: TestClient, tenant: TenantUnderTest, fmt: str | None = None) -> Any:
    query = f"?format={fmt}" if fmt else ""
    return client.get(f"/v1/learners/{RAW_ID}/export{query}", headers=bearer(tenant.admin_key))


def test_json_export_holds_every_learner_table(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    response = _export(client, recorded)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = LearnerExportPublic.model_validate(response.json())
    assert body.learner_key == learner_key(recorded.scope.learner_secret, RAW_ID)
    assert set(body.tables) == {t.name for t in learner_tables()}
    events = body.tables["events"]
    assert len(events) == 5
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events), "log order"
    assert {e["learner_key"] for e in events} == {body.learner_key}
    assert events[0]["payload"]["result"]["response"] == "answer 0", "JSON columns as objects"
    assert events[0]["event_time"].endswith("Z"), "instants in UTC"
    assert body.tables["learner_stats"][0]["events"] == 5
    assert RAW_ID not in response.text, "Stride never held the raw id"


def test_zip_export_has_one_csv_per_table_and_a_readme(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    counts = {name: len(rows) for name, rows in _export(client, recorded).json()["tables"].items()}
    response = _export(client, recorded, "zip")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="learner-export.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        assert names == {"README.txt"} | {f"{name}.csv" for name in counts}
        readme = archive.read("README.txt").decode()
        tables = {
            name: list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode())))
            for name in counts
        }
    for name, count in counts.items():
        assert len(tables[name]) == count, name
        assert f"{name}.csv" in readme and f"{count} rows" in readme
    payloads = [json.loads(row["payload"]) for row in tables["events"]]
    assert payloads[0]["result"]["response"] == "answer 0"
    empty = [name for name, count in counts.items() if count == 0]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for name in empty:  # a table without rows still has its header
            header = next(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode())))
            assert {"tenant_id", "learner_key"} <= set(header), name


def test_unknown_learner_is_404_and_bad_format_422(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    headers = bearer(recorded.admin_key)
    missing = client.get("/v1/learners/nobody/export", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "not_found"
    assert (
        client.get(f"/v1/learners/{RAW_ID}/export?format=xml", headers=headers).status_code == 422
    )


@pytest.mark.parametrize("role", [Role.INGEST, Role.ANALYST, Role.INSTRUCTOR])
def test_only_admins_export_and_erase(
    client: TestClient,
    recorded: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
    role: Role,
) -> None:
    headers = bearer(key_factory(recorded.tenant_id, role))
    assert client.get(f"/v1/learners/{RAW_ID}/export", headers=headers).status_code == 403
    assert client.delete(f"/v1/learners/{RAW_ID}", headers=headers).status_code == 403
    assert client.get(f"/v1/learners/{RAW_ID}/export").status_code == 401
    assert _export(client, recorded).status_code == 200, "nothing was erased"


def test_erase_then_export_is_404_and_erase_is_idempotent(
    client: TestClient, recorded: TenantUnderTest
) -> None:
    headers = bearer(recorded.admin_key)
    erased = client.delete(f"/v1/learners/{RAW_ID}", headers=headers)
    assert erased.status_code == 200, erased.text
    report = ErasurePublic.model_validate(erased.json())
    assert report.tables["events"] == 5 and report.tables["learner_stats"] == 1
    assert report.total == sum(report.tables.values())
    assert set(report.tables) == {t.name for t in learner_tables()}

    assert _export(client, recorded).status_code == 404
    again = client.delete(f"/v1/learners/{RAW_ID}", headers=headers)
    assert again.status_code == 200 and again.json()["total"] == 0
    assert set(again.json()["tables"].values()) == {0}
    other = client.get("/v1/learners/someone-else/export", headers=headers)
    assert len(other.json()["tables"]["events"]) == 3, "other learners keep their data"
