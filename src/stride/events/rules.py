"""Rules that hold only for some event types, checked after the schema."""

from __future__ import annotations

from datetime import date

from stride.errors import FieldError
from stride.events.goal_rules import GOAL_EVENT_TYPES, goal_errors
from stride.events.schema import Event

ENROLLMENT_EVENT_TYPES = frozenset({"enrollment.created", "enrollment.cancelled"})
ENROLLABLE_TYPES = frozenset({"program", "course"})
TARGET_DATE_PROPERTY = "target_date"


def type_rule_errors(event: Event) -> list[FieldError]:
    if event.type in ENROLLMENT_EVENT_TYPES:
        return _enrollment_errors(event)
    if event.type in GOAL_EVENT_TYPES:
        return goal_errors(event.type, event.properties)
    return []


def _enrollment_errors(event: Event) -> list[FieldError]:
    errors = []
    if event.activity is None:
        errors.append(FieldError("activity", "an enrollment names the program or course"))
    elif event.activity.type not in ENROLLABLE_TYPES:
        errors.append(FieldError("activity.type", "learners enroll in a program or a course"))
    target = (event.properties or {}).get(TARGET_DATE_PROPERTY)
    if target is not None and parse_target_date(target) is None:
        errors.append(
            FieldError(f"properties.{TARGET_DATE_PROPERTY}", "must be a date such as 2026-12-31")
        )
    return errors


def parse_target_date(value: object) -> date | None:
    """A target date as sent in an enrollment event's properties, or None if it is not one."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
