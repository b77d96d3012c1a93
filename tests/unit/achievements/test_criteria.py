"""The criteria language: both spellings, precise errors, and refusal of anything else."""

from __future__ import annotations

import pytest

from stride.achievements.criteria import (
    MAX_CONDITIONS,
    AllOf,
    AnyOf,
    Comparison,
    CriteriaError,
    Metric,
    criteria_document,
    parse_criteria,
)


def _known(kind: str, ref: str) -> str | None:
    known = {"module": {"m1"}, "mastery": {"negotiation"}, "improvement": {"communication"}}
    if kind in known and ref not in known[kind]:
        return f"the catalog has no {kind} {ref!r}"
    return None


def parse(raw: object) -> object:
    return parse_criteria(raw, _known)


@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("streak.current >= 7", Metric("streak.current"), ">=", 7.0),
        ("skills.acquired>5", Metric("skills.acquired"), ">", 5.0),
        ("  sessions.count   <=  10 ", Metric("sessions.count"), "<=", 10.0),
        ("module:m1.completion == 1", Metric("module", "m1"), "==", 1.0),
        ("mastery:negotiation >= 0.95", Metric("mastery", "negotiation"), ">=", 0.95),
        ("improvement:communication.30d >= 0.2", Metric("improvement", "communication"), ">=", 0.2),
        ("events:custom.call.done.count < 3", Metric("events", "custom.call.done"), "<", 3.0),
        ("activity:a/b.c.best_score >= -0.5", Metric("activity", "a/b.c"), ">=", -0.5),
    ],
)
def test_string_comparisons(text: str, metric: Metric, op: str, value: float) -> None:
    assert parse(text) == Comparison(metric, op, value)  # type: ignore[arg-type]


def test_structured_and_nested_forms() -> None:
    parsed = parse(
        {
            "all": [
                {"metric": "streak.current", "op": ">=", "value": 7},
                {"any": ["score.perfect >= 1", "modules.completed >= 2"]},
            ]
        }
    )
    assert isinstance(parsed, AllOf) and isinstance(parsed.conditions[1], AnyOf)
    assert criteria_document(parsed) == {
        "all": ["streak.current >= 7", {"any": ["score.perfect >= 1", "modules.completed >= 2"]}]
    }
    assert parse(criteria_document(parsed)) == parsed


@pytest.mark.parametrize(
    ("raw", "path", "reason"),
    [
        ("__import__('os').system('id') >= 1", "", "unknown metric"),
        ("__import__('os')", "", "expected"),
        ("eval('1') >= 1", "", "unknown metric"),
        ("streak.current => 7", "", "unknown operator '=>'"),
        ("streak.current != 7", "", "unknown operator '!='"),
        ("streak.current >= 1e400", "", "not a plain number"),
        ("streak.current >= 99999999999999999999", "", "not a plain number"),
        ("streak.current >= 0x10", "", "expected"),
        ("streak.current >= 7; rm -rf /", "", "expected"),
        ("streak.total >= 1", "", "unknown metric 'streak.total'"),
        ("module:m9.completion >= 1", "", "no module 'm9'"),
        ("module:m1.best_score >= 1", "", "module:<id>.completion"),
        ("mastery:haggling >= 0.5", "", "no mastery 'haggling'"),
        ("improvement:communication.7d >= 0.1", "", "improvement:<id>.30d"),
        ({"all": []}, "all", "non-empty"),
        ({"all": ["streak.current >= 1", 3]}, "all[1]", "comparison string or a mapping"),
        ({"metric": "streak.current", "op": ">=", "value": True}, "value", "a number"),
        ({"metric": "streak.current", "op": ">=", "value": 1e12}, "value", "between"),
        ({"metric": "streak.current", "op": ">=", "value": float("nan")}, "value", "finite"),
        ({"metric": "streak.current", "op": "gte", "value": 1}, "op", "unknown operator"),
        ({"all": ["streak.current >= 1"], "extra": 1}, "", "use {all"),
        ("x" * 400, "", "at most 300"),
    ],
)
def test_errors_are_precise(raw: object, path: str, reason: str) -> None:
    with pytest.raises(CriteriaError) as caught:
        parse(raw)
    assert caught.value.path == path
    assert reason in caught.value.reason


def test_depth_and_size_are_bounded() -> None:
    deep: object = "streak.current >= 1"
    for _ in range(5):
        deep = {"all": [deep]}
    with pytest.raises(CriteriaError, match="nested at most"):
        parse(deep)
    very_deep: object = "streak.current >= 1"
    for _ in range(10_000):  # never recursed into past the bound
        very_deep = {"any": [very_deep]}
    with pytest.raises(CriteriaError, match="nested at most"):
        parse(very_deep)
    wide = {"any": ["streak.current >= 1"] * (MAX_CONDITIONS + 1)}
    with pytest.raises(CriteriaError, match="at most 20"):
        parse(wide)
