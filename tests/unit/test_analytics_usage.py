"""Usage and metrics folds (pure): periods, fields, groups, exact order-free sums."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.analytics.metrics_fields import (
    MAX_LABELS,
    MAX_NUMERIC_PROPERTIES,
    breakdown_groups,
    numeric_fields,
)
from stride.analytics.metrics_service import check_metric_names
from stride.analytics.usage_fold import (
    FUNNEL_TIMES_KEPT,
    MetricCell,
    fold_usage,
    keep_earliest,
    next_period,
    period_start,
)
from stride.analytics.usage_periods import report_range
from stride.errors import InvalidInput
from stride.events.recorded import RecordedEvent

WHEN = datetime(2024, 2, 29, 10, tzinfo=UTC)  # a Thursday


def _event(**fields: Any) -> RecordedEvent:
    base: dict[str, Any] = {
        "event_id": "e1",
        "learner_key": "k",
        "type": "custom.x",
        "timestamp": WHEN,
    }
    return RecordedEvent(**(base | fields))


@pytest.mark.parametrize(
    ("period", "start", "following"),
    [
        ("day", date(2024, 2, 29), date(2024, 3, 1)),
        ("week", date(2024, 2, 26), date(2024, 3, 4)),
        ("month", date(2024, 2, 1), date(2024, 3, 1)),
    ],
)
def test_periods(period: str, start: date, following: date) -> None:
    assert period_start(WHEN.date(), period) == start
    assert next_period(start, period) == following
    assert next_period(date(2024, 12, 1), "month") == date(2025, 1, 1)


def test_report_range_is_whole_periods_and_bounded() -> None:
    span = report_range("week", date(2024, 3, 6), date(2024, 3, 12), date(2024, 6, 1))
    assert (span.start, span.end) == (date(2024, 3, 4), date(2024, 3, 18))
    assert span.starts() == [date(2024, 3, 4), date(2024, 3, 11)]
    assert report_range("day", None, None, date(2024, 6, 1)).start == date(2024, 5, 3)
    with pytest.raises(InvalidInput) as bad:
        report_range("day", date(2024, 3, 2), date(2024, 3, 1), date(2024, 6, 1))
    assert bad.value.errors[0].path == "query.from"
    with pytest.raises(InvalidInput):
        report_range("day", date(2000, 1, 1), date(2024, 3, 1), date(2024, 6, 1))
    # The calendar's ends are refused by name, not by an overflow (a fuzzed 500 once).
    for first, last, field in (
        (None, date(1, 1, 1), "query.to"),
        (date(9999, 12, 31), None, "query.from"),
    ):
        with pytest.raises(InvalidInput) as out_of_range:
            report_range("month", first, last, date(2024, 6, 1))
        assert out_of_range.value.errors[0].path == field


def test_numeric_fields_and_groups() -> None:
    event = _event(
        score=0.5,
        duration_s=30,
        platform="ios",
        properties={"a": 1, "b": True, "c": "x", "n": {"d": 2.5}, "l": [1, 2], "big": 1e13},
    )
    assert numeric_fields(event) == [
        ("result.score", 0.5),
        ("result.duration_s", 30.0),
        ("properties.a", 1.0),
        ("properties.n.d", 2.5),
    ]
    assert breakdown_groups(event) == [
        ("platform", "ios"),
        ("properties.b", "true"),
        ("properties.c", "x"),
    ]
    many = _event(
        properties={f"p{i:02}": i for i in range(30)} | {f"s{i:02}": "v" for i in range(9)}
    )
    assert len(numeric_fields(many)) == MAX_NUMERIC_PROPERTIES
    assert len(breakdown_groups(many)) == MAX_LABELS
    assert numeric_fields(_event()) == [] and breakdown_groups(_event()) == []


def test_identifiers_of_a_statement_or_attempt_are_not_groups() -> None:
    xapi = {
        "statement": "2f5a9c3e-5d2b-4c59-9a53-6f7d0a1b2c3d",
        "registration": "8c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
        "verb": "http://adlnet.gov/expapi/verbs/answered",
        "object": "https://lms.example/mod/quiz/view.php?id=3",
    }
    event = _event(platform="Moodle", properties={"xapi": xapi})
    assert breakdown_groups(event) == [
        ("platform", "Moodle"),
        ("properties.xapi.object", xapi["object"]),
        ("properties.xapi.verb", xapi["verb"]),
    ]
    with pytest.raises(InvalidInput) as bad:
        check_metric_names(None, "properties.xapi.statement")
    assert bad.value.errors[0].path == "query.breakdown"


def test_metric_names_are_checked() -> None:
    check_metric_names("properties.points", "properties.level")
    check_metric_names("result.score", "platform")
    for field, breakdown, path in [
        ("result.response", None, "field"),
        ("score", None, "field"),
        (None, "context.course", "breakdown"),
        ("properties.", None, "field"),
    ]:
        with pytest.raises(InvalidInput) as bad:
            check_metric_names(field, breakdown)
        assert bad.value.errors[0].path == f"query.{path}"


def test_fold_marks_first_use_and_steps() -> None:
    events = [
        _event(event_id="1", properties={"v": 2}, platform="web", activity_id="c1"),
        _event(event_id="2", timestamp=WHEN.replace(hour=8), properties={"v": 4}),
        _event(event_id="3", derived=True),
    ]
    delta = fold_usage(events)
    assert delta.type_days == {("custom.x", WHEN.date()): 2}
    assert delta.first_use == {("k", "custom.x"): WHEN.replace(hour=8)}
    cell = delta.cells[("custom.x", "properties.v", "", "", WHEN.date())]
    assert (cell.count, cell.units, cell.low, cell.high) == (2, 6, 2.0, 4.0)
    assert ("custom.x", "platform", "web", "week", date(2024, 2, 26), "k") in delta.marks
    assert set(delta.steps) == {("k", "custom.x"), ("k", "custom.x:c1")}
    negative = fold_usage(events, sign=-1)
    assert negative.type_days == {("custom.x", WHEN.date()): -2}
    assert not negative.marks and not negative.first_use and not negative.steps


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), max_size=30), st.randoms())
def test_sums_do_not_depend_on_order(values: list[float], rng: random.Random) -> None:
    one, other = MetricCell(), MetricCell()
    for v in values:
        one.add(v)
    for v in rng.sample(values, len(values)):
        other.add(v)
    assert one == other
    assert one.units + one.micros / 1e6 == pytest.approx(sum(values), abs=1e-5 * (len(values) + 1))


@given(st.lists(st.integers(0, 10**6), max_size=80), st.integers(0, 80))
def test_keep_earliest_is_a_union_of_the_smallest(times: list[int], cut: int) -> None:
    merged = keep_earliest(keep_earliest(times[:cut]), keep_earliest(times[cut:]))
    assert merged == sorted(set(times))[:FUNNEL_TIMES_KEPT]
