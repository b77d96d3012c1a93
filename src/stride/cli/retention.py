"""`stride retention`: remove raw events older than each tenant's policy keeps; list runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Connection

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit, progress_bar
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.config import get_settings
from stride.errors import NotFound
from stride.privacy.retention import RetentionReport, list_runs, run_retention
from stride.store.retention import RetentionRun
from stride.store.tenants import TenantRow, get_tenant, list_tenants
from stride.tenancy.audit import CLI_PRINCIPAL_KEY_ID
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal

app = typer.Typer(help="Raw-event retention (storage limitation).", no_args_is_help=True)


@app.command("run")
def run(
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (default: all)"),
    as_json: bool = JsonOption,
) -> None:
    """Remove events older than each tenant's `retention.raw_events_days` (archived first
    when its policy says so); read models are kept. Idempotent; audited as `cli`."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.connect() as connection:
            found = list_tenants(connection) if tenant is None else _one(connection, tenant)
        archive_dir = Path(get_settings().ARCHIVE_DIR)
        reports: list[RetentionReport] = []
        with progress_bar() as progress:
            task = progress.add_task("Applying retention", total=len(found))
            for row in found:
                actor = Principal(row.id, CLI_PRINCIPAL_KEY_ID, Role.ADMIN, row.learner_secret)
                reports.append(run_retention(engine, actor, utc_now(), archive_dir))
                progress.advance(task)
    emit(as_json, {"tenants": [_as_dict(r) for r in reports]}, lambda: _print_reports(reports))


@app.command("show")
def show(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """List the tenant's past retention runs, newest first (the last 100)."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        with engine.connect() as connection:
            runs = list_runs(connection, tenant)

    def table() -> None:
        out = Table("run", "ran at", "cutoff", "events deleted")
        out.add_column("archive", overflow="fold")  # a path to copy, never cut short
        for r in runs:
            out.add_row(
                str(r.seq),
                r.ran_at.isoformat(timespec="seconds"),
                r.cutoff.isoformat(timespec="seconds"),
                str(r.events_deleted),
                r.archive or "-",
            )
        console.print(out if runs else "No retention runs yet.")

    emit(as_json, {"runs": [{"run": r.seq, **_run_fields(r)} for r in runs]}, table)


def _one(connection: Connection, tenant_id: str) -> list[TenantRow]:
    row = get_tenant(connection, tenant_id)
    if row is None:
        raise NotFound(f"No tenant with id {tenant_id!r}; `stride tenants list` shows them.")
    return [row]


def _run_fields(run: RetentionRun) -> dict[str, Any]:
    return {
        "ran_at": run.ran_at,
        "cutoff": run.cutoff,
        "events_deleted": run.events_deleted,
        "archive": run.archive,
    }


def _as_dict(report: RetentionReport) -> dict[str, Any]:
    return {
        "tenant_id": report.tenant_id,
        "run": report.run_seq,
        "cutoff": report.cutoff,
        "events_deleted": report.events_deleted,
        "files": list(report.files),
        "archive_dir": report.archive_dir,
        "seconds": round(report.seconds, 3),
    }


def _print_reports(reports: list[RetentionReport]) -> None:
    for r in reports:
        if r.cutoff is None:
            console.print(f"{r.tenant_id}: the policy keeps raw events forever; nothing to do.")
            continue
        where = f", archived in {len(r.files)} file(s) under {r.archive_dir}" if r.files else ""
        console.print(
            f"{r.tenant_id}: removed {r.events_deleted} event(s) from before "
            f"{r.cutoff.isoformat(timespec='seconds')}{where}.",
            soft_wrap=True,
        )
    if not reports:
        console.print("No tenants.")
