"""`stride export`: events and read models to files."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Engine

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit, progress_bar
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.config import get_settings
from stride.errors import InvalidInput
from stride.exports.datasets import DATASETS, Dataset
from stride.exports.filters import parse_filter
from stride.exports.service import (
    ExportPlan,
    ExportResult,
    Page,
    audit_export,
    count_export,
    plan_export,
    write_export,
)
from stride.exports.writers import ExportFormat
from stride.tenancy.audit import operator_principal

app = typer.Typer(help="Export events and read models.", no_args_is_help=True)

_DAY = ["%Y-%m-%d"]


def _export_command(dataset: Dataset) -> Callable[..., None]:
    def command(
        tenant: str = TenantOption,
        export_format: ExportFormat = typer.Option(
            ExportFormat.JSONL, "--format", help="jsonl, csv, parquet (or xapi, events only)"
        ),
        output: Path = typer.Option(
            ..., "-o", "--output", help="Directory to write <dataset>.<format> into"
        ),
        first_day: datetime | None = typer.Option(
            None, "--from", formats=_DAY, help="First UTC day (YYYY-MM-DD)"
        ),
        last_day: datetime | None = typer.Option(
            None, "--to", formats=_DAY, help="Last UTC day, inclusive"
        ),
        program: str | None = typer.Option(None, "--program", help="Only this program's rows"),
        types: list[str] | None = typer.Option(
            None, "--type", help="Only these event types (events only; repeat the option)"
        ),
        purpose: str = typer.Option(
            "analytics", "--purpose", help="analytics, or research (research consenters only)"
        ),
        as_json: bool = JsonOption,
    ) -> None:
        with clear_errors(as_json):
            where = parse_filter(
                dataset,
                first_day=first_day.date() if first_day else None,
                last_day=last_day.date() if last_day else None,
                program=program,
                types=types or (),
                purpose=purpose,
            )
            engine = open_engine()
            check_tenant(engine, tenant)
            base_iri = get_settings().PUBLIC_URL or f"urn:stride:{tenant}"
            plan = plan_export(engine, tenant, dataset.name, export_format, where, base_iri)
            path = _target(output, plan)
            with engine.connect() as connection:
                actor = operator_principal(connection, tenant)
            audit_export(engine, actor, plan, utc_now())
            result = _run(engine, plan, path)
        emit(as_json, _summary(plan, path, result), lambda: _print(plan, path, result))

    command.__doc__ = (
        f"{dataset.description}: to DIR/{dataset.name}.<format>, by pseudonymous learner key, "
        "only learners consenting to --purpose. Audited as `cli`."
    )
    return command


for _dataset in DATASETS.values():
    app.command(_dataset.name)(_export_command(_dataset))


def _target(directory: Path, plan: ExportPlan) -> Path:
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"{directory} is a file; give -o a directory to write the export into.")
    try:
        # Exports are learner-level data: a new directory is the operator's alone.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"Cannot create {directory} ({exc.strerror}); choose another directory with -o."
        ) from exc
    return directory / plan.filename


def _run(engine: Engine, plan: ExportPlan, path: Path) -> ExportResult:
    """Write to a hidden temporary file, renamed into place only once complete."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise InvalidInput(
            f"Cannot write {path} ({exc.strerror}); choose another directory with -o."
        ) from exc
    try:
        with os.fdopen(descriptor, "wb") as handle, progress_bar() as progress:
            task = progress.add_task(
                f"Exporting {plan.dataset.name}", total=count_export(engine, plan)
            )

            def advance(page: Page) -> None:
                progress.advance(task, page.scanned)

            result = write_export(engine, plan, handle, advance)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return result


def _summary(plan: ExportPlan, path: Path, result: ExportResult) -> dict[str, Any]:
    return {
        "dataset": plan.dataset.name,
        "format": plan.format.value,
        "path": str(path),
        "rows": result.rows,
        "seconds": round(result.seconds, 3),
        "rows_per_second": round(result.rows_per_second),
        "filter": plan.where.describe(),
    }


def _print(plan: ExportPlan, path: Path, result: ExportResult) -> None:
    console.print(
        f"Exported {result.rows:,} {plan.dataset.name} rows to {path} in "
        f"{result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s).",
        soft_wrap=True,
    )
