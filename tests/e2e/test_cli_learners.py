from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from stride.bootstrap import open_engine
from stride.cli.main import app
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.store.tables import audit_log
from stride.store.tenants import get_tenant
from tests.factories import make_event

Cli = Callable[..., Any]
RAW_ID = "li-raw-93fe"


def _tenant_with_events(stride_cli: Cli) -> str:
    tenant_id: str = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    now = datetime.now(UTC)
    sent = [
        make_event(learner=learner, timestamp=(now - timedelta(hours=i)).isoformat())
        for learner in (RAW_ID, "other")
        for i in range(3)
    ]
    scope = TenantScope(tenant_id, row.learner_secret)
    ingest_events(engine, scope, sent, ValidationLimits(now, timedelta(hours=1)), now)
    engine.dispose()
    return tenant_id


def _audited_actions(tenant_id: str) -> list[tuple[str, str]]:
    engine = open_engine()
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.action, audit_log.c.key_id)
            .where(audit_log.c.tenant_id == tenant_id)
            .order_by(audit_log.c.seq)
        ).all()
    engine.dispose()
    return [(row.action, row.key_id) for row in rows]


def test_export_as_json_and_zip(stride_cli: Cli, tmp_path: Path) -> None:
    tenant = _tenant_with_events(stride_cli)

    printed = stride_cli("learners", "export", RAW_ID, "--tenant", tenant)
    document = json.loads(printed.stdout)
    assert len(document["tables"]["events"]) == 3 and document["learner_key"]

    target = tmp_path / "out.zip"
    summary = stride_cli(
        "learners", "export", RAW_ID, "--tenant", tenant, "--format", "zip",
        "--output", str(target), "--json",
    )  # fmt: skip
    assert summary["tables"]["events"] == 3 and summary["total"] == sum(summary["tables"].values())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600, "personal data: owner only"
    with zipfile.ZipFile(target) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("events.csv").decode())))
        assert "README.txt" in archive.namelist()
    assert len(rows) == 3

    as_file = tmp_path / "out.json"
    stride_cli("learners", "export", RAW_ID, "--tenant", tenant, "--output", str(as_file))
    assert json.loads(as_file.read_text())["tables"] == document["tables"]
    assert _audited_actions(tenant) == [("learner.export", "cli")] * 3

    needs_file = stride_cli(
        "learners", "export", RAW_ID, "--tenant", tenant, "--format", "zip", expect_exit=1
    )
    assert "--output" in needs_file.output
    missing = stride_cli(
        "learners", "export", "nobody", "--tenant", tenant, "--json", expect_exit=1
    )
    assert missing["error"] == "not_found"
    unknown = stride_cli("learners", "export", RAW_ID, "--tenant", "nope", expect_exit=1)
    assert "stride tenants list" in unknown.output


def test_erase_asks_first_and_is_idempotent(stride_cli: Cli) -> None:
    tenant = _tenant_with_events(stride_cli)

    args = ["learners", "erase", RAW_ID, "--tenant", tenant]
    declined = CliRunner().invoke(app, args, input="n\n")
    assert declined.exit_code == 1 and "Nothing erased" in declined.output
    assert "cannot be undone" in declined.output
    no_answer = stride_cli(*args, expect_exit=1)  # no terminal to ask on: nothing happens
    assert "Aborted" in no_answer.output
    assert _audited_actions(tenant) == []

    confirmed = CliRunner().invoke(app, [*args, "--json"], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    # The question goes to stderr; the test runner echoes the typed answer to stdout.
    erased = json.loads(confirmed.stdout.splitlines()[-1])
    assert erased["tables"]["events"] == 3 and erased["total"] >= 3
    again = stride_cli("learners", "erase", RAW_ID, "--tenant", tenant, "--yes", "--json")
    assert again["total"] == 0
    assert _audited_actions(tenant) == [("learner.erase", "cli")] * 2

    friendly = stride_cli("learners", "erase", RAW_ID, "--tenant", tenant, "--yes")
    assert "Erased 0 rows" in friendly.output
    stride_cli("learners", "export", RAW_ID, "--tenant", tenant, expect_exit=1)
    other = json.loads(stride_cli("learners", "export", "other", "--tenant", tenant).stdout)
    assert len(other["tables"]["events"]) == 3
