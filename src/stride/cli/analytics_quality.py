"""`stride analytics quality`: a tenant's data-quality report (docs/data-quality.md)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from stride.analytics.anomalies import DEFAULT_HISTORY_WEEKS, DEFAULT_THRESHOLD
from stride.analytics.quality import QualityRequest, get_data_quality
from stride.analytics.quality_periods import Period
from stride.analytics.quality_views import DataQualityView, QualityFigures
from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.errors import FieldError, InvalidInput

app = typer.Typer(help="Data quality of ingest.", no_args_is_help=True)

DAY_FORMATS = ["%Y-%m-%d"]


@app.command("quality")
def quality(
    tenant: str = TenantOption,
    period: str = typer.Option("day", "--period", help="day, week or month"),
    first: datetime | None = typer.Option(
        None, "--from", formats=DAY_FORMATS, help="First UTC day (default: 30 days, ...)"
    ),
    last: datetime | None = typer.Option(
        None, "--to", formats=DAY_FORMATS, help="Last UTC day (default: today)"
    ),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", min=0.1, max=100),
    history_weeks: int = typer.Option(DEFAULT_HISTORY_WEEKS, "--history-weeks", min=4, max=52),
    as_json: bool = JsonOption,
) -> None:
    """Accepted, duplicate, conflict and rejected events, lateness, clock skew, PII findings
    per period, and hourly volume anomalies, as `GET /v1/analytics/data-quality` shows them."""
    with clear_errors(as_json):
        if period not in ("day", "week", "month"):
            raise InvalidInput(
                "--period must be day, week or month.", [FieldError("period", "day|week|month")]
            )
        engine = open_engine()
        check_tenant(engine, tenant)
        request = QualityRequest(
            _period(period),
            first.date() if first else None,
            last.date() if last else None,
            threshold,
            history_weeks,
        )
        with engine.connect() as connection:
            report = get_data_quality(connection, tenant, request, utc_now())
    emit(as_json, report.model_dump(mode="json", by_alias=True), lambda: _print(report))


def _period(text: str) -> Period:
    return "week" if text == "week" else "month" if text == "month" else "day"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("d", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.1f} s"


def _row(label: str, f: QualityFigures) -> list[str]:
    reasons = " ".join(f"{r}:{n}" for r, n in f.rejected_by_reason.items() if n)
    late = f.lateness
    return [
        label,
        str(f.received),
        str(f.accepted),
        str(f.duplicate),
        str(f.conflict),
        f"{f.rejected} {reasons}".strip(),
        " / ".join(_seconds(v) for v in (late.p50_s, late.p90_s, late.p99_s)),
        f"{f.clock_skew.events} (max {_seconds(f.clock_skew.max_ahead_s)})",
        str(sum(f.pii_findings.redacted.values())),
    ]


def _print(report: DataQualityView) -> None:
    table = Table(
        report.period,
        "received",
        "accepted",
        "duplicate",
        "conflict",
        "rejected",
        "late p50 / p90 / p99",
        "ahead",
        "PII redacted",
        title=f"Data quality {report.from_} .. {report.to} (UTC)",
    )
    for p in report.periods:
        table.add_row(*_row(p.start.isoformat() + ("" if p.complete else " *"), p.figures))
    table.add_row(*_row("total", report.totals), style="bold")
    console.print(table)
    console.print("* incomplete period")
    if report.invalid_fields:
        console.print("Most frequent errors of invalid events:")
        for field in report.invalid_fields[:5]:
            console.print(f"  {field.count} x {field.path}: {field.message}", soft_wrap=True)
    volume = report.volume
    console.print(
        f"Volume anomalies (|z| >= {volume.threshold:g} against {volume.history_weeks} weeks, "
        f"{volume.hours_scored} hours scored): {len(volume.anomalies) or 'none'}"
    )
    for a in volume.anomalies:
        console.print(
            f"  {a.hour:%Y-%m-%d %H:00} count {a.count}, expected {a.expected:g}, "
            f"z {a.z:+.1f}, size {a.size:+g}"
        )
