"""Turn a validated xAPI statement into a Stride event (docs/xapi.md has the tables).

Pure: no I/O. The statement is the one the LRS stores (with its id, and its timestamp or
stored time), so the same statement always maps to the same event.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from stride.events.schema import MAX_DURATION_S, MAX_ID_LENGTH, MAX_TEXT_LENGTH
from stride.xapi.identifiers import agent_learner_id, event_id_for

ADL = "http://adlnet.gov/expapi/verbs/"
VOIDED_VERB = ADL + "voided"

# Verb IRI -> Stride event type. Verbs not here become `custom.xapi.<last word of the IRI>`.
VERB_TYPES: dict[str, str] = {
    ADL + "completed": "activity.completed",
    ADL + "passed": "assessment.submitted",
    ADL + "failed": "assessment.submitted",
    ADL + "answered": "exercise.attempted",
    ADL + "attempted": "activity.started",
    ADL + "experienced": "activity.progressed",
    ADL + "progressed": "activity.progressed",
    ADL + "interacted": "activity.progressed",
    ADL + "attended": "activity.progressed",
    ADL + "initialized": "session.started",
    ADL + "terminated": "session.ended",
    ADL + "exited": "session.ended",
    ADL + "launched": "activity.started",
    ADL + "resumed": "activity.started",
    ADL + "registered": "enrollment.created",
    "https://w3id.org/xapi/adl/verbs/satisfied": "activity.completed",
    "https://w3id.org/xapi/tla/verbs/scored": "assessment.submitted",
    "https://w3id.org/xapi/dod-isd/verbs/assessed": "assessment.submitted",
    "https://w3id.org/xapi/tla/verbs/resumed": "activity.started",
    "http://id.tincanapi.com/verb/viewed": "activity.progressed",
    "http://activitystrea.ms/schema/1.0/start": "activity.started",
    "http://activitystrea.ms/start": "activity.started",
    "http://activitystrea.ms/schema/1.0/submit": "assessment.submitted",
    "http://activitystrea.ms/submit": "assessment.submitted",
    "http://activitystrea.ms/schema/1.0/complete": "activity.completed",
    "http://activitystrea.ms/complete": "activity.completed",
    "https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled": "enrollment.created",
    "http://id.tincanapi.com/verb/unregistered": "enrollment.cancelled",
}
# A passed or failed statement says success even when its result does not.
VERB_SUCCESS = {ADL + "passed": True, ADL + "failed": False}
ENROLLMENT_TYPES = frozenset({"enrollment.created", "enrollment.cancelled"})

# Activity definition type IRI -> Stride activity type, by the IRI's last word; others: block.
ACTIVITY_WORDS: dict[str, str] = {
    "program": "program",
    "course": "course",
    "module": "module",
    "section": "module",
    "lesson": "lesson",
    "assessment": "assessment",
    "attempt": "assessment",
    "test": "assessment",
    "exam": "assessment",
    "quiz": "assessment",
    "assignment": "assessment",
    "cmi.interaction": "exercise",
    "interaction": "exercise",
    "question": "exercise",
    "exercise": "exercise",
    "simulation": "exercise",
    "meeting": "meeting",
}
DEFAULT_ACTIVITY_TYPE = "block"
HINT_TYPES = ("program", "course", "module")
_WORD = re.compile(r"[^a-z0-9_-]+")
_DURATION = re.compile(
    r"^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?"
    r"(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?"
    r"(?:(\d+(?:[.,]\d+)?)S)?)?$"
)
# Years and months have no fixed length; a duration that uses them is taken as 365 and 30 days.
_DURATION_UNITS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def event_type_for(verb_id: str) -> str:
    """The Stride event type of a verb IRI: the table's, else `custom.xapi.<word>`."""
    known = VERB_TYPES.get(verb_id)
    if known is not None:
        return known
    word = re.split(r"[/#:]", verb_id.rstrip("/#"))[-1].lower()
    word = _WORD.sub("-", word).strip("-_")[:63] or "other"
    return f"custom.xapi.{word}"


def activity_type_for(type_iri: str | None) -> str:
    if not type_iri:
        return DEFAULT_ACTIVITY_TYPE
    word = re.split(r"[/#]", type_iri.rstrip("/#"))[-1].lower()
    return ACTIVITY_WORDS.get(word, DEFAULT_ACTIVITY_TYPE)


