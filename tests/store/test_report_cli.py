"""`stride report learner|summary`: the same reports as the API, written to a file."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from pypdf import PdfReader

from stride.bootstrap import open_engine
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.store.tenants import get_tenant
from tests.factories import make_event


def _seed(stride_cli: Callable[..., Any]) -> str:
    tenant_id: str = stride_cli("tenants", "create", "Acme Learning", "--json")["tenant_id"]
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    sent = [
        make_event(
            learner=learner,
            timestamp=f"2024-05-{day:02d}T10:00:00Z",
            result={"score": 1.0, "success": True, "duration_s": 900},
        )
        for learner, days in (("ana", (6, 7, 8)), ("ben", (2,)))
        for day in days
    ]
    now = datetime.now(UTC)
    limits = ValidationLimits(now, timedelta(hours=1))
    outcome = ingest_events(engine, TenantScope(tenant_id, row.learner_secret), sent, limits, now)
    assert all(o.status.value == "accepted" for o in outcome.outcomes)
    engine.dispose()
    return tenant_id


def test_learner_report_pdf_and_json(stride_cli: Callable[..., Any], tmp_path: Path) -> None:
    tenant_id = _seed(stride_cli)
    out = tmp_path / "ana.pdf"
    args = ("report", "learner", "ana", "--tenant", tenant_id, "--end", "2024-05-06")
    stride_cli(*args, "--period", "week", "--format", "pdf", "-o", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: the operator's only
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Learning report: ana" in text
    assert "45 min" in text  # three days of 15 minutes
    assert "First Perfect Score" in text
    shown = stride_cli(*args)  # JSON on stdout by default
    report = orjson.loads(shown.stdout)
    figures = {f["key"]: f["value"] for f in report["summary"]}
    # Active 6 to 8 May: a run of 3, over by Sunday the 12th.
    assert (figures["minutes"], figures["longest_streak"], figures["current_streak"]) == (45, 3, 0)


def test_summary_html(stride_cli: Callable[..., Any], tmp_path: Path) -> None:
    tenant_id = _seed(stride_cli)
    out = tmp_path / "summary.html"
    stride_cli(
        "report", "summary", "--tenant", tenant_id, "--period", "month",
        "--end", "2024-05-31", "--format", "html", "-o", str(out),
    )  # fmt: skip
    page = out.read_text()
    assert "Executive summary: Acme Learning" in page
    assert "Month 2024-05-01 to 2024-05-31" in page
    assert "Active learners: 2, none the month before" in page


def test_bad_options_exit_1(stride_cli: Callable[..., Any]) -> None:
    tenant_id = _seed(stride_cli)
    pdf = stride_cli("report", "learner", "ana", "--tenant", tenant_id, "--format", "pdf",
                     expect_exit=1)  # fmt: skip
    assert "--output" in pdf.output
    far = stride_cli("report", "summary", "--tenant", tenant_id, "--end", "3000-01-01",
                     expect_exit=1)  # fmt: skip
    assert "`end` must lie between" in far.output
    period = stride_cli("report", "summary", "--tenant", tenant_id, "--period", "year",
                        expect_exit=1)  # fmt: skip
    assert "--period" in period.output
    unknown = stride_cli("report", "learner", "nobody", "--tenant", tenant_id, expect_exit=1)
    assert "Error" in unknown.output
