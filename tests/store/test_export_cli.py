"""`stride export` and the page-by-page reading behind every export (both databases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from stride.bootstrap import open_engine
from stride.catalog.service import apply_catalog
from stride.events.validation import ValidationLimits
from stride.exports.datasets import DATASETS
from stride.exports.filters import parse_filter
from stride.exports.service import audit_export, iter_pages, plan_export
from stride.exports.writers import ExportFormat
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.privacy.consent import set_consent
from stride.privacy.policy import Purpose
from stride.privacy.pseudonym import learner_key
from stride.store.tables import audit_log
from stride.store.tenants import get_tenant
from stride.tenancy.audit import operator_principal
from tests.catalogs import small_catalog
from tests.factories import BASE_TIME, make_event
from tests.fixtures.tenant import TenantUnderTest, make_tenant

NOW = BASE_TIME + timedelta(days=30)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
ITEMS = ["prog/c1/m1/ex1", "prog/c1/m1/ex2", "elsewhere/ex9"]


def _activity(i: int) -> dict[str, str]:
    return {"id": ITEMS[i % 3], "type": "exercise"}


def _record(engine: Engine, scope: TenantScope, learners: int = 7, each: int = 3) -> None:
    sent = [
        make_event(
            learner=f"l{n}",
            timestamp=(BASE_TIME + timedelta(hours=n * each + i)).isoformat(),
            activity=_activity(n + i),
            result={"score": 0.5, "success": False},
        )
        for n in range(learners)
        for i in range(each)
    ]
    report = ingest_events(engine, scope, sent, LIMITS, NOW)
    assert all(o.status.value == "accepted" for o in report.outcomes), report.outcomes


def _rows(
    engine: Engine, tenant_id: str, dataset: str, page_size: int, **filters: Any
) -> list[Any]:
    where = parse_filter(DATASETS[dataset], **filters)
    plan = plan_export(engine, tenant_id, dataset, ExportFormat.JSONL, where, "urn:test")
    pages = list(iter_pages(engine, plan, page_size=page_size))
    assert all(page.scanned <= page_size for page in pages)
    return [row for page in pages for row in page.rows]


def test_small_pages_read_every_row_once_in_key_order(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    apply_catalog(engine, tenant.tenant_id, small_catalog(), NOW)
    _record(engine, tenant.scope)
    for dataset, key in (("events", (0,)), ("progress", (0, 1)), ("skills", (0, 1))):
        whole = _rows(engine, tenant.tenant_id, dataset, 10_000)
        assert whole, dataset
        for size in (1, 2, 5):
            assert _rows(engine, tenant.tenant_id, dataset, size) == whole, (dataset, size)
        keys = [tuple(row[i] for i in key) for row in whole]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert len(_rows(engine, tenant.tenant_id, "events", 2)) == 21
    in_program = _rows(engine, tenant.tenant_id, "progress", 2, program="prog")
    assert {row[1] for row in in_program} == set(ITEMS[:2])


def test_consent_is_applied_page_by_page(engine: Engine, tenant: TenantUnderTest) -> None:
    _record(engine, tenant.scope)
    with engine.begin() as connection:
        actor = operator_principal(connection, tenant.tenant_id)
        for learner in ("l1", "l4"):
            key = learner_key(tenant.scope.learner_secret, learner)
            set_consent(connection, actor, key, {Purpose.RESEARCH: True}, NOW)
    rows = _rows(engine, tenant.tenant_id, "events", 2, purpose="research")
    wanted = {learner_key(tenant.scope.learner_secret, name) for name in ("l1", "l4")}
    assert {row[2] for row in rows} == wanted and len(rows) == 6


@pytest.mark.postgres
def test_exports_read_under_row_level_security(
    postgres_engine: Engine, app_role_engine: Engine
) -> None:
    """As Stride connects in production (RLS binds): the export acts for its tenant."""
    tenant = make_tenant(postgres_engine)
    _record(postgres_engine, tenant.scope, learners=2)
    rows = _rows(app_role_engine, tenant.tenant_id, "events", 2)
    assert len(rows) == 6
    with app_role_engine.connect() as connection:
        actor = operator_principal(connection, tenant.tenant_id)
    where = parse_filter(DATASETS["events"])
    plan = plan_export(
        app_role_engine, tenant.tenant_id, "events", ExportFormat.CSV, where, "urn:t"
    )
    audit_export(app_role_engine, actor, plan, NOW)


def _cli_tenant(stride_cli: Callable[..., Any]) -> str:
    tenant_id: str = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    _record(engine, TenantScope(tenant_id, row.learner_secret))
    engine.dispose()
    return tenant_id


def test_cli_writes_files_with_a_summary_and_an_audit_entry(
    stride_cli: Callable[..., Any], tmp_path: Path
) -> None:
    tenant_id = _cli_tenant(stride_cli)
    out = tmp_path / "out"
    summary = stride_cli(
        "export", "events", "--tenant", tenant_id, "--format", "parquet", "-o", str(out), "--json"
    )
    assert summary["rows"] == 21 and summary["path"] == str(out / "events.parquet")
    assert summary["rows_per_second"] > 0
    assert pq.read_table(out / "events.parquet").num_rows == 21
    assert (out / "events.parquet").stat().st_mode & 0o077 == 0, "learner-level data: owner only"
    filtered = stride_cli(
        "export", "events", "--tenant", tenant_id, "-o", str(out), "--json",
        "--from", "2024-05-01", "--to", "2024-05-01", "--type", "exercise.attempted",
    )  # fmt: skip
    lines = (out / "events.jsonl").read_bytes().splitlines()
    assert filtered["rows"] == len(lines) == 15  # hours 0 to 14 of the first day
    assert {orjson.loads(line)["type"] for line in lines} == {"exercise.attempted"}
    shown = stride_cli(
        "export", "progress", "--tenant", tenant_id, "--format", "csv", "-o", str(out)
    )
    assert "Exported" in shown.stdout and "rows/s" in shown.stdout
    assert (out / "progress.csv").read_text().startswith("learner_key,activity_id,")
    assert not list(out.glob(".*")), "no partial file is left behind"

    engine = open_engine()
    with engine.connect() as connection:
        entries = connection.execute(
            select(audit_log).where(
                audit_log.c.tenant_id == tenant_id, audit_log.c.action == "export"
            )
        ).all()
    engine.dispose()
    assert [(e.key_id, e.resource) for e in entries] == [
        ("cli", "exports/events"),
        ("cli", "exports/events"),
        ("cli", "exports/progress"),
    ]
    assert entries[1].detail["types"] == ["exercise.attempted"]


def test_cli_errors_say_what_to_do(stride_cli: Callable[..., Any], tmp_path: Path) -> None:
    tenant_id = _cli_tenant(stride_cli)
    unknown = stride_cli("export", "events", "--tenant", "nope", "-o", str(tmp_path), expect_exit=1)
    assert "stride tenants list" in unknown.output
    a_file = tmp_path / "file"
    a_file.write_text("")
    not_dir = stride_cli(
        "export", "events", "--tenant", tenant_id, "-o", str(a_file), expect_exit=1
    )
    assert "give -o a directory" in not_dir.output
    typed = stride_cli(
        "export", "skills", "--tenant", tenant_id, "-o", str(tmp_path), "--type", "x.y",
        expect_exit=1,
    )  # fmt: skip
    assert "type: skills has no event types" in typed.output
    xapi = stride_cli(
        "export", "progress", "--tenant", tenant_id, "-o", str(tmp_path), "--format", "xapi",
        expect_exit=1,
    )  # fmt: skip
    assert "Only events can be exported as xAPI" in xapi.output
    late = stride_cli(
        "export", "events", "--tenant", tenant_id, "-o", str(tmp_path), "--from", "3001-01-01",
        expect_exit=1,
    )  # fmt: skip
    assert "from: must lie between 1900-01-01 and 2999-12-31" in late.output
    assert datetime.now(UTC) > BASE_TIME
