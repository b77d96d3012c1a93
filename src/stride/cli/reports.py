"""`stride report`: learner and tenant reports (docs/reports.md)."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer

from stride.analytics.projection_job import catch_up
from stride.bootstrap import open_engine
from stride.cli import report_definitions
from stride.cli.output import clear_errors, console
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.errors import FieldError, InvalidInput
from stride.privacy.pseudonym import learner_key
from stride.reports.formats import (
    LEARNER_FORMATS,
    TENANT_FORMATS,
    Rendered,
    render_learner,
    render_tenant,
)
from stride.reports.learner_report import build_learner_report
from stride.reports.periods import ReportKind
from stride.reports.tenant_report import SummaryDefinition, build_tenant_report
from stride.store.aliases import canonical_key
from stride.tenancy.audit import operator_principal

app = typer.Typer(help="Learner and tenant reports.", no_args_is_help=True)

PeriodOption = typer.Option("week", "--period", help="week or month")
EndOption = typer.Option(
    None, "--end", formats=["%Y-%m-%d"], help="A day of the period (default: the last full one)"
)
OutputOption = typer.Option(None, "--output", "-o", help="Write here (needed for pdf)")


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> Any:
    if value not in allowed:
        raise InvalidInput(
            f"{option} must be one of {', '.join(allowed)}.", [FieldError(option, repr(value))]
        )
    return value


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _write(rendered: Rendered, output: Path | None) -> None:
    if output is None:
        if rendered.extension == "pdf":
            raise InvalidInput("A PDF is binary: give --output FILE.")
        sys.stdout.write(rendered.content.decode())
        sys.stdout.flush()
        return
    # Reports hold personal data: readable by the operator only.
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(rendered.content)


@app.command("learner")
def learner(
    learner_id: str = typer.Argument(..., help="The platform's own learner id"),
    tenant: str = TenantOption,
    period: str = PeriodOption,
    end: datetime | None = EndOption,
    fmt: str = typer.Option("json", "--format", help="json, html, pdf or csv"),
    output: Path | None = OutputOption,
) -> None:
    """A learner's weekly or monthly progress report."""
    with clear_errors():
        kind: ReportKind = _choice("--period", period, ("week", "month"))
        chosen = _choice("--format", fmt, LEARNER_FORMATS)
        if chosen == "pdf" and output is None:
            raise InvalidInput("A PDF is binary: give --output FILE.")
        engine = open_engine()
        with engine.connect() as connection:
            principal = operator_principal(connection, tenant)
            key = canonical_key(
                connection, tenant, learner_key(principal.learner_secret, learner_id)
            )
            report = build_learner_report(
                connection, tenant, key, learner_id, kind, _day(end), utc_now()
            )
        _write(render_learner(report, chosen), output)
    if output is not None:
        console.print(f"Wrote the {kind} report of {report.period.start} to {output}.")


@app.command("summary")
def summary(
    tenant: str = TenantOption,
    period: str = PeriodOption,
    end: datetime | None = EndOption,
    fmt: str = typer.Option("html", "--format", help="json, html or pdf"),
    output: Path | None = OutputOption,
) -> None:
    """A tenant's executive summary, against the previous period."""
    with clear_errors():
        kind: ReportKind = _choice("--period", period, ("week", "month"))
        chosen = _choice("--format", fmt, TENANT_FORMATS)
        if chosen == "pdf" and output is None:
            raise InvalidInput("A PDF is binary: give --output FILE.")
        engine = open_engine()
        check_tenant(engine, tenant)
        catch_up(engine, tenant)  # every event stored so far, folded or not by a server yet
        with engine.connect() as connection:
            report = build_tenant_report(
                connection, tenant, SummaryDefinition(kind=kind, end=_day(end)), utc_now()
            )
        _write(render_tenant(report, chosen), output)
    if output is not None:
        console.print(f"Wrote the {kind} summary of {report.period.start} to {output}.")


app.add_typer(report_definitions.definitions, name="definitions")
app.command("run")(report_definitions.run)
app.command("runs")(report_definitions.runs)
