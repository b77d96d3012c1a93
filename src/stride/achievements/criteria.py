"""Achievement criteria: comparisons of learner metrics, combined with all/any.

Two spellings, one meaning. A string `"streak.current >= 7"` is one comparison, read by a
regular expression (never eval). A mapping is `{"metric": ..., "op": ..., "value": ...}`,
`{"all": [...]}` or `{"any": [...]}`, nested at most `MAX_DEPTH` deep. Ids a metric names
(modules, skills, dimensions, ...) are checked against the catalog by the caller's `known`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

Operator = Literal[">=", ">", "<=", "<", "=="]
OPERATORS: Final[tuple[Operator, ...]] = (">=", ">", "<=", "<", "==")
MAX_DEPTH: Final = 4
MAX_CONDITIONS: Final = 20
MAX_TEXT: Final = 300
MAX_VALUE: Final = 1e9

# Metrics without an id, and metrics that name one (`kind:<id>.field`, or `mastery:<id>`).
PLAIN_METRICS: Final = frozenset(
    {
        "streak.current",
        "streak.longest",
        "skills.acquired",
        "sessions.count",
        "activities.completed",
        "modules.completed",
        "score.perfect",
    }
)
ID_METRICS: Final[Mapping[str, str | None]] = {
    "module": "completion",
    "course": "completion",
    "program": "completion",
    "activity": "best_score",
    "mastery": None,
    "improvement": "30d",
    "events": "count",
}

_COMPARISON = re.compile(
    r"\s*(?P<metric>[^\s<>=!]+)\s*(?P<op>[<>=!]+)\s*(?P<value>[-+]?[0-9][0-9_.eE+-]*)\s*"
)
_NUMBER = re.compile(r"-?[0-9]{1,10}(?:\.[0-9]{1,9})?")


class CriteriaError(ValueError):
    """A criterion that cannot be read; `path` is relative to the criteria."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Metric:
    """`kind` is a plain metric name or an id metric's prefix; `ref` is set for the latter."""

    kind: str
    ref: str | None = None

    @property
    def name(self) -> str:
        if self.ref is None:
            return self.kind
        suffix = ID_METRICS[self.kind]
        return f"{self.kind}:{self.ref}" + (f".{suffix}" if suffix else "")


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: Metric
    op: Operator
    value: float

    @property
    def text(self) -> str:
        number = int(self.value) if self.value.is_integer() else self.value
        return f"{self.metric.name} {self.op} {number}"


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Criteria, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Criteria, ...]


Criteria = Comparison | AllOf | AnyOf
# (metric kind, id) -> None when the id exists, else the reason it is refused.
IdCheck = Callable[[str, str], str | None]


def parse_criteria(raw: object, known: IdCheck) -> Criteria:
    """Parse criteria in either spelling.

    Raises:
        CriteriaError: with the path (from the criteria's root) of the first problem.
    """
    counter = [0]
    return _parse(raw, known, "", 0, counter)


def _parse(raw: object, known: IdCheck, path: str, depth: int, counter: list[int]) -> Criteria:
    if isinstance(raw, str):
        return _count(_parse_text(raw, known, path), path, counter)
    if not isinstance(raw, Mapping):
        raise CriteriaError(path, "must be a comparison string or a mapping")
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        (name,) = keys
        if depth >= MAX_DEPTH:
            raise CriteriaError(path, f"all/any may be nested at most {MAX_DEPTH} deep")
        items = raw[name]
        if not isinstance(items, list) or not items:
            raise CriteriaError(_join(path, name), "must be a non-empty list")
        parsed = tuple(
            _parse(item, known, f"{_join(path, name)}[{i}]", depth + 1, counter)
            for i, item in enumerate(items)
        )
        return AllOf(parsed) if name == "all" else AnyOf(parsed)
    if keys == {"metric", "op", "value"}:
        metric, op, value = raw["metric"], raw["op"], raw["value"]
        if not isinstance(metric, str):
            raise CriteriaError(_join(path, "metric"), "must be a string")
        comparison = Comparison(
            _metric(metric, known, _join(path, "metric")),
            _operator(op, _join(path, "op")),
            _value(value, _join(path, "value")),
        )
        return _count(comparison, path, counter)
    raise CriteriaError(path, "use {all: [...]}, {any: [...]} or {metric, op, value}")


def _count(comparison: Comparison, path: str, counter: list[int]) -> Comparison:
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise CriteriaError(path, f"at most {MAX_CONDITIONS} comparisons per achievement")
    return comparison


def _parse_text(text: str, known: IdCheck, path: str) -> Comparison:
    if len(text) > MAX_TEXT:
        raise CriteriaError(path, f"at most {MAX_TEXT} characters")
    match = _COMPARISON.fullmatch(text)
    if match is None:
        raise CriteriaError(
            path, "expected `<metric> <operator> <number>`, e.g. streak.current >= 7"
        )
    return Comparison(
        _metric(match["metric"], known, path),
        _operator(match["op"], path),
        _value_text(match["value"], path),
    )


def _operator(op: object, path: str) -> Operator:
    for known_op in OPERATORS:
        if op == known_op:
            return known_op
    shown = op if isinstance(op, str) else type(op).__name__
    raise CriteriaError(path, f"unknown operator {shown!r}; use one of {', '.join(OPERATORS)}")


def _value_text(text: str, path: str) -> float:
    if _NUMBER.fullmatch(text) is None:
        raise CriteriaError(path, f"{text!r} is not a plain number (at most 10 digits)")
    return _value(float(text), path)


def _value(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CriteriaError(path, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CriteriaError(path, "must be a finite number")
    if abs(value) > MAX_VALUE:
        raise CriteriaError(path, f"must lie between -{MAX_VALUE:.0e} and {MAX_VALUE:.0e}")
    return float(value)


def _metric(name: str, known: IdCheck, path: str) -> Metric:
    if name in PLAIN_METRICS:
        return Metric(name)
    kind, colon, rest = name.partition(":")
    if not colon or kind not in ID_METRICS or not rest:
        raise CriteriaError(path, f"unknown metric {name[:80]!r}")
    suffix = ID_METRICS[kind]
    ref = rest
    if suffix is not None:
        ref, dot, field = rest.rpartition(".")
        if not dot or field != suffix or not ref:
            raise CriteriaError(path, f"{kind} metrics read `{kind}:<id>.{suffix}`")
    problem = known(kind, ref)
    if problem is not None:
        raise CriteriaError(path, problem)
    return Metric(kind, ref)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def comparisons(criteria: Criteria) -> tuple[Comparison, ...]:
    """Every comparison in the criteria, left to right."""
    if isinstance(criteria, Comparison):
        return (criteria,)
    return tuple(c for part in criteria.conditions for c in comparisons(part))


def criteria_document(criteria: Criteria) -> object:
    """The normalized JSON form: comparisons as strings, combinations as mappings."""
    if isinstance(criteria, Comparison):
        return criteria.text
    name = "all" if isinstance(criteria, AllOf) else "any"
    return {name: [criteria_document(part) for part in criteria.conditions]}
