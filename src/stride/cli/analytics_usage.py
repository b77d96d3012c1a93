"""`stride analytics usage|metrics|funnel`: usage, metrics and funnels (docs/analytics-usage.md)."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.table import Table

from stride.analytics.funnels import FunnelOrder
from stride.analytics.funnels_service import FunnelRequest, get_funnel
from stride.analytics.metrics_service import MetricsRequest, get_metrics
from stride.analytics.projection_job import catch_up
from stride.analytics.usage_periods import report_range
from stride.analytics.usage_service import UsageRequest, get_usage
from stride.analytics.usage_views import FunnelView, MetricsView, UsageView
from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.errors import FieldError, InvalidInput

app = typer.Typer(help="Usage, metrics and funnels.", no_args_is_help=True)

DAY_FORMATS = ["%Y-%m-%d"]
PeriodOption = typer.Option("day", "--period", help="day, week or month (UTC)")
FromOption = typer.Option(None, "--from", formats=DAY_FORMATS, help="First UTC day")
ToOption = typer.Option(None, "--to", formats=DAY_FORMATS, help="Last UTC day (default today)")


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@app.command("usage")
def usage(
    tenant: str = TenantOption,
    period: str = PeriodOption,
    first: datetime | None = FromOption,
    last: datetime | None = ToOption,
    types: list[str] | None = typer.Option(None, "--type", help="Exact types (repeatable)"),
    feature: str | None = typer.Option(None, "--feature", help="Type prefix, e.g. custom."),
    since: datetime | None = typer.Option(None, "--since", formats=DAY_FORMATS, help="Adoption"),
    as_json: bool = JsonOption,
) -> None:
    """Events and distinct learners per event type and period; adoption since a date."""
    with clear_errors(as_json):
        span = report_range(period, _day(first), _day(last), utc_now().date())
        engine = open_engine()
        check_tenant(engine, tenant)
        catch_up(engine, tenant)  # every event stored so far, whether a server folded it yet or not
        request = UsageRequest(span, tuple(types or ()), feature, _day(since))
        with engine.connect() as connection:
            view = get_usage(connection, tenant, request)
    emit(as_json, view.model_dump(mode="json"), lambda: _print_usage(view))


@app.command("metrics")
def metrics(
    event_type: str = typer.Option(..., "--type", help="An event type, e.g. custom.quiz"),
    tenant: str = TenantOption,
    field: str | None = typer.Option(None, "--field", help="result.score, properties.<name>"),
    breakdown: str | None = typer.Option(None, "--breakdown", help="platform, properties.<name>"),
    period: str = PeriodOption,
    first: datetime | None = FromOption,
    last: datetime | None = ToOption,
    as_json: bool = JsonOption,
) -> None:
    """Count, learners, sum, mean and percentiles of a numeric field of one event type."""
    with clear_errors(as_json):
        span = report_range(period, _day(first), _day(last), utc_now().date())
        engine = open_engine()
        check_tenant(engine, tenant)
        catch_up(engine, tenant)  # every event stored so far, whether a server folded it yet or not
        with engine.connect() as connection:
            view = get_metrics(
                connection, tenant, MetricsRequest(event_type, span, field, breakdown)
            )
    emit(as_json, view.model_dump(mode="json"), lambda: _print_metrics(view))


@app.command("funnel")
def funnel(
    steps: list[str] = typer.Argument(..., help="Ordered steps: <type> or <type>:<activity id>"),
    tenant: str = TenantOption,
    window_days: float = typer.Option(14, "--window-days", help="Conversion window in days"),
    order: str = typer.Option("sequential", "--order", help="sequential or strict"),
    first: datetime | None = FromOption,
    last: datetime | None = ToOption,
    as_json: bool = JsonOption,
) -> None:
    """Learners per step, conversion and median time to convert."""
    with clear_errors(as_json):
        if order not in ("sequential", "strict"):
            raise InvalidInput(
                "--order must be sequential or strict.", [FieldError("order", order)]
            )
        request = FunnelRequest(
            tuple(steps), window_days, FunnelOrder(order), _day(first), _day(last)
        )
        engine = open_engine()
        check_tenant(engine, tenant)
        catch_up(engine, tenant)  # every event stored so far, whether a server folded it yet or not
        with engine.connect() as connection:
            view = get_funnel(connection, tenant, request)
    emit(as_json, view.model_dump(mode="json"), lambda: _print_funnel(view))


def _print_usage(view: UsageView) -> None:
    table = Table(
        "type", view.period, "events", "learners", title=f"Usage {view.start} .. {view.end}"
    )
    for series in view.series:
        for point in series.points:
            if point.events:
                table.add_row(
                    series.type, point.start.isoformat(), str(point.events), str(point.learners)
                )
    console.print(table)
    if view.adoption is not None:
        a = view.adoption
        console.print(f"Adoption since {a.since} ({a.active_learners} active learners):")
        for item in a.items:
            share = "-" if item.share_of_active is None else f"{item.share_of_active:.1%}"
            console.print(
                f"  {item.name}: {item.adopters} new ({share}), {item.earlier_users} earlier"
            )
    if view.privacy.note:
        console.print(view.privacy.note)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _print_metrics(view: MetricsView) -> None:
    title = f"{view.type} {view.field or 'events'} {view.start} .. {view.end}"
    table = Table(
        "group", view.period, "count", "learners", "sum", "mean", "p50", "p90", "p99", title=title
    )
    for group in view.groups:
        for p in group.points:
            figures = (p.sum, p.mean, p.p50, p.p90, p.p99)
            table.add_row(
                group.value or "all",
                p.start.isoformat(),
                str(p.count),
                str(p.learners),
                *map(_number, figures),
            )
    console.print(table)
    if view.privacy.note:
        console.print(view.privacy.note)


def _print_funnel(view: FunnelView) -> None:
    table = Table(
        "step",
        "learners",
        "from start",
        "from previous",
        "median time (h)",
        title=f"Funnel ({view.order}, {view.window_days:g} days)",
    )
    for step in view.steps:
        median = step.median_seconds_from_previous
        table.add_row(
            step.step,
            str(step.learners),
            _share(step.conversion_from_start),
            _share(step.conversion_from_previous),
            "-" if median is None else f"{median / 3600:.1f}",
        )
    console.print(table)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
