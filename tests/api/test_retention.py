"""The retention routes (admin only) and the in-process retention job."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from stride.api.app import create_app
from stride.config import Settings
from stride.privacy.retention import list_runs
from stride.privacy.retention_job import JOB_KEY_ID, RetentionJob
from stride.store.event_log import count_events
from stride.store.tables import audit_log
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.fixtures.tenant import TenantUnderTest
from tests.history import record_history, set_retention

NOW = datetime.now(UTC).replace(microsecond=0)
ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_with(engine: Engine, tmp_path: Path) -> Iterator[ClientFactory]:
    """Clients whose archives go to the test's directory; the job is off unless asked for."""
    opened: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        settings = Settings(
            DATABASE_URL=str(engine.url),
            ARCHIVE_DIR=str(tmp_path / "archive"),
            **{"RETENTION_INTERVAL_HOURS": 0, **overrides},
        )
        test_client = TestClient(create_app(settings, engine=engine))
        opened.append(test_client.__enter__())
        return test_client

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)


def test_run_now_and_list_runs(
    engine: Engine, tenant: TenantUnderTest, client_with: ClientFactory, tmp_path: Path
) -> None:
    client = client_with()
    admin = bearer(tenant.admin_key)
    record_history(engine, tenant.scope, NOW, days=40)
    set_retention(engine, tenant.tenant_id, 30, True, NOW)
    held = _count(engine, tenant.tenant_id)

    first = client.post("/v1/privacy/retention/run", headers=admin)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["events_deleted"] > 0 and body["files"] == 1 and body["archived"] is True
    assert "archive_dir" not in body, "server paths are the operator's, not the tenant's"
    assert _count(engine, tenant.tenant_id) == held - body["events_deleted"]
    assert len(list((tmp_path / "archive" / tenant.tenant_id).iterdir())) == 1

    second = client.post("/v1/privacy/retention/run", headers=admin).json()
    assert second["events_deleted"] == 0 and second["files"] == 0

    runs = client.get("/v1/privacy/retention/runs", headers=admin)
    assert runs.status_code == 200, runs.text
    assert [(r["run"], r["events_deleted"]) for r in runs.json()["runs"]] == [
        (second["run"], 0),
        (body["run"], body["events_deleted"]),
    ]


def test_a_forever_policy_answers_an_empty_report(
    tenant: TenantUnderTest, client_with: ClientFactory
) -> None:
    response = client_with().post("/v1/privacy/retention/run", headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    assert response.json() | {"seconds": 0} == {
        "run": None,
        "cutoff": None,
        "events_deleted": 0,
        "files": 0,
        "archived": False,
        "seconds": 0,
    }


@pytest.mark.parametrize("role", [Role.INGEST, Role.ANALYST, Role.INSTRUCTOR])
def test_only_admins_may_run_or_list(
    role: Role,
    tenant: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
    client_with: ClientFactory,
) -> None:
    client = client_with()
    headers = bearer(key_factory(tenant.tenant_id, role))
    assert client.post("/v1/privacy/retention/run", headers=headers).status_code == 403
    assert client.get("/v1/privacy/retention/runs", headers=headers).status_code == 403
    assert client.get("/v1/privacy/retention/runs").status_code == 401


def test_the_job_runs_for_tenants_with_a_retention_policy(
    engine: Engine, tenant: TenantUnderTest, client_with: ClientFactory
) -> None:
    record_history(engine, tenant.scope, NOW, days=40)
    set_retention(engine, tenant.tenant_id, 30, False, NOW)
    held = _count(engine, tenant.tenant_id)

    client_with(RETENTION_INTERVAL_HOURS=1, RETENTION_FIRST_RUN_SECONDS=0)
    deadline = time.monotonic() + 20
    while not (audited := _audited_runs(engine, tenant.tenant_id)):
        assert time.monotonic() < deadline, "the job did not run"
        time.sleep(0.05)
    with engine.connect() as connection:
        runs = list_runs(connection, tenant.tenant_id)
    assert len(runs) == 1 and runs[0].events_deleted > 0
    assert audited == [(JOB_KEY_ID, runs[0].events_deleted)]
    assert _count(engine, tenant.tenant_id) == held - runs[0].events_deleted


def test_an_interval_of_zero_starts_no_job(engine: Engine, tmp_path: Path) -> None:
    job = RetentionJob(engine, tmp_path, interval_s=0, first_delay_s=0)
    job.start()
    assert "stride-retention" not in {t.name for t in threading.enumerate()}
    job.stop()


def _audited_runs(engine: Engine, tenant_id: str) -> list[tuple[str, int]]:
    """(actor, events deleted) of the tenant's finished runs: the entry is written last."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.key_id, audit_log.c.detail).where(
                audit_log.c.tenant_id == tenant_id, audit_log.c.action == "retention.run"
            )
        )
        return [(row.key_id, row.detail["events_deleted"]) for row in rows]


def _count(engine: Engine, tenant_id: str) -> int:
    with engine.connect() as connection:
        return count_events(connection, tenant_id)
