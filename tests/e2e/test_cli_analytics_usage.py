"""`stride analytics usage|metrics|funnel` (the commands of cli/analytics_usage.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from typer.testing import CliRunner

from stride.bootstrap import open_engine
from stride.cli import analytics_usage
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.store.tenants import get_tenant
from tests.factories import make_event

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _run(*args: str, expect_exit: int = 0) -> Any:
    result = CliRunner().invoke(analytics_usage.app, list(args))
    assert result.exit_code == expect_exit, result.output
    return orjson.loads(result.stdout) if "--json" in args else result


def test_usage_metrics_and_funnel_commands(stride_cli: Callable[..., Any]) -> None:
    tenant_id = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    start = datetime(2024, 5, 6, 9, tzinfo=UTC)
    events = [
        make_event(learner=f"l{n}", timestamp=(start + timedelta(hours=n)).isoformat())
        for n in range(6)
    ]
    limits = ValidationLimits(NOW, timedelta(hours=24))
    ingest_events(engine, TenantScope(row.id, row.learner_secret), events, limits, NOW)
    common = ("--tenant", tenant_id, "--period", "month", "--from", "2024-05-01")
    usage = _run("usage", *common, "--to", "2024-05-31", "--since", "2024-05-01", "--json")
    assert usage["series"][0]["points"][0]["events"] == 6
    metrics = _run(
        "metrics", "--type", "exercise.attempted", "--field", "result.score", *common,
        "--to", "2024-05-31", "--json",
    )  # fmt: skip
    assert metrics["groups"][0]["points"][0]["mean"] == 0.8
    steps = ("exercise.attempted:course-1/ex-1", "activity.completed")
    funnel = _run("funnel", *steps, "--tenant", tenant_id, "--json")
    assert [s["learners"] for s in funnel["steps"]] == [6, 0]
    text = _run("funnel", *steps, "--tenant", tenant_id)
    assert "Funnel" in text.output
    bad = _run("metrics", "--type", "x", "--tenant", tenant_id, "--field", "nope", expect_exit=1)
    assert "field" in bad.output
