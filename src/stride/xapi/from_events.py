"""Turn a Stride event into an xAPI statement: the reverse of stride.xapi.mapping (pure).

Used by exports (`format=xapi`, docs/exports.md has the tables). The statement is valid xAPI
1.0.3 and 2.0 (`stride.xapi.validation`), and Stride's own mapping reads it back as the same
event type, activity, result and context, for every type the mapping knows.

- **id**: the event id; for an event that came in as a statement, that statement's id.
- **actor**: an Agent with an `account` whose `homePage` is `base_iri` (the deployment's
  public URL) and whose `name` is the **pseudonymous learner key**: Stride never stores who a
  learner is, so an export cannot name them.
- **verb**: the standard verb of the event type (table `VERBS`); `assessment.submitted` is
  `passed` or `failed` by its success, else `scored`. A statement's own verb is kept. Types
  without a standard verb (goals, achievements, custom types) get `urn:stride:xapi/verbs/<type>`.
- **object**: the activity, its id as an IRI (ids that are not `http(s):`, `urn:` or `tag:`
  IRIs become `<base_iri>/activities/<id, percent-encoded>`) and its type as an IRI
  (`ACTIVITY_TYPES`); events without an activity name the deployment itself (`base_iri`).
- **result**: `score.scaled`, `success`, `completion`, `duration` (ISO 8601, to 0.01 s),
  `response`.
- **context**: program, course and module as `contextActivities.grouping`, `platform`, the
  statement's `registration`, and in `extensions` what xAPI has no place for: the Stride
  event type, session, skills, other context keys, properties, and whether Stride derived it.
- **timestamp**: the event's time; **stored**: when Stride received it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
# Stride owns no web domain that every deployment shares, so the IRIs it mints are URNs.
STRIDE_IRI = "urn:stride:xapi"
XAPI_VERSION = "1.0.3"

VERBS: dict[str, str] = {
    "activity.completed": ADL + "completed",
    "exercise.attempted": ADL + "answered",
    "activity.started": ADL + "attempted",
    "activity.progressed": ADL + "progressed",
    "session.started": ADL + "initialized",
    "session.ended": ADL + "terminated",
    "enrollment.created": ADL + "registered",
    "enrollment.cancelled": "http://id.tincanapi.com/verb/unregistered",
}
ASSESSMENT_VERBS = {
    True: ADL + "passed",
    False: ADL + "failed",
    None: "https://w3id.org/xapi/tla/verbs/scored",
}
# Stride activity type -> activity type IRI; the mapping reads each back by its last word.
ACTIVITY_TYPES: dict[str, str] = {
    "program": f"{STRIDE_IRI}/activities/program",
    "course": ADL_ACTIVITIES + "course",
    "module": ADL_ACTIVITIES + "module",
    "lesson": ADL_ACTIVITIES + "lesson",
    "assessment": ADL_ACTIVITIES + "assessment",
    "exercise": ADL_ACTIVITIES + "cmi.interaction",
    "meeting": ADL_ACTIVITIES + "meeting",
    "block": f"{STRIDE_IRI}/activities/block",
}
EXTENSION = f"{STRIDE_IRI}/extensions/"
_HINTS = ("module", "course", "program")  # nearest first, as the mapping reads them
_CONTEXT_KEYS = frozenset({*_HINTS, "platform"})
_IRI = re.compile(r"^(?:https?://|urn:|tag:)[^\s<>\"{}|\\^`]+$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def statement_from_event(
    *,
    event_id: str,
    learner_key: str,
    event_type: str,
    timestamp: datetime,
    stored: datetime,
    payload: dict[str, Any],
    base_iri: str,
) -> dict[str, Any]:
    """The xAPI statement of one stored event (its payload as the log keeps it)."""
    base = base_iri.rstrip("/")
    origin = (payload.get("properties") or {}).get("xapi")
    origin = origin if isinstance(origin, dict) else {}
    result = payload.get("result") or {}
    statement_id = origin.get("statement")
    statement: dict[str, Any] = {
        "id": str(statement_id).lower() if _is_uuid(statement_id) else event_id,
        "actor": {"objectType": "Agent", "account": {"homePage": base, "name": learner_key}},
        "verb": _verb(event_type, result.get("success"), origin.get("verb")),
        "object": _object(payload.get("activity"), origin, base),
    }
    mapped_result = _result(result, origin.get("duration"))
    if mapped_result:
        statement["result"] = mapped_result
    statement["context"] = _context(event_type, payload, origin, base)
    statement["timestamp"] = _instant(timestamp)
    statement["stored"] = _instant(stored)
    statement["version"] = XAPI_VERSION
    return statement


def activity_iri(activity_id: str, base_iri: str) -> str:
    """An activity id as an IRI: itself when it is one, else under `<base>/activities/`."""
    if _IRI.match(activity_id):
        return activity_id
    return f"{base_iri.rstrip('/')}/activities/{quote(activity_id, safe='')}"


def duration_text(seconds: float) -> str:
    """Seconds as an ISO 8601 duration, to the hundredth xAPI keeps: 60 -> PT60S."""
    text = f"{seconds:.2f}".rstrip("0").rstrip(".")
    return f"PT{text}S"


def _verb(event_type: str, success: Any, original: Any) -> dict[str, Any]:
    if isinstance(original, str) and _IRI.match(original):
        verb_id = original
    elif event_type == "assessment.submitted":
        verb_id = ASSESSMENT_VERBS[success if isinstance(success, bool) else None]
    else:
        verb_id = VERBS.get(event_type, f"{STRIDE_IRI}/verbs/{event_type}")
    word = re.split(r"[/#:]", verb_id)[-1]
    return {"id": verb_id, "display": {"en-US": word}}


def _object(activity: Any, origin: dict[str, Any], base: str) -> dict[str, Any]:
    if not isinstance(activity, dict):
        return {"objectType": "Activity", "id": base}
    original, original_type = origin.get("object"), origin.get("object_type")
    same = isinstance(original, str) and _IRI.match(original)
    type_iri = original_type if same and isinstance(original_type, str) else None
    return {
        "objectType": "Activity",
        "id": original if same else activity_iri(activity["id"], base),
        "definition": {"type": type_iri or ACTIVITY_TYPES[activity["type"]]},
    }


def _result(result: dict[str, Any], original_duration: Any) -> dict[str, Any]:
    mapped: dict[str, Any] = {}
    if result.get("score") is not None:
        mapped["score"] = {"scaled": result["score"]}
    for key in ("success", "completion"):
        if isinstance(result.get(key), bool):
            mapped[key] = result[key]
    if result.get("duration_s") is not None:
        mapped["duration"] = duration_text(float(result["duration_s"]))
    elif isinstance(original_duration, str):
        mapped["duration"] = original_duration
    if isinstance(result.get("response"), str):
        mapped["response"] = result["response"]
    return mapped


def _context(
    event_type: str, payload: dict[str, Any], origin: dict[str, Any], base: str
) -> dict[str, Any]:
    hints = payload.get("context") or {}
    activity_id = (payload.get("activity") or {}).get("id")
    context: dict[str, Any] = {}
    grouping = [
        {
            "objectType": "Activity",
            "id": activity_iri(hints[kind], base),
            "definition": {"type": ACTIVITY_TYPES[kind]},
        }
        for kind in _HINTS
        if isinstance(hints.get(kind), str) and hints[kind] != activity_id
    ]
    if grouping:
        context["contextActivities"] = {"grouping": grouping}
    if isinstance(hints.get("platform"), str):
        context["platform"] = hints["platform"]
    if _is_uuid(origin.get("registration")):
        context["registration"] = origin["registration"]
    context["extensions"] = _extensions(event_type, payload, hints)
    return context


def _extensions(event_type: str, payload: dict[str, Any], hints: dict[str, Any]) -> dict[str, Any]:
    extensions: dict[str, Any] = {EXTENSION + "event-type": event_type}
    if payload.get("session") is not None:
        extensions[EXTENSION + "session"] = payload["session"]
    if payload.get("skills"):
        extensions[EXTENSION + "skills"] = payload["skills"]
    rest = {k: v for k, v in hints.items() if k not in _CONTEXT_KEYS}
    if rest:
        extensions[EXTENSION + "context"] = rest
    properties = {k: v for k, v in (payload.get("properties") or {}).items() if k != "xapi"}
    if properties:
        extensions[EXTENSION + "properties"] = properties
    if payload.get("derived"):
        extensions[EXTENSION + "derived"] = True
    return extensions


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _is_uuid(value: Any) -> bool:
    return isinstance(value, str) and _UUID.match(value) is not None
