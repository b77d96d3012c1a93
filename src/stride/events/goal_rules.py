"""The payload of goal events: `properties` of goal.set and goal.cancelled, checked and parsed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from stride.errors import FieldError

GOAL_SET = "goal.set"
GOAL_CANCELLED = "goal.cancelled"
GOAL_MET = "goal.met"
GOAL_EVENT_TYPES = frozenset({GOAL_SET, GOAL_CANCELLED})

WEEKLY_MINUTES = "weekly_minutes"
SESSIONS_PER_WEEK = "sessions_per_week"
MODULE_BY_DATE = "module_by_date"
GOAL_KINDS = (WEEKLY_MINUTES, SESSIONS_PER_WEEK, MODULE_BY_DATE)
# The most a weekly target can ask: every minute of a week; a session a minute is plenty.
MAX_TARGET = {WEEKLY_MINUTES: 7 * 24 * 60, SESSIONS_PER_WEEK: 1000, MODULE_BY_DATE: 1}
MAX_GOAL_ID = 64


@dataclass(frozen=True, slots=True)
class GoalSpec:
    goal_id: str
    kind: str
    target: int  # minutes or sessions per week; 1 for module_by_date (the module, complete)
    module: str | None = None
    due: date | None = None


def goal_errors(event_type: str, properties: Mapping[str, object] | None) -> list[FieldError]:
    """Problems with a goal event's properties, each on its field path.

    A goal.set without `goal_id` and `kind` defines no goal and is recorded as before goals
    existed (platforms sent free-form goal.set events, and logs hold them): only an event that
    names a goal must define it fully.
    """
    props = properties or {}
    if event_type == GOAL_SET and "goal_id" not in props and "kind" not in props:
        return []
    errors: list[FieldError] = []
    goal_id = props.get("goal_id")
    if not isinstance(goal_id, str) or not 1 <= len(goal_id) <= MAX_GOAL_ID:
        errors.append(FieldError("properties.goal_id", f"must be a string of 1 to {MAX_GOAL_ID}"))
    if event_type != GOAL_SET:
        return errors
    kind = props.get("kind")
    if kind not in GOAL_KINDS:
        errors.append(FieldError("properties.kind", f"must be one of: {', '.join(GOAL_KINDS)}"))
        return errors
    assert isinstance(kind, str)
    target = props.get("target", 1 if kind == MODULE_BY_DATE else None)
    if (
        isinstance(target, bool)
        or not isinstance(target, int)
        or not (1 <= target <= MAX_TARGET[kind])
    ):
        errors.append(
            FieldError("properties.target", f"must be an integer from 1 to {MAX_TARGET[kind]}")
        )
    if kind == MODULE_BY_DATE:
        module = props.get("module")
        if not isinstance(module, str) or not 1 <= len(module) <= 256:
            errors.append(FieldError("properties.module", "must be a module id (1-256 chars)"))
        if _date(props.get("due")) is None:
            errors.append(FieldError("properties.due", "must be a date such as 2026-12-31"))
    else:
        errors += [
            FieldError(f"properties.{name}", f"only a {MODULE_BY_DATE} goal has one")
            for name in ("module", "due")
            if props.get(name) is not None
        ]
    return errors


def goal_spec(properties: Mapping[str, object] | None) -> GoalSpec | None:
    """The goal a valid goal.set defines (None when the properties do not define one)."""
    if not properties or "kind" not in properties or goal_errors(GOAL_SET, properties):
        return None
    assert properties is not None
    kind = str(properties["kind"])
    target = properties.get("target", 1)
    module = properties.get("module")
    return GoalSpec(
        goal_id=str(properties["goal_id"]),
        kind=kind,
        target=target if isinstance(target, int) else 1,
        module=module if isinstance(module, str) else None,
        due=_date(properties.get("due")),
    )


def goal_id_of(properties: Mapping[str, object] | None) -> str | None:
    goal_id = (properties or {}).get("goal_id")
    return goal_id if isinstance(goal_id, str) and 1 <= len(goal_id) <= MAX_GOAL_ID else None


def _date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
