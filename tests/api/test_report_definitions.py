"""Custom report definitions over HTTP: CRUD, validation, run now, runs and their output."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.api.app import create_app
from stride.config import Settings
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.fixtures.tenant import TenantUnderTest
from tests.webhook_receiver import running_receiver

DEFINITION = {"period": "week", "metrics": ["active_learners", "sessions"]}


@pytest.fixture
def report_client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        DATABASE_URL=str(engine.url),
        REPORT_DIRECTORIES=[str(tmp_path / "reports")],
        REPORT_TICK_SECONDS=0,  # the tests run reports themselves
        WEBHOOK_ALLOW_PRIVATE_TARGETS=True,
    )
    app = create_app(settings, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _create(client: TestClient, key: str, **fields: Any) -> Any:
    body = {"name": "Weekly", "definition": DEFINITION, "format": "json", **fields}
    # json.dumps escapes as ASCII, so lone surrogates reach the server as JSON allows them.
    headers = {**bearer(key), "Content-Type": "application/json"}
    return client.post("/v1/reports/definitions", content=json.dumps(body), headers=headers)


def test_definitions_crud(report_client: TestClient, tenant: TenantUnderTest) -> None:
    key = tenant.admin_key
    created = _create(report_client, key, cron="0 6 * * 1")
    assert created.status_code == 201, created.text
    document = created.json()
    assert document["cron"] == "0 6 * * 1" and document["secret"] is None
    assert document["definition"]["metrics"] == ["active_learners", "sessions"]
    report_id = document["id"]
    url = f"/v1/reports/definitions/{report_id}"
    assert report_client.get(url, headers=bearer(key)).json()["name"] == "Weekly"
    listed = report_client.get("/v1/reports/definitions", headers=bearer(key)).json()
    assert [d["id"] for d in listed["definitions"]] == [report_id]
    body = {"name": "Monthly", "definition": {"period": "month"}, "format": "csv"}
    changed = report_client.put(url, json=body, headers=bearer(key))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["cron"]) == ("Monthly", None)
    assert changed.json()["created_at"] == document["created_at"]
    assert report_client.delete(url, headers=bearer(key)).status_code == 204
    assert report_client.get(url, headers=bearer(key)).status_code == 404
    assert report_client.delete(url, headers=bearer(key)).status_code == 404
    assert report_client.put(url, json=body, headers=bearer(key)).status_code == 404


def test_webhook_secret_is_shown_once_and_kept_on_update(
    report_client: TestClient, tenant: TenantUnderTest
) -> None:
    key = tenant.admin_key
    delivery = {"kind": "webhook", "url": "https://hooks.example.com/reports"}
    created = _create(report_client, key, delivery=delivery).json()
    assert created["secret"].startswith("whsec_")
    assert created["delivery"] == delivery
    url = f"/v1/reports/definitions/{created['id']}"
    shown = report_client.get(url, headers=bearer(key)).json()
    assert "secret" not in shown
    body = {"name": "Renamed", "definition": DEFINITION, "delivery": delivery}
    assert "secret" not in report_client.put(url, json=body, headers=bearer(key)).json()


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "every monday"}, "cron"),
        ({"definition": {"metrics": ["nope"]}}, "definition.metrics.0"),
        ({"definition": {"metrics": [{"a": 1}]}}, "definition.metrics"),
        ({"definition": {"period": "year"}}, "definition.period"),
        ({"definition": {"filters": {"groups": ["p1"]}}}, "definition.filters.groups"),
        ({"format": "xlsx"}, "format"),
        ({"delivery": {"kind": "ftp"}}, "delivery.kind"),
        ({"delivery": {"kind": "webhook", "url": "ftp://x.example.com"}}, "delivery.url"),
        ({"delivery": {"kind": "webhook", "url": 3}}, "delivery.url"),
        ({"delivery": {"kind": "directory", "path": "/etc"}}, "delivery.path"),
        ({"delivery": {"kind": "directory", "path": "relative"}}, "delivery.path"),
        ({"delivery": {"kind": "directory", "path": "/tmp/\x00x"}}, "delivery.path"),
        ({"delivery": {"kind": "directory", "path": "/tmp/\ud800"}}, "delivery.path"),
        (
            {"definition": {"breakdown": "program", "filters": {"groups": ["\ud800"]}}},
            "definition.filters.groups",
        ),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    report_client: TestClient, tenant: TenantUnderTest, fields: dict[str, Any], path: str
) -> None:
    answer = _create(report_client, tenant.admin_key, **fields)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert path in [e["path"] for e in answer.json()["errors"]]


def test_directory_delivery_is_refused_when_the_operator_allows_none(
    client: TestClient, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    delivery = {"kind": "directory", "path": str(tmp_path)}
    answer = _create(client, tenant.admin_key, delivery=delivery)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "delivery.path"


def test_private_webhook_targets_are_refused_by_default(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    delivery = {"kind": "webhook", "url": "http://127.0.0.1:8080/hook"}
    answer = _create(client, tenant.admin_key, delivery=delivery)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "delivery.url"


def test_roles(
    report_client: TestClient,
    tenant: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
) -> None:
    analyst = key_factory(tenant.tenant_id, Role.ANALYST)
    ingest = key_factory(tenant.tenant_id, Role.INGEST)
    assert _create(report_client, analyst).status_code == 403
    report_id = _create(report_client, tenant.admin_key).json()["id"]
    assert report_client.get("/v1/reports/definitions", headers=bearer(analyst)).status_code == 200
    assert report_client.get("/v1/reports/runs", headers=bearer(ingest)).status_code == 403
    run = f"/v1/reports/definitions/{report_id}/run"
    assert report_client.post(run, headers=bearer(analyst)).status_code == 403


def test_run_now_then_list_and_download(
    report_client: TestClient, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    key = tenant.admin_key
    target = tmp_path / "reports" / "weekly"
    delivery = {"kind": "directory", "path": str(target)}
    report_id = _create(report_client, key, format="csv", delivery=delivery).json()["id"]
    answer = report_client.post(f"/v1/reports/definitions/{report_id}/run", headers=bearer(key))
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert (run["status"], run["trigger"], run["attempts"]) == ("succeeded", "manual", 1)
    assert run["output_path"].startswith(str(target))
    runs = report_client.get(f"/v1/reports/runs?report={report_id}", headers=bearer(key)).json()
    assert [r["id"] for r in runs["runs"]] == [run["id"]] and runs["next_cursor"] is None
    failed = report_client.get("/v1/reports/runs?status=failed", headers=bearer(key)).json()
    assert failed["runs"] == []
    output = report_client.get(f"/v1/reports/runs/{run['id']}/output", headers=bearer(key))
    assert output.status_code == 200
    assert output.headers["content-type"].startswith("text/csv")
    assert output.content == Path(run["output_path"]).read_bytes()
    one = report_client.get(f"/v1/reports/runs/{run['id']}", headers=bearer(key)).json()
    assert one["id"] == run["id"]


def test_run_with_a_failing_webhook_is_recorded_pending(
    report_client: TestClient, tenant: TenantUnderTest
) -> None:
    key = tenant.admin_key
    with running_receiver([500]) as receiver:
        delivery = {"kind": "webhook", "url": receiver.url}
        report_id = _create(report_client, key, delivery=delivery).json()["id"]
        run = report_client.post(
            f"/v1/reports/definitions/{report_id}/run", headers=bearer(key)
        ).json()
    assert (run["status"], run["attempts"], run["error"]) == ("pending", 1, "HTTP 500")
    assert run["next_attempt_at"] is not None
    assert len(receiver.requests) == 1


def test_runs_paging_and_bad_cursor(report_client: TestClient, tenant: TenantUnderTest) -> None:
    key = tenant.admin_key
    report_id = _create(report_client, key).json()["id"]
    ids = {
        report_client.post(f"/v1/reports/definitions/{report_id}/run", headers=bearer(key)).json()[
            "id"
        ]
        for _ in range(3)
    }
    seen: list[str] = []
    url = "/v1/reports/runs?limit=2"
    while url:
        page = report_client.get(url, headers=bearer(key)).json()
        seen += [r["id"] for r in page["runs"]]
        url = (
            f"/v1/reports/runs?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
        )
    assert len(seen) == 3 and set(seen) == ids
    for cursor in ("nonsense", "é", "MjAyNnxh", "%00"):
        answer = report_client.get(f"/v1/reports/runs?cursor={cursor}", headers=bearer(key))
        assert answer.status_code == 422, (cursor, answer.text)
        assert answer.json()["errors"][0]["path"] == "query.cursor"


def test_tenant_isolation(
    report_client: TestClient,
    tenant: TenantUnderTest,
    tenant_factory: Callable[[], TenantUnderTest],
) -> None:
    other = tenant_factory()
    report_id = _create(report_client, tenant.admin_key).json()["id"]
    run = report_client.post(
        f"/v1/reports/definitions/{report_id}/run", headers=bearer(tenant.admin_key)
    ).json()
    theirs = bearer(other.admin_key)
    for url in (
        f"/v1/reports/definitions/{report_id}",
        f"/v1/reports/runs/{run['id']}",
        f"/v1/reports/runs/{run['id']}/output",
    ):
        assert report_client.get(url, headers=theirs).status_code == 404, url
    post = report_client.post(f"/v1/reports/definitions/{report_id}/run", headers=theirs)
    assert post.status_code == 404
    assert (
        report_client.delete(f"/v1/reports/definitions/{report_id}", headers=theirs).status_code
        == 404
    )
    assert report_client.get("/v1/reports/definitions", headers=theirs).json()["definitions"] == []
    assert report_client.get("/v1/reports/runs", headers=theirs).json()["runs"] == []
    mine = report_client.get(
        f"/v1/reports/definitions/{report_id}", headers=bearer(tenant.admin_key)
    )
    assert mine.status_code == 200
