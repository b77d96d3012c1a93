"""The `quality` command (registered by the lead as `stride analytics quality`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import typer
from typer.testing import CliRunner

from stride.bootstrap import open_engine
from stride.cli import analytics_quality
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.store.tenants import get_tenant
from tests.factories import make_event

# As `stride analytics` registers it: analytics_app.add_typer(analytics_quality.app).
app = typer.Typer()
app.add_typer(analytics_quality.app)


@app.callback()
def _group() -> None:
    """Stands for `stride analytics`."""


def test_quality_prints_json_and_a_table(stride_cli: Callable[..., Any]) -> None:
    tenant_id = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    now = datetime.now(UTC)
    sent = [make_event(timestamp=(now - timedelta(minutes=5)).isoformat()), {"bad": 1}]
    limits = ValidationLimits(now, timedelta(hours=1))
    ingest_events(engine, TenantScope(tenant_id, row.learner_secret), sent, limits, now)
    engine.dispose()
    runner = CliRunner()
    result = runner.invoke(app, ["quality", "--tenant", tenant_id, "--period", "week", "--json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert (report["totals"]["accepted"], report["totals"]["rejected"]) == (1, 1)
    shown = runner.invoke(app, ["quality", "--tenant", tenant_id])
    assert shown.exit_code == 0, shown.output
    assert "Data quality" in shown.stdout and "total" in shown.stdout
    bad = runner.invoke(app, ["quality", "--tenant", tenant_id, "--period", "year", "--json"])
    assert bad.exit_code == 1 and "period" in bad.stdout
