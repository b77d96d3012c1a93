"""Turn a parsed ingest body into a list of raw events, and a report into a response body."""

from __future__ import annotations

from typing import Any

from stride.errors import FieldError, InvalidInput, PayloadTooLarge
from stride.ingest.pipeline import EventOutcome, EventStatus, IngestReport


def split_events(body: Any, max_events: int) -> tuple[list[Any], bool]:
    """Return the raw events and whether the body was a single event.

    Accepts one event object, `{"events": [...]}`, or a bare JSON array of events.
    """
    if isinstance(body, dict) and "events" in body:
        extra = sorted(set(body) - {"events"})
        if extra:
            raise InvalidInput(
                "A batch body holds only `events`.",
                [FieldError(name, "unknown field") for name in extra[:20]],
            )
        body = body["events"]
        if not isinstance(body, list):
            raise InvalidInput("`events` must be a list.", [FieldError("events", "must be a list")])
    if isinstance(body, list):
        if len(body) > max_events:
            raise PayloadTooLarge(
                f"A batch holds at most {max_events} events; this one has {len(body)}."
            )
        return body, False
    if isinstance(body, dict):
        return [body], True
    raise InvalidInput(
        'Send one event object, {"events": [...]}, or a JSON array of events.',
        [FieldError("(body)", "must be a JSON object or array")],
    )


def _result(outcome: EventOutcome) -> dict[str, Any]:
    result: dict[str, Any] = {
        "index": outcome.index,
        "id": outcome.event_id,
        "status": outcome.status.value,
    }
    if outcome.reason is not None:
        result["reason"] = outcome.reason.value
    if outcome.errors:
        result["error"] = outcome.errors[0].as_dict()
        result["errors"] = [error.as_dict() for error in outcome.errors]
    return result


def report_body(report: IngestReport, counts: dict[EventStatus, int]) -> dict[str, Any]:
    return {
        "accepted": counts[EventStatus.ACCEPTED],
        "duplicates": counts[EventStatus.DUPLICATE],
        "conflicts": counts[EventStatus.CONFLICT],
        "rejected": counts[EventStatus.REJECTED],
        "results": [_result(outcome) for outcome in report.outcomes],
    }
