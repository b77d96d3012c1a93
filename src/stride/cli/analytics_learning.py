"""`stride analytics content|items|coaching|outcomes`: learning analytics in the terminal
(docs/analytics-learning.md). The same services as GET /v1/analytics/...; the CLI runs
without a tenant context, and filters by the tenant it is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy import Connection

from stride.analytics.coaching_service import get_coaching
from stride.analytics.content_scope import Scope
from stride.analytics.content_service import get_content
from stride.analytics.items_service import get_items
from stride.analytics.outcomes_service import get_outcomes
from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now

app = typer.Typer(help="Learning analytics: content, items, coaching, outcomes.")
T = TypeVar("T")

Program = typer.Option(None, "--program", help="Only this program's modules")
Course = typer.Option(None, "--course", help="Only this course's modules")
Module = typer.Option(None, "--module", help="Only this module")
From = typer.Option(None, "--from", help="First day of the period (YYYY-MM-DD)")
To = typer.Option(None, "--to", help="Day after the period (YYYY-MM-DD)")


def _read(tenant: str, as_json: bool, query: Callable[[Connection], T]) -> T:
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        with engine.connect() as connection:
            return query(connection)
    raise AssertionError("unreachable: clear_errors exits on errors")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@app.command("content")
def content(
    tenant: str = TenantOption,
    program: str | None = Program,
    course: str | None = Course,
    module: str | None = Module,
    as_json: bool = JsonOption,
) -> None:
    """Per module and item: learners, completion, median time, score, pass rate, drop-off."""
    view = _read(tenant, as_json, lambda c: get_content(c, tenant, Scope(program, course, module)))

    def text() -> None:
        out = Table(
            "module / item",
            "learners",
            "completed",
            "median time (s)",
            "mean score",
            "passed",
            "stopped here",
        )
        for m in view.modules:
            drop = f"most after {m.drop_off.activity_id}" if m.drop_off else "-"
            out.add_row(
                f"[bold]{m.module_id}[/]",
                str(m.learners),
                _pct(m.completion_rate),
                _num(m.median_time_s, 0),
                _num(m.mean_score),
                _pct(m.pass_rate),
                drop,
            )
            for b in m.blocks:
                out.add_row(
                    f"  {b.activity_id}",
                    str(b.learners),
                    _pct(b.completion_rate),
                    _num(b.median_time_s, 0),
                    _num(b.mean_score),
                    _pct(b.pass_rate),
                    str(b.stopped_here),
                )
        console.print(out)
        if view.note:
            console.print(view.note)

    emit(as_json, asdict(view), text)


@app.command("items")
def items(
    tenant: str = TenantOption,
    program: str | None = Program,
    course: str | None = Course,
    module: str | None = Module,
    as_json: bool = JsonOption,
) -> None:
    """Per item: difficulty, first-attempt correct rate, discrimination, attempts, learners."""
    view = _read(tenant, as_json, lambda c: get_items(c, tenant, Scope(program, course, module)))

    def text() -> None:
        out = Table("item", "learners", "attempts", "difficulty", "first try", "discrimination")
        for i in view.items:
            out.add_row(
                i.activity_id,
                str(i.learners),
                str(i.attempts),
                _pct(i.difficulty),
                _pct(i.first_attempt_correct_rate),
                f"{_num(i.discrimination)} (n={i.discrimination_n})",
            )
        console.print(out)
        if view.note:
            console.print(view.note)

    emit(as_json, asdict(view), text)


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{name} must be a date, YYYY-MM-DD") from exc


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@app.command("coaching")
def coaching(
    tenant: str = TenantOption,
    start: str | None = From,
    end: str | None = To,
    as_json: bool = JsonOption,
) -> None:
    """Practice completion and meeting analyses (default: the last 28 days)."""
    last = _day(end, "--to") or utc_now().date() + timedelta(days=1)
    first = _day(start, "--from") or last - timedelta(days=28)
    view = _read(tenant, as_json, lambda c: get_coaching(c, tenant, _at(first), _at(last)))
    emit(as_json, asdict(view), lambda: console.print_json(data=asdict(view), default=str))


@app.command("outcomes")
def outcomes(
    tenant: str = TenantOption,
    start: str | None = From,
    end: str | None = To,
    as_json: bool = JsonOption,
) -> None:
    """Growth and gap closure per dimension, practice vs improvement, learning velocity."""
    first = _day(start, "--from")
    last = _day(end, "--to") or utc_now().date() + timedelta(days=1)
    view = _read(tenant, as_json, lambda c: get_outcomes(c, tenant, first, last))

    def text() -> None:
        out = Table("dimension", "learners", "start", "end", "growth", "gap closed")
        for d in view.dimensions:
            out.add_row(
                d.name,
                str(d.learners),
                _num(d.mean_start),
                _num(d.mean_end),
                _num(d.growth),
                f"{_pct(d.gap_closure)} of {d.below_at_start}",
            )
        console.print(out)
        data: dict[str, Any] = asdict(view)
        console.print_json(
            data={k: data[k] for k in ("practice_vs_improvement", "velocity", "note")},
            default=str,
        )

    emit(as_json, asdict(view), text)
