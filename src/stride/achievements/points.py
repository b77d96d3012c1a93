"""Points: weights per event type (the catalog section `points`) and the weekly fold."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from stride.catalog.sections import ParsedSection
from stride.errors import FieldError
from stride.events.recorded import RecordedEvent
from stride.events.types import EVENT_TYPE_PATTERN

if TYPE_CHECKING:
    from stride.catalog.model import Catalog

MAX_WEIGHT: Final = 10_000
MAX_WEIGHTS: Final = 100
DEFAULT_WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {"exercise.attempted": 1, "assessment.submitted": 2, "activity.completed": 5}
)
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN)


@dataclass(frozen=True, slots=True)
class PointsRules:
    weights: tuple[tuple[str, int], ...]  # sorted by type, so equal rules compare equal
    achievements: bool = True  # whether achievements' points count

    def weight(self, event_type: str) -> int:
        return dict(self.weights).get(event_type, 0)

    def document(self) -> dict[str, object]:
        return {"events": dict(self.weights), "achievements": self.achievements}


DEFAULT_POINTS: Final = PointsRules(tuple(sorted(DEFAULT_WEIGHTS.items())))


def parse_points(raw: object, catalog: Catalog, errors: list[FieldError]) -> ParsedSection | None:
    """`{events: {type: points}, achievements: bool}`; `events` replaces the default table."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors.append(FieldError("points", "must be a mapping"))
        return None
    before = len(errors)
    for name in sorted(set(raw) - {"events", "achievements"}):
        errors.append(FieldError(f"points.{name}", "unknown field"))
    weights = raw.get("events", dict(DEFAULT_WEIGHTS))
    achievements = raw.get("achievements", True)
    if not isinstance(achievements, bool):
        errors.append(FieldError("points.achievements", "must be true or false"))
    if not isinstance(weights, Mapping) or len(weights) > MAX_WEIGHTS:
        errors.append(FieldError("points.events", f"must map at most {MAX_WEIGHTS} event types"))
        return None
    for event_type, points in weights.items():
        path = f"points.events.{str(event_type)[:80]}"
        if not isinstance(event_type, str) or _EVENT_TYPE.fullmatch(event_type) is None:
            errors.append(FieldError(path, "not an event type"))
        elif isinstance(points, bool) or not isinstance(points, int):
            errors.append(FieldError(path, "must be a whole number"))
        elif not 0 <= points <= MAX_WEIGHT:
            errors.append(FieldError(path, f"must lie between 0 and {MAX_WEIGHT}"))
    if len(errors) > before:
        return None
    rules = PointsRules(tuple(sorted(weights.items())), bool(achievements))
    return ParsedSection(rules, rules.document())


def event_points(
    events: Iterable[RecordedEvent], rules: PointsRules, week_of: Callable[[RecordedEvent], date]
) -> dict[tuple[str, date], int]:
    """Points per (learner, week) that events earn: a sum, so any order gives the same."""
    weights = dict(rules.weights)
    totals: dict[tuple[str, date], int] = defaultdict(int)
    for event in events:
        points = weights.get(event.type, 0)
        if points and not event.derived:
            totals[(event.learner_key, week_of(event))] += points
    return dict(totals)
