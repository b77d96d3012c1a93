"""The learner-level read models read page by page (keyset paging on both databases, under
Row-Level Security too), and `stride export` writing them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from stride.bootstrap import open_engine
from stride.catalog.service import apply_catalog
from stride.certificates.service import issue_certificate
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store.tenants import get_tenant
from stride.tenancy.audit import operator_principal
from tests.catalogs import small_catalog
from tests.factories import BASE_TIME, make_event
from tests.fixtures.tenant import TenantUnderTest, make_tenant
from tests.store.test_export_cli import _rows

NOW = BASE_TIME + timedelta(days=30)
LEARNERS = 5
CERTIFICATION = {
    "program": "prog",
    "name": "Project Basics",
    "required_modules": [{"module": "prog/c1/m1", "min_score": 0.5}],
    "min_hours": 0.01,
}
# Each dataset's keyset: positions of its key columns in a row.
KEYS: dict[str, tuple[int, ...]] = {
    "learners": (0,),
    "days": (0, 1),
    "points": (0, 1),
    "goals": (0, 1),
    "certificates": (1,),
}


def _record(engine: Engine, scope: TenantScope) -> None:
    """Each learner active on several days (some a week apart) with two goals."""
    sent: list[dict[str, Any]] = []
    for n in range(LEARNERS):
        for day in (0, 1, 3, 8 + n):
            for item in ("prog/c1/m1/ex1", "prog/c1/m1/ex2"):
                sent.append(
                    make_event(
                        learner=f"l{n}",
                        timestamp=(BASE_TIME + timedelta(days=day, minutes=n)).isoformat(),
                        activity={"id": item, "type": "exercise"},
                        result={
                            "score": 0.9,
                            "success": True,
                            "completion": True,
                            "duration_s": 120,
                        },
                    )
                )
        for goal in ("a", "b"):
            sent.append(
                make_event(
                    learner=f"l{n}",
                    type="goal.set",
                    timestamp=(BASE_TIME + timedelta(days=2, minutes=n)).isoformat(),
                    activity=None,
                    result=None,
                    properties={"goal_id": goal, "kind": "weekly_minutes", "target": 30},
                )
            )
    limits = ValidationLimits(NOW, timedelta(hours=24))
    report = ingest_events(engine, scope, sent, limits, NOW)
    assert all(o.status.value == "accepted" for o in report.outcomes), report.outcomes


def _certify(engine: Engine, tenant: TenantUnderTest) -> None:
    with engine.connect() as connection:
        actor = operator_principal(connection, tenant.tenant_id)
    for n in range(LEARNERS):
        key = learner_key(tenant.scope.learner_secret, f"l{n}")
        issue_certificate(engine, actor, key, "prog", "https://stride.example.org", NOW)


def _setup(engine: Engine, tenant: TenantUnderTest) -> None:
    catalog = {**small_catalog(), "certifications": [CERTIFICATION]}
    apply_catalog(engine, tenant.tenant_id, catalog, NOW)
    _record(engine, tenant.scope)
    _certify(engine, tenant)


def test_small_pages_read_every_row_once_in_key_order(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    _setup(engine, tenant)
    counts = {}
    for dataset, key in KEYS.items():
        whole = _rows(engine, tenant.tenant_id, dataset, 10_000)
        counts[dataset] = len(whole)
        for size in (1, 2, 7):
            assert _rows(engine, tenant.tenant_id, dataset, size) == whole, (dataset, size)
        keys = [tuple(row[i] for i in key) for row in whole]
        assert keys == sorted(keys) and len(set(keys)) == len(keys), dataset
    assert counts["learners"] == counts["certificates"] == LEARNERS
    assert counts["goals"] == 2 * LEARNERS
    assert counts["days"] == 5 * LEARNERS  # days 0, 1, 2 (goals), 3 and 8 + n
    # Page boundaries inside one learner's days: a filter by day still pages correctly.
    start = BASE_TIME.date()
    first_week = _rows(
        engine, tenant.tenant_id, "days", 2, first_day=start, last_day=start + timedelta(days=3)
    )
    assert len(first_week) == 4 * LEARNERS
    assert {row[1] for row in first_week} == {start + timedelta(days=d) for d in (0, 1, 2, 3)}


@pytest.mark.postgres
def test_read_models_export_under_row_level_security(
    postgres_engine: Engine, app_role_engine: Engine
) -> None:
    """As Stride connects in production: each table's policy lets the export read its tenant."""
    tenant = make_tenant(postgres_engine)
    other = make_tenant(postgres_engine)
    _setup(postgres_engine, tenant)
    _setup(postgres_engine, other)
    for dataset in KEYS:
        mine = _rows(app_role_engine, tenant.tenant_id, dataset, 3)
        assert mine == _rows(postgres_engine, tenant.tenant_id, dataset, 3), dataset
        theirs = {learner_key(other.scope.learner_secret, f"l{n}") for n in range(LEARNERS)}
        assert not {row[0] for row in mine} & theirs


def test_cli_exports_a_read_model(stride_cli: Callable[..., Any], tmp_path: Path) -> None:
    tenant_id: str = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    _record(engine, TenantScope(tenant_id, row.learner_secret))
    engine.dispose()
    summary = stride_cli(
        "export", "days", "--tenant", tenant_id, "--format", "parquet", "-o", str(tmp_path),
        "--from", "2024-05-01", "--to", "2024-05-02", "--json",
    )  # fmt: skip
    assert summary["rows"] == 2 * LEARNERS and summary["path"] == str(tmp_path / "days.parquet")
    table = pq.read_table(tmp_path / "days.parquet")
    assert table.num_rows == 2 * LEARNERS and table.schema.field("day").type == "date32[day]"
    refused = stride_cli(
        "export", "learners", "--tenant", tenant_id, "-o", str(tmp_path), "--program", "prog",
        expect_exit=1,
    )  # fmt: skip
    assert "program: learners cannot be filtered by program" in refused.output
