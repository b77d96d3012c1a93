"""Scheduled custom reports on both databases: claimed once, rendered, stored, delivered,
retried with backoff; driven by a fake clock."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from stride.reports.custom_reports import (
    DefinitionRequest,
    DeliveryRules,
    create_definition,
    list_runs,
    run_output,
)
from stride.reports.runner import ReportRunner, RunnerConfig
from stride.store import report_schedules as store
from stride.store.report_schedules import DefinitionRow, RunRow
from stride.store.tables import report_runs
from stride.store.transactions import write_transaction
from stride.tenancy.audit import operator_principal
from stride.webhooks.backoff import RetryPolicy
from stride.webhooks.signing import verify
from tests.fixtures.tenant import TenantUnderTest
from tests.webhook_receiver import running_receiver

CREATED = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
SIX = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
RETRY = RetryPolicy(base_s=1.0, cap_s=1.0, max_attempts=3)


def _config(**overrides: Any) -> RunnerConfig:
    return RunnerConfig(**{"retry": RETRY, "allow_private": True, **overrides})


def _save(
    engine: Engine,
    tenant: TenantUnderTest,
    rules: DeliveryRules | None = None,
    **fields: Any,
) -> DefinitionRow:
    with engine.connect() as connection:
        principal = operator_principal(connection, tenant.tenant_id)
    request = DefinitionRequest(
        **{
            "name": "Weekly summary",
            "definition": {"period": "week", "metrics": ["active_learners", "sessions"]},
            "cron": "0 6 * * *",
            "format": "json",
            **fields,
        }
    )
    rules = rules or DeliveryRules(allow_private=True)
    return create_definition(engine, principal, request, rules, CREATED)


def _runs(engine: Engine, tenant: TenantUnderTest) -> list[RunRow]:
    return list_runs(engine, tenant.tenant_id, None, None, None, 100).runs


def _runner(engine: Engine, tenant: TenantUnderTest, **config: Any) -> ReportRunner:
    # Confined to the test's tenant: other tests' reports share the database.
    return ReportRunner(
        engine, _config(**config), rng=random.Random(7), tenant_ids={tenant.tenant_id}
    )


def test_a_scheduled_report_fires_at_its_time_and_stores_its_output(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    definition = _save(engine, tenant)
    runner = _runner(engine, tenant)
    assert runner.tick(SIX - timedelta(minutes=1)).claimed == 0
    assert _runs(engine, tenant) == []
    report = runner.tick(SIX + timedelta(seconds=20))
    assert (report.claimed, report.succeeded) == (1, 1)
    [run] = _runs(engine, tenant)
    assert (run.report_id, run.trigger, run.scheduled_for) == (definition.id, "schedule", SIX)
    assert run.status == "succeeded" and run.finished_at is not None
    content, media_type = run_output(engine, tenant.tenant_id, run.id)
    assert media_type == "application/json"
    document = orjson.loads(content)
    assert document["tenant_id"] == tenant.tenant_id
    assert [m["key"] for m in document["metrics"]] == ["active_learners", "sessions"]
    assert document["period"]["end"] == "2026-11-22"  # the last full week before 06:00
    # The same time is not run again; the next day's is.
    assert runner.tick(SIX + timedelta(hours=3)).claimed == 0
    assert runner.tick(SIX + timedelta(days=1)).claimed == 1
    runner.close()


def test_two_runners_ticking_at_the_same_time_run_it_once(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    _save(engine, tenant)
    runners = [_runner(engine, tenant) for _ in range(2)]
    barrier = threading.Barrier(2)
    claimed: list[int] = []

    def tick(runner: ReportRunner) -> None:
        barrier.wait()
        claimed.append(runner.tick(SIX).claimed)

    threads = [threading.Thread(target=tick, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == [0, 1]
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count())
            .select_from(report_runs)
            .where(report_runs.c.tenant_id == tenant.tenant_id)
        ).scalar()
    assert count == 1
    for runner in runners:
        runner.close()


def test_the_unique_key_claims_a_time_once(engine: Engine, tenant: TenantUnderTest) -> None:
    definition = _save(engine, tenant)
    [first, second] = [
        RunRow(tenant.tenant_id, run_id, definition.id, "schedule", SIX, SIX, None,
               "pending", 0, SIX, None, None, None, None)
        for run_id in ("run-a", "run-b")
    ]  # fmt: skip
    with write_transaction(engine) as connection:
        assert store.claim_run(connection, first)
        assert not store.claim_run(connection, second)


def test_webhook_delivery_is_signed(engine: Engine, tenant: TenantUnderTest) -> None:
    with running_receiver([204]) as receiver:
        definition = _save(engine, tenant, delivery={"kind": "webhook", "url": receiver.url})
        assert definition.secret is not None
        runner = _runner(engine, tenant)
        assert runner.tick(SIX).succeeded == 1
        runner.close()
    [request] = receiver.requests
    [run] = _runs(engine, tenant)
    assert request.headers["Stride-Run"] == run.id
    assert request.headers["Stride-Report"] == definition.id
    assert request.headers["Content-Type"] == "application/json"
    sent_at = int(SIX.timestamp())
    assert verify(definition.secret, request.headers["Stride-Signature"], request.body, sent_at)
    assert not verify("whsec_other", request.headers["Stride-Signature"], request.body, sent_at)
    assert request.body == run_output(engine, tenant.tenant_id, run.id)[0]
    assert (run.status, run.attempts, run.error) == ("succeeded", 1, None)


def test_a_failing_webhook_is_retried_with_backoff_then_failed(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    with running_receiver([500]) as receiver:
        _save(engine, tenant, delivery={"kind": "webhook", "url": receiver.url})
        runner = _runner(engine, tenant)
        assert runner.tick(SIX).retrying == 1
        [run] = _runs(engine, tenant)
        assert (run.status, run.attempts, run.error) == ("pending", 1, "HTTP 500")
        assert run.next_attempt_at is not None
        assert SIX <= run.next_attempt_at <= SIX + timedelta(seconds=RETRY.cap_s)
        # Not before its time: the backoff holds it.
        assert runner.tick(SIX - timedelta(seconds=1)).claimed == 0
        assert runner.tick(SIX + timedelta(seconds=2)).retrying == 1
        assert runner.tick(SIX + timedelta(seconds=4)).failed == 1
        assert runner.tick(SIX + timedelta(seconds=60)).claimed == 0  # given up
        runner.close()
    assert len(receiver.requests) == RETRY.max_attempts
    [run] = _runs(engine, tenant)
    assert (run.status, run.attempts, run.error) == ("failed", 3, "HTTP 500")
    assert run.finished_at == SIX + timedelta(seconds=4)
    assert run_output(engine, tenant.tenant_id, run.id)[0]  # the output is kept


def test_a_receiver_coming_back_gets_the_retry(engine: Engine, tenant: TenantUnderTest) -> None:
    with running_receiver([503, 200]) as receiver:
        _save(engine, tenant, delivery={"kind": "webhook", "url": receiver.url})
        runner = _runner(engine, tenant)
        runner.tick(SIX)
        assert runner.tick(SIX + timedelta(seconds=2)).succeeded == 1
        runner.close()
    [run] = _runs(engine, tenant)
    assert (run.status, run.attempts, run.error) == ("succeeded", 2, None)
    assert receiver.requests[0].body == receiver.requests[1].body


def test_directory_delivery_writes_the_file(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "weekly"
    rules = DeliveryRules(directories=(str(tmp_path / "out"),))
    _save(
        engine,
        tenant,
        rules,
        name="Weekly / summary",
        format="csv",
        delivery={"kind": "directory", "path": str(target)},
    )
    runner = _runner(engine, tenant, directories=rules.directories)
    assert runner.tick(SIX).succeeded == 1
    runner.close()
    written = target / "Weekly-summary-20261123T060000Z.csv"
    assert [p.name for p in target.iterdir()] == [written.name]  # no temporary file left
    [run] = _runs(engine, tenant)
    assert run.output_path == str(written)
    assert written.read_bytes() == run_output(engine, tenant.tenant_id, run.id)[0]
    assert written.read_text().startswith("section,key,label,unit,value,previous,change")
    assert written.stat().st_mode & 0o077 == 0


def test_directory_no_longer_allowed_fails_the_delivery(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    rules = DeliveryRules(directories=(str(tmp_path),))
    _save(engine, tenant, rules, delivery={"kind": "directory", "path": str(tmp_path / "r")})
    # The operator narrowed REPORT_DIRECTORIES since the report was saved.
    runner = _runner(engine, tenant, directories=(str(tmp_path / "other"),))
    runner.tick(SIX)
    runner.close()
    [run] = _runs(engine, tenant)
    assert run.status == "pending" and run.error is not None
    assert "outside the directories" in run.error
    assert not (tmp_path / "r").exists()


def test_run_now_and_disabled_reports(engine: Engine, tenant: TenantUnderTest) -> None:
    definition = _save(engine, tenant, enabled=False, format="html")
    runner = _runner(engine, tenant)
    assert runner.tick(SIX).claimed == 0  # disabled: not scheduled
    run = runner.run_now(tenant.tenant_id, definition.id, SIX + timedelta(minutes=5))
    runner.close()
    assert (run.trigger, run.status) == ("manual", "succeeded")
    content, media_type = run_output(engine, tenant.tenant_id, run.id)
    assert media_type.startswith("text/html") and b"<html" in content.lower()


def test_runs_of_other_tenants_are_not_run_by_a_confined_runner(
    engine: Engine, tenant: TenantUnderTest, tenant_factory: Any
) -> None:
    other = tenant_factory()
    _save(engine, other)
    runner = _runner(engine, tenant)
    assert runner.tick(SIX).claimed == 0
    runner.close()
    assert _runs(engine, other) == []


@pytest.mark.parametrize("limit", [1, 2])
def test_runs_are_paged_newest_first(engine: Engine, tenant: TenantUnderTest, limit: int) -> None:
    _save(engine, tenant, cron="0 * * * *")
    runner = _runner(engine, tenant)
    for hour in range(3):
        runner.tick(SIX + timedelta(hours=hour))
    runner.close()
    seen: list[datetime] = []
    cursor = None
    while True:
        page = list_runs(engine, tenant.tenant_id, None, None, cursor, limit)
        seen += [r.scheduled_for for r in page.runs]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [SIX + timedelta(hours=h) for h in (2, 1, 0)]


def test_cli_definitions_run_and_runs(stride_cli: Any, tmp_path: Path) -> None:
    tenant_id = stride_cli("tenants", "create", "Acme Reports", "--json")["tenant_id"]
    created = stride_cli(
        "report", "definitions", "create", "--tenant", tenant_id, "--name", "Weekly",
        "--metric", "sessions", "--cron", "0 6 * * 1", "--format", "csv", "--json",
    )  # fmt: skip
    assert (created["cron"], created["format"], created["secret"]) == ("0 6 * * 1", "csv", None)
    assert created["definition"]["metrics"] == ["sessions"]
    listed = stride_cli("report", "definitions", "list", "--tenant", tenant_id, "--json")
    assert [d["id"] for d in listed["definitions"]] == [created["id"]]
    run = stride_cli("report", "run", created["id"], "--tenant", tenant_id, "--json")
    assert (run["status"], run["trigger"]) == ("succeeded", "manual")
    runs = stride_cli("report", "runs", "--tenant", tenant_id, "--json")
    assert [r["id"] for r in runs["runs"]] == [run["id"]]
    bad = stride_cli(
        "report", "definitions", "create", "--tenant", tenant_id, "--name", "x",
        "--cron", "99 * * * *", "--json", expect_exit=1,
    )  # fmt: skip
    assert [e["path"] for e in bad["errors"]] == ["cron"]
    stride_cli("report", "definitions", "delete", created["id"], "--tenant", tenant_id)
    after = stride_cli("report", "definitions", "list", "--tenant", tenant_id, "--json")
    assert after["definitions"] == []
    stride_cli("report", "run", created["id"], "--tenant", tenant_id, expect_exit=1)


def test_a_run_that_cannot_render_is_failed_not_retried_forever(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    definition = _save(engine, tenant)
    broken = DefinitionRow(**{**definition.__dict__, "format": "xlsx"})  # as if edited by hand
    with write_transaction(engine) as connection:
        store.replace_definition(connection, broken)
    runner = _runner(engine, tenant)
    runner.tick(SIX)
    [run] = _runs(engine, tenant)
    assert (run.status, run.attempts) == ("pending", 1)
    assert run.error is not None and run.error.startswith("ValueError")
    runner.tick(SIX + timedelta(seconds=2))
    runner.tick(SIX + timedelta(seconds=4))
    runner.close()
    [run] = _runs(engine, tenant)
    assert (run.status, run.attempts) == ("failed", 3)
