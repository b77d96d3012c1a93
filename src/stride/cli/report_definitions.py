"""`stride report definitions|run|runs`: saved custom reports (docs/reports.md)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.config import get_settings
from stride.errors import InvalidInput
from stride.reports import custom_reports as service
from stride.reports.runner import ReportRunner, RunnerConfig
from stride.store.report_schedules import DefinitionRow, RunRow
from stride.tenancy.audit import operator_principal

definitions = typer.Typer(help="Saved custom report definitions.", no_args_is_help=True)

DEFINITION_FIELDS = ("id", "name", "definition", "cron", "delivery", "format", "enabled")
RUN_FIELDS = (
    "id",
    "report_id",
    "trigger",
    "scheduled_for",
    "status",
    "attempts",
    "next_attempt_at",
    "error",
    "output_path",
    "content_type",
)


def _definition(row: DefinitionRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in DEFINITION_FIELDS}


def _run(row: RunRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in RUN_FIELDS}


def _delivery(webhook: str | None, directory: str | None) -> dict[str, Any] | None:
    if webhook is not None and directory is not None:
        raise InvalidInput("Give --webhook or --directory, not both.")
    if webhook is not None:
        return {"kind": "webhook", "url": webhook}
    if directory is not None:
        return {"kind": "directory", "path": directory}
    return None


@definitions.command("create")
def create(
    tenant: str = TenantOption,
    name: str = typer.Option(..., "--name", help="Shown in listings and file names"),
    period: str = typer.Option("week", "--period", help="week or month"),
    metric: list[str] | None = typer.Option(None, "--metric", help="Repeatable; default: all"),
    breakdown: str | None = typer.Option(None, "--breakdown", help="program, course, platform"),
    group: list[str] | None = typer.Option(None, "--group", help="Keep this breakdown value"),
    cron: str | None = typer.Option(None, "--cron", help='UTC, e.g. "0 6 * * 1"'),
    fmt: str = typer.Option("html", "--format", help="json, html, pdf or csv"),
    webhook: str | None = typer.Option(None, "--webhook", help="Deliver to this URL, signed"),
    directory: str | None = typer.Option(None, "--directory", help="Write runs here"),
    as_json: bool = JsonOption,
) -> None:
    """Save a custom report; a webhook delivery's signing secret is printed once."""
    with clear_errors(as_json):
        document: dict[str, Any] = {"period": period, "breakdown": breakdown}
        if metric:
            document["metrics"] = metric
        if group:
            document["filters"] = {"groups": group}
        request = service.DefinitionRequest(
            name, document, cron, _delivery(webhook, directory), fmt
        )
        settings = get_settings()
        rules = service.DeliveryRules(
            settings.WEBHOOK_ALLOW_PRIVATE_TARGETS, tuple(settings.REPORT_DIRECTORIES)
        )
        engine = open_engine()
        with engine.connect() as connection:
            principal = operator_principal(connection, tenant)
        row = service.create_definition(engine, principal, request, rules, utc_now())
    shown = {**_definition(row), "secret": row.secret}

    def text() -> None:
        console.print(f"Saved report {row.id} ({row.name}).")
        if row.secret:
            console.print(f"Webhook signing secret (shown once): {row.secret}")

    emit(as_json, shown, text)


@definitions.command("list")
def list_command(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """List the tenant's saved reports."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        rows = service.list_definitions(engine, tenant)

    def table() -> None:
        out = Table("id", "name", "cron", "format", "delivery", "enabled")
        for r in rows:
            kind = r.delivery["kind"] if r.delivery else "-"
            out.add_row(r.id, r.name, r.cron or "-", r.format, kind, str(r.enabled))
        console.print(out if rows else "No saved reports.")

    emit(as_json, {"definitions": [_definition(r) for r in rows]}, table)


@definitions.command("delete")
def delete(
    report_id: str = typer.Argument(..., help="The report definition's id"),
    tenant: str = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Delete a saved report and its runs."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.connect() as connection:
            principal = operator_principal(connection, tenant)
        service.delete_definition(engine, principal, report_id, utc_now())
    emit(as_json, {"deleted": report_id}, lambda: console.print(f"Deleted report {report_id}."))


def run(
    report_id: str = typer.Argument(..., help="The report definition's id"),
    tenant: str = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Run a saved report now: render, store and deliver it."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        runner = ReportRunner(engine, RunnerConfig.from_settings(get_settings()))
        try:
            row = runner.run_now(tenant, report_id, utc_now())
        finally:
            runner.close()
    text = f"Run {row.id}: {row.status}" + (f" ({row.error})" if row.error else "")
    emit(as_json, _run(row), lambda: console.print(text))


def runs(
    tenant: str = TenantOption,
    report: str | None = typer.Option(None, "--report", help="Only this report's runs"),
    status: str | None = typer.Option(None, "--status", help="pending, succeeded or failed"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """The tenant's report runs, newest first."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        page = service.list_runs(engine, tenant, report, status, None, limit)

    def table() -> None:
        out = Table("id", "report", "scheduled for", "status", "attempts", "error")
        for r in page.runs:
            when = r.scheduled_for.isoformat(timespec="seconds")
            out.add_row(r.id, r.report_id, when, r.status, str(r.attempts), r.error or "-")
        console.print(out if page.runs else "No report runs.")

    emit(as_json, {"runs": [_run(r) for r in page.runs]}, table)
