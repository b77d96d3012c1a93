from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from stride.bootstrap import open_engine
from stride.ingest.pipeline import TenantScope
from stride.store.event_log import count_events
from stride.store.tenants import get_tenant
from tests.history import record_history, set_retention

Cli = Callable[..., Any]


def _tenant_with_history(stride_cli: Cli, name: str, days: int | None) -> str:
    tenant_id: str = stride_cli("tenants", "create", name, "--json")["tenant_id"]
    now = datetime.now(UTC)
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    record_history(engine, TenantScope(tenant_id, row.learner_secret), now, days=40)
    if days is not None:
        set_retention(engine, tenant_id, days, True, now)
    engine.dispose()
    return tenant_id


def _events(tenant_id: str) -> int:
    engine = open_engine()
    with engine.connect() as connection:
        held = count_events(connection, tenant_id)
    engine.dispose()
    return held


def test_run_show_and_rebuild_refusal(
    stride_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_ARCHIVE_DIR", str(tmp_path / "archive"))
    pruned = _tenant_with_history(stride_cli, "pruned", 30)
    kept = _tenant_with_history(stride_cli, "kept", None)
    held = _events(pruned)

    ran = stride_cli("retention", "run", "--json")["tenants"]
    by_tenant = {r["tenant_id"]: r for r in ran}
    assert set(by_tenant) == {pruned, kept}
    removed = by_tenant[pruned]["events_deleted"]
    assert removed > 0 and _events(pruned) == held - removed
    assert by_tenant[kept]["cutoff"] is None and by_tenant[kept]["events_deleted"] == 0
    files = by_tenant[pruned]["files"]
    assert by_tenant[pruned]["archive_dir"] == str((tmp_path / "archive" / pruned).resolve())
    assert sum(pq.read_metadata(f).num_rows for f in files) == removed

    again = stride_cli("retention", "run", "--tenant", pruned)
    assert f"{pruned}: removed 0 event(s)" in again.output
    forever = stride_cli("retention", "run", "--tenant", kept)
    assert "keeps raw events forever" in forever.output

    runs = stride_cli("retention", "show", "--tenant", pruned, "--json")["runs"]
    assert [r["events_deleted"] for r in runs] == [0, removed]
    assert "No retention runs yet" in stride_cli("retention", "show", "--tenant", kept).output
    shown = stride_cli("retention", "show", "--tenant", pruned).output
    assert "events deleted" in shown and str(removed) in shown

    refused = stride_cli("rebuild", "--json", expect_exit=1)
    assert refused["error"] == "conflict" and "--force" in refused["detail"]
    alone = stride_cli("rebuild", "--tenant", kept, "--json")
    assert alone["tenants"] == [{"tenant_id": kept, "events": _events(kept)}]
    forced = stride_cli("rebuild", "--tenant", pruned, "--force", "--json")
    assert forced["tenants"] == [{"tenant_id": pruned, "events": held - removed}]


def test_unknown_tenant(stride_cli: Cli) -> None:
    for command in ("run", "show"):
        failed = stride_cli("retention", command, "--tenant", "nope", expect_exit=1)
        assert "stride tenants list" in failed.output
