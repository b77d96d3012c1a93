"""Engagement and lifecycle figures of a tenant, read from the analytics projection's rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection

from stride.analytics.engagement import (
    Counts,
    EngagementPoint,
    engagement_series,
    group_size,
)
from stride.analytics.lifecycle import LifecyclePoint, lifecycle_series
from stride.analytics.periods import Kind, count_periods, period_start, shift
from stride.errors import FieldError, InvalidInput
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_engagement as store

Breakdown = Literal["program", "course", "platform"]
# Periods shown by default, and at most, per request.
DEFAULT_PERIODS: dict[Kind, int] = {"day": 30, "week": 12, "month": 12}
# Dates a request may name (periods and horizons around them stay within the calendar).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
MAX_PERIODS: dict[Kind, int] = {"day": 92, "week": 53, "month": 24}


@dataclass(frozen=True)
class PeriodRange:
    period: Kind
    first: date
    last: date


@dataclass(frozen=True)
class EngagementGroup:
    value: str
    learners: int  # the size the group was judged by (see engagement.group_size)
    series: list[EngagementPoint]


@dataclass(frozen=True)
class EngagementReport:
    period: Kind
    first: date
    last: date
    breakdown: Breakdown | None
    series: list[EngagementPoint]
    groups: list[EngagementGroup]
    withheld_groups: int
    min_group_size: int
    note: str | None


@dataclass(frozen=True)
class LifecycleReport:
    period: Kind
    first: date
    last: date
    series: list[LifecyclePoint]
    program: str | None
    withheld_groups: int  # 1 when the program's group is below min_group_size
    min_group_size: int
    note: str | None


# The engagement rollups' values are catalog activity ids (store/tables.py: 256 characters).
MAX_PROGRAM_LENGTH = 256


def check_program(program: str) -> None:
    """Raises InvalidInput unless `program` could be an activity id: 1 to 256 characters,
    none a control character (a NUL could not even be sent to PostgreSQL)."""
    if not (0 < len(program) <= MAX_PROGRAM_LENGTH and program.isprintable()):
        raise InvalidInput(
            "`program` must be a program's activity id.",
            [
                FieldError(
                    "query.program",
                    f"1 to {MAX_PROGRAM_LENGTH} characters, none a control character",
                )
            ],
        )


def resolve_range(
    period: Kind,
    first: date | None,
    last: date | None,
    today: date,
    defaults: dict[Kind, int] = DEFAULT_PERIODS,
    limits: dict[Kind, int] = MAX_PERIODS,
) -> PeriodRange:
    """The dates asked for, with defaults (the last N periods up to today).

    Raises InvalidInput when a date lies outside EARLIEST..LATEST, `from` is after `to` or
    the range holds too many periods.
    """
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise InvalidInput(
                f"`{name}` must lie between {EARLIEST} and {LATEST}.",
                [FieldError(f"query.{name}", "out of range")],
            )
    last = last or today
    first = first or shift(period_start(last, period), period, 1 - defaults[period])
    if first > last:
        raise InvalidInput(
            "`from` must not be after `to`.", [FieldError("query.from", "after `to`")]
        )
    if count_periods(first, last, period) > limits[period]:
        raise InvalidInput(
            f"At most {limits[period]} periods of a {period} per request.",
            [FieldError("query.from", f"range longer than {limits[period]} {period}s")],
        )
    return PeriodRange(period, first, last)


def _counts(
    connection: Connection,
    tenant_id: str,
    kind: Kind,
    dimension: str,
    first: date,
    last: date,
    values: Collection[str] | None = None,
) -> dict[str, dict[date, Counts]]:
    by_value: dict[str, dict[date, Counts]] = defaultdict(dict)
    for value, start, *figures in store.read_counts(
        connection, tenant_id, kind, dimension, first, last, values
    ):
        by_value[value][start] = Counts(*figures)
    return by_value


def _series_by_value(
    connection: Connection,
    tenant_id: str,
    dimension: str,
    span: PeriodRange,
    today: date,
    values: Collection[str] | None = None,
) -> dict[str, list[EngagementPoint]]:
    kind, first, last = span.period, span.first, span.last
    start = period_start(first, kind)
    periods = _counts(connection, tenant_id, kind, dimension, start, last, values)
    days = _counts(connection, tenant_id, "day", dimension, first, last, values)
    rolling: dict[tuple[str, int], dict[date, int]] = defaultdict(dict)
    for value, window, day, learners in store.read_rolling(
        connection, tenant_id, dimension, first, last
    ):
        if values is None or value in values:
            rolling[(value, window)][day] = learners
    result = {}
    for value in periods.keys() | days.keys() | {v for v, _ in rolling}:
        daily = {day: c.learners for day, c in days.get(value, {}).items()}
        result[value] = engagement_series(
            kind,
            first,
            last,
            today,
            periods.get(value, {}),
            daily,
            rolling.get((value, 7), {}),
            rolling.get((value, 30), {}),
        )
    return result


def get_engagement(
    connection: Connection,
    tenant_id: str,
    span: PeriodRange,
    breakdown: Breakdown | None,
    today: date,
) -> EngagementReport:
    """DAU/WAU/MAU, stickiness, sessions and time per period, overall and per group; groups
    smaller than the tenant's min_group_size are withheld."""
    overall = _series_by_value(connection, tenant_id, "all", span, today)
    series = overall.get("") or engagement_series(
        span.period, span.first, span.last, today, {}, {}, {}, {}
    )
    groups: list[EngagementGroup] = []
    minimum = get_policy(connection, tenant_id).document.min_group_size
    if breakdown is not None:
        by_value = _series_by_value(connection, tenant_id, breakdown, span, today)
        groups = [
            EngagementGroup(value, group_size(points), points)
            for value, points in sorted(by_value.items())
        ]
    kept = suppress_small_groups(groups, lambda g: g.learners, minimum)
    return EngagementReport(
        span.period,
        span.first,
        span.last,
        breakdown,
        series,
        kept.shown,
        kept.withheld_groups,
        minimum,
        kept.note,
    )


def get_lifecycle(
    connection: Connection,
    tenant_id: str,
    span: PeriodRange,
    today: date,
    program: str | None = None,
) -> LifecycleReport:
    """New, returning, resurrecting and dormant learners per period, of everyone or of one
    program's learners (their activity in it). A program is judged for min_group_size as
    its group in the engagement breakdown over the same range; below it, no series is shown.

    Raises InvalidInput for a program that is no valid activity id.
    """
    kind = span.period
    dimension, value = ("all", "") if program is None else ("program", program)
    if program is not None:
        check_program(program)
    before = shift(period_start(span.first, kind), kind, -1)
    counts = _counts(connection, tenant_id, kind, dimension, before, span.last, [value])
    series = lifecycle_series(kind, span.first, span.last, today, counts.get(value, {}))
    minimum = get_policy(connection, tenant_id).document.min_group_size
    if program is None:  # figures for all learners are never withheld (as in engagement)
        return LifecycleReport(kind, span.first, span.last, series, None, 0, minimum, None)
    engagement = _series_by_value(connection, tenant_id, dimension, span, today, [value])
    size = group_size(engagement.get(value, []))
    kept = suppress_small_groups([series], lambda _: size, minimum)
    shown = kept.shown[0] if kept.shown else []
    return LifecycleReport(
        kind, span.first, span.last, shown, program, kept.withheld_groups, minimum, kept.note
    )
