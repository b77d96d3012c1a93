"""`stride analytics ...`: a tenant's analytics reports in the terminal (docs/analytics.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer
from rich.table import Table

from stride.analytics.engagement_schemas import EngagementPublic, LifecyclePublic, RetentionPublic
from stride.analytics.engagement_service import (
    Breakdown,
    get_engagement,
    get_lifecycle,
    resolve_range,
)
from stride.analytics.periods import KINDS, Kind
from stride.analytics.projection_job import catch_up
from stride.analytics.retention_fold import ANY, RETENTION_EVENT_TYPES
from stride.analytics.retention_service import (
    DEFAULT_COHORTS,
    MAX_COHORTS,
    Entry,
    RetentionQuery,
    get_retention,
)
from stride.bootstrap import open_engine
from stride.cli import analytics_learning, analytics_quality, analytics_usage
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.errors import FieldError, InvalidInput

app = typer.Typer(help="Analytics reports of a tenant.", no_args_is_help=True)

DAY_FORMATS = ["%Y-%m-%d"]
PeriodOption = typer.Option("day", "--period", help="day, week or month")
FromOption = typer.Option(None, "--from", formats=DAY_FORMATS, help="First local day")
ToOption = typer.Option(None, "--to", formats=DAY_FORMATS, help="Last local day (default today)")
# Given to the services as the API gives its `program` query parameter, so both refuse the same.
ProgramOption = typer.Option(
    None, "--program", help="A program's activity id: only its learners' activity in it"
)


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> Any:
    if value not in allowed:
        raise InvalidInput(
            f"{option} must be one of {', '.join(allowed)}.",
            [FieldError(option, f"got {value!r}")],
        )
    return value


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _event(option: str, value: str) -> str:
    if value == "any":
        return ANY
    if value not in RETENTION_EVENT_TYPES:
        allowed = ", ".join(sorted(RETENTION_EVENT_TYPES))
        raise InvalidInput(f"{option}: any, or one of {allowed}.", [FieldError(option, value)])
    return value


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@app.command("engagement")
def engagement(
    tenant: str = TenantOption,
    period: str = PeriodOption,
    first: datetime | None = FromOption,
    last: datetime | None = ToOption,
    breakdown: str | None = typer.Option(None, "--breakdown", help="program, course, platform"),
    as_json: bool = JsonOption,
) -> None:
    """Active learners (DAU/WAU/MAU), stickiness, sessions and time per period."""
    with clear_errors(as_json):
        kind: Kind = _choice("--period", period, KINDS)
        group: Breakdown | None = (
            None
            if breakdown is None
            else _choice("--breakdown", breakdown, ("program", "course", "platform"))
        )
        today = utc_now().date()
        span = resolve_range(kind, _day(first), _day(last), today)
        engine = open_engine()
        check_tenant(engine, tenant)
        catch_up(engine, tenant)  # every event stored so far, whether a server folded it yet or not
        with engine.connect() as connection:
            report = EngagementPublic.model_validate(
                get_engagement(connection, tenant, span, group, today)
            )

    def table() -> None:
        out = Table("period", "active", "DAU", "WAU", "MAU", "stickiness", "sessions", "hours")
        for p in report.series:
            out.add_row(
                p.period_start.isoformat(),
                str(p.active_learners),
                f"{p.dau:.1f}",
                str(p.wau),
                str(p.mau),
                _ratio(p.stickiness),
                str(p.sessions),
                f"{p.time_invested_ms / 3_600_000:.1f}",
            )
        console.print(out)
        for g in report.groups:
            console.print(
                f"{breakdown} {g.value}: {sum(p.active_learners for p in g.series)} "
                "learner-periods active"
            )
        if report.note:
            console.print(report.note)

    emit(as_json, report.model_dump(mode="json", by_alias=True), table)


@app.command("retention")
def retention(
    tenant: str = TenantOption,
    period: str = typer.Option("week", "--period", help="day, week or month"),
    first: datetime | None = FromOption,
    last: datetime | None = ToOption,
    start_event: str = typer.Option("any", "--start-event", help="An event type, or any"),
    return_event: str = typer.Option("any", "--return-event", help="An event type, or any"),
    entry: str = typer.Option("first", "--entry", help="first or recurring"),
    mode: str = typer.Option("on", "--return", help="on or on_or_after"),
    program: str | None = ProgramOption,
    as_json: bool = JsonOption,
) -> None:
    """Retention cohorts: size and share returning in each later period (of one program's
    activity with --program)."""
    with clear_errors(as_json):
        kind: Kind = _choice("--period", period, KINDS)
        chosen: Entry = _choice("--entry", entry, ("first", "recurring"))
        today = utc_now().date()
        span = resolve_range(kind, _day(first), _day(last), today, DEFAULT_COHORTS, MAX_COHORTS)
        query = RetentionQuery(
            span,
            _event("--start-event", start_event),
            _event("--return-event", return_event),
            chosen,
            _choice("--return", mode, ("on", "on_or_after")),
            program,
        )
        engine = open_engine()
        check_tenant(engine, tenant)
        catch_up(engine, tenant)  # every event stored so far, whether a server folded it yet or not
        with engine.connect() as connection:
            report = RetentionPublic.model_validate(get_retention(connection, tenant, query, today))

    def table() -> None:
        shown = min(report.periods, 8)
        out = Table("cohort", "size", *(str(k) for k in range(1, shown + 1)))
        for row in report.cohorts:
            shares = [_ratio(c.share) for c in row.cells[1 : shown + 1]]
            out.add_row(row.cohort_start.isoformat(), str(row.size), *shares)
        out.add_row("mean", "", *(_ratio(m.share) for m in report.mean[1 : shown + 1]))
        console.print(out)
        if report.note:
            console.print(report.note)

    emit(as_json, report.model_dump(mode="json", by_alias=True), table)


@app.command("lifecycle")
def lifecycle(
    tenant: str = TenantOption,
    period: str = typer.Option("week", "--period", help="day, week or month"),
    first: datetime | None = FromOption,
    last: datetime | None = ToOption,
    program: str | None = ProgramOption,
    as_json: bool = JsonOption,
) -> None:
    """New, returning, resurrecting and dormant learners per period (of one program's
    learners with --program)."""
    with clear_errors(as_json):
        kind: Kind = _choice("--period", period, KINDS)
        today = utc_now().date()
        span = resolve_range(kind, _day(first), _day(last), today)
        engine = open_engine()
        check_tenant(engine, tenant)
        catch_up(engine, tenant)  # every event stored so far, whether a server folded it yet or not
        with engine.connect() as connection:
            report = LifecyclePublic.model_validate(
                get_lifecycle(connection, tenant, span, today, program)
            )

    def table() -> None:
        out = Table("period", "active", "new", "returning", "resurrecting", "dormant")
        for p in report.series:
            out.add_row(
                p.period_start.isoformat(),
                *(str(n) for n in (p.active, p.new, p.returning, p.resurrecting, -p.dormant)),
            )
        console.print(out)
        if report.note:  # a program below min_group_size: say why the table is empty
            console.print(report.note)

    emit(as_json, report.model_dump(mode="json", by_alias=True), table)


# Usage, learning and data-quality commands live in modules of their own; they join this
# group so `stride analytics --help` lists every report.
for _commands in (analytics_usage.app, analytics_learning.app, analytics_quality.app):
    app.registered_commands += _commands.registered_commands