def duration_seconds(text: str) -> float | None:
    """An ISO 8601 duration (`PT1H30M`, `P1DT2.5S`) in seconds; None when it is not one."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        return None
    total = 0.0
    for part, unit in zip(match.groups(), _DURATION_UNITS, strict=True):
        if part is not None:
            total += float(part.replace(",", ".")) * unit
    return total


def score_of(score: Any) -> float | None:
    """`scaled` (clipped to [0, 1]), else raw within [min, max], else None."""
    if not isinstance(score, dict):
        return None
    scaled = score.get("scaled")
    if isinstance(scaled, int | float) and _is_number(scaled):
        return min(1.0, max(0.0, float(scaled)))
    raw, low, high = score.get("raw"), score.get("min", 0), score.get("max")
    numbers = [v for v in (raw, low, high) if isinstance(v, int | float) and _is_number(v)]
    if len(numbers) == 3 and numbers[2] > numbers[1]:
        raw_f, low_f, high_f = (float(v) for v in numbers)
        return min(1.0, max(0.0, (raw_f - low_f) / (high_f - low_f)))
    return None


def parse_instant(text: str) -> datetime | None:
    """An xAPI timestamp as an aware UTC datetime (no offset: UTC, as the spec allows)."""
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement_to_event(statement: dict[str, Any]) -> dict[str, Any] | None:
    """The Stride event of a stored statement, or None when it has no learner or is a voiding.

    The statement must hold its `id` and a `timestamp` (the LRS sets it to `stored` when the
    client did not send one).
    """
    verb_id = statement["verb"]["id"]
    learner = agent_learner_id(statement.get("actor"))
    if learner is None or verb_id == VOIDED_VERB:
        return None
    instant = parse_instant(statement["timestamp"])
    if instant is None:
        return None
    event_type = event_type_for(verb_id)
    xapi: dict[str, Any] = {"statement": statement["id"], "verb": verb_id}
    event: dict[str, Any] = {
        "id": event_id_for(statement["id"]),
        "type": event_type,
        "learner": learner,
        "timestamp": rfc3339(instant),
    }
    activity, object_type = _activity(statement)
    if activity is not None:
        event["activity"] = activity
        xapi["object"] = statement["object"]["id"]
    if object_type:
        xapi["object_type"] = object_type
    if event_type in ENROLLMENT_TYPES and (activity or {}).get("type") not in ("program", "course"):
        event["type"] = "custom.xapi." + event_type.split(".")[1]  # Stride enrolls in these only
    result = _result(statement.get("result"), VERB_SUCCESS.get(verb_id), xapi)
    if result:
        event["result"] = result
    context = statement.get("context") or {}
    hints = _context_hints(context, activity)
    platform = context.get("platform")
    if isinstance(platform, str) and 0 < len(platform) <= MAX_ID_LENGTH:
        hints["platform"] = platform
    if hints:
        event["context"] = hints
    if isinstance(context.get("registration"), str):
        xapi["registration"] = context["registration"]
    event["properties"] = {"xapi": xapi}
    return event


def _activity(statement: dict[str, Any]) -> tuple[dict[str, str] | None, str | None]:
    target = statement.get("object") or {}
    if target.get("objectType", "Activity") != "Activity":
        return None, None
    type_iri = (target.get("definition") or {}).get("type")
    kind = activity_type_for(type_iri)
    activity_id = target["id"]
    if type_iri and type_iri.rstrip("/").endswith("/attempt"):
        # An attempt object (one per try) stands for its assessment, the parent that persists.
        for parent in _context_activities(statement.get("context") or {}, "parent"):
            parent_type = (parent.get("definition") or {}).get("type")
            if activity_type_for(parent_type) == "assessment" and parent_type != type_iri:
                activity_id = parent["id"]
                break
    if len(activity_id) > MAX_ID_LENGTH:
        return None, type_iri
    return {"id": activity_id, "type": kind}, type_iri


def _result(result: Any, success: bool | None, xapi: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {"success": success} if success is not None else {}
    mapped: dict[str, Any] = {}
    score = score_of(result.get("score"))
    if score is not None:
        mapped["score"] = score
    if isinstance(result.get("success"), bool):
        mapped["success"] = result["success"]
    elif success is not None:
        mapped["success"] = success
    if isinstance(result.get("completion"), bool):
        mapped["completion"] = result["completion"]
    if isinstance(result.get("duration"), str):
        seconds = duration_seconds(result["duration"])
        if seconds is not None and 0 <= seconds <= MAX_DURATION_S and math.isfinite(seconds):
            mapped["duration_s"] = seconds
        else:  # beyond what a Stride event holds: kept as sent, not counted as time
            xapi["duration"] = result["duration"]
    response = result.get("response")
    if isinstance(response, str) and len(response) <= MAX_TEXT_LENGTH:
        mapped["response"] = response
    return mapped


def _context_activities(context: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found = (context.get("contextActivities") or {}).get(kind)
    if isinstance(found, dict):
        return [found]
    return [item for item in found or [] if isinstance(item, dict)]


def _context_hints(context: dict[str, Any], activity: dict[str, str] | None) -> dict[str, Any]:
    """program/course/module from the parent, then grouping, context activities' types.

    The nearest one wins: parents before groupings, in the order sent.
    """
    hints: dict[str, Any] = {}
    for kind in ("parent", "grouping"):
        for item in _context_activities(context, kind):
            stride_type = activity_type_for((item.get("definition") or {}).get("type"))
            item_id = item.get("id")
            fits = isinstance(item_id, str) and len(item_id) <= MAX_ID_LENGTH
            if stride_type in HINT_TYPES and stride_type not in hints and fits:
                hints[stride_type] = item_id
    if activity is not None and activity["type"] in HINT_TYPES:
        hints.setdefault(activity["type"], activity["id"])
    return hints


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
