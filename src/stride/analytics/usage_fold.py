"""What a batch of events adds to the usage, metrics and funnel rollups (pure).

Days, weeks (Monday) and months are UTC. Everything here is a sum, a set or a minimum of the
events' contributions, so any order or split of the events gives the same rollups.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from stride.analytics.histograms import bucket_of
from stride.analytics.metrics_fields import EVENTS_FIELD, breakdown_groups, numeric_fields
from stride.events.recorded import RecordedEvent

PERIODS = ("day", "week", "month")
FUNNEL_TIMES_KEPT = 16  # the earliest occurrences kept per learner and step key
_MICROS = 1_000_000

# (type, field, dim, value, day)
CellKey = tuple[str, str, str, str, date]
# (type, dim, value, period, start, learner key)
MarkKey = tuple[str, str, str, str, date, str]


def period_start(day: date, period: str) -> date:
    """The first day of the period holding `day`: itself, its Monday, or the 1st."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def next_period(start: date, period: str) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass
class MetricCell:
    """count, the exact sum as whole units plus millionths, min and max."""

    count: int = 0
    units: int = 0
    micros: int = 0
    low: float | None = None
    high: float | None = None

    def add(self, value: float | None, sign: int = 1) -> None:
        self.count += sign
        if value is None:
            return
        scaled = round(value * _MICROS)
        whole, fraction = divmod(scaled, _MICROS)
        self.units += sign * whole
        self.micros += sign * fraction
        self.low = value if self.low is None else min(self.low, value)
        self.high = value if self.high is None else max(self.high, value)


@dataclass
class UsageDelta:
    type_days: Counter[tuple[str, date]] = field(default_factory=Counter)
    marks: set[MarkKey] = field(default_factory=set)
    first_use: dict[tuple[str, str], datetime] = field(default_factory=dict)
    cells: dict[CellKey, MetricCell] = field(default_factory=dict)
    # (type, field, dim, value, period, start, bucket)
    buckets: Counter[tuple[str, str, str, str, str, date, int]] = field(default_factory=Counter)
    steps: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def epoch_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def step_keys(event: RecordedEvent) -> list[str]:
    """The funnel step keys an event counts for: its type, and type:activity."""
    keys = [event.type]
    if event.activity_id is not None:
        keys.append(f"{event.type}:{event.activity_id}")
    return keys


def fold_usage(events: Iterable[RecordedEvent], sign: int = 1) -> UsageDelta:
    """The contributions of `events`; sign -1 gives the counters to take away (markers,
    first uses and funnel times are sets and minima: a refold adds nothing new to them)."""
    delta = UsageDelta()
    starts_of: dict[date, list[tuple[str, date]]] = {}  # a day's (period, start) pairs
    for event in events:
        if event.derived:
            continue
        day = event.timestamp.date()
        starts = starts_of.get(day)
        if starts is None:
            starts = starts_of[day] = [(period, period_start(day, period)) for period in PERIODS]
        delta.type_days[(event.type, day)] += sign
        groups = [("", ""), *breakdown_groups(event)]
        fields: list[tuple[str, float | None]] = [(EVENTS_FIELD, None), *numeric_fields(event)]
        for dim, value in groups:
            for name, number in fields:
                key = (event.type, name, dim, value, day)
                cell = delta.cells.get(key)
                if cell is None:
                    cell = delta.cells[key] = MetricCell()
                cell.add(number, sign)
                if number is not None:
                    bucket = bucket_of(number)
                    for period, start in starts:
                        delta.buckets[(*key[:4], period, start, bucket)] += sign
        if sign < 0:
            continue
        for dim, value in groups:
            for period, start in starts:
                delta.marks.add((event.type, dim, value, period, start, event.learner_key))
        first = (event.learner_key, event.type)
        if first not in delta.first_use or event.timestamp < delta.first_use[first]:
            delta.first_use[first] = event.timestamp
        when = epoch_ms(event.timestamp)
        for step in step_keys(event):
            delta.steps.setdefault((event.learner_key, step), []).append(when)
    return delta


def keep_earliest(*lists: Iterable[int]) -> list[int]:
    """The FUNNEL_TIMES_KEPT earliest distinct times of the union, ascending."""
    return sorted({t for times in lists for t in times})[:FUNNEL_TIMES_KEPT]
