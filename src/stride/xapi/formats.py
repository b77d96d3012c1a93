"""The `format` of GET /xapi/statements: exact (as stored), ids, canonical. Pure."""

from __future__ import annotations

from typing import Any

FORMATS = ("exact", "ids", "canonical")
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_LANGUAGE_MAPS = ("display", "name", "description")


def _agent_ids(agent: Any) -> Any:
    if not isinstance(agent, dict):
        return agent
    reduced = {k: agent[k] for k in ("objectType", *_IFIS) if k in agent}
    if agent.get("objectType") == "Group" and "member" in agent:
        reduced["member"] = [_agent_ids(m) for m in agent["member"]]
    return reduced


def _activity_ids(activity: Any) -> Any:
    # The id alone identifies an activity; objectType is optional on activities.
    if isinstance(activity, dict) and "id" in activity:
        return {"id": activity["id"]}
    return activity


def _object_ids(target: Any) -> Any:
    if not isinstance(target, dict):
        return target
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        return _activity_ids(target)
    if kind in ("Agent", "Group"):
        return _agent_ids(target)
    if kind == "SubStatement":
        return _statement_ids(target)
    return target


def _statement_ids(statement: dict[str, Any]) -> dict[str, Any]:
    reduced = dict(statement)
    for key in ("actor", "authority"):
        if key in reduced:
            reduced[key] = _agent_ids(reduced[key])
    if isinstance(reduced.get("verb"), dict):
        reduced["verb"] = {"id": reduced["verb"].get("id")}
    if "object" in reduced:
        reduced["object"] = _object_ids(reduced["object"])
    context = reduced.get("context")
    if isinstance(context, dict):
        context = dict(context)
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _agent_ids(context[key])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            # Arrays by now (with_context_arrays, which `formatted` applies first).
            context["contextActivities"] = {
                kind: [_activity_ids(a) for a in items] for kind, items in activities.items()
            }
        reduced["context"] = context
    return reduced


def _canonical(value: Any, languages: list[str]) -> Any:
    if isinstance(value, list):
        return [_canonical(item, languages) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key in _LANGUAGE_MAPS and isinstance(item, dict) and item:
            result[key] = _one_language(item, languages)
        elif key == "extensions":
            result[key] = item
        else:
            result[key] = _canonical(item, languages)
    return result


def _one_language(language_map: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """The entry of the most preferred language: its exact tag first, else the same primary
    language ("en" for "en-GB", "en-US" for "en"); the first entry when none matches."""
    lowered = {tag.lower(): tag for tag in language_map}
    for wanted in languages:
        wanted = wanted.lower()
        if wanted in lowered:
            tag = lowered[wanted]
            return {tag: language_map[tag]}
        for tag_lower, tag in lowered.items():
            if tag_lower.split("-")[0] == wanted.split("-")[0]:
                return {tag: language_map[tag]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def accepted_languages(header: str | None) -> list[str]:
    """Language tags of an Accept-Language header, by preference."""
    if not header:
        return []
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def with_context_arrays(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement with every contextActivities value an array, as the LRS must return it
    (xAPI Data 2.4.6.2) even when a single activity was sent; statements are stored as sent."""
    result = _context_arrays(statement)
    target = result.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        result = {**result, "object": _context_arrays(target)}
    return result


def _context_arrays(holder: dict[str, Any]) -> dict[str, Any]:
    context = holder.get("context")
    if not isinstance(context, dict):
        return holder
    activities = context.get("contextActivities")
    if not isinstance(activities, dict) or all(isinstance(v, list) for v in activities.values()):
        return holder
    arrays = {k: v if isinstance(v, list) else [v] for k, v in activities.items()}
    return {**holder, "context": {**context, "contextActivities": arrays}}


def formatted(statement: dict[str, Any], form: str, languages: list[str]) -> dict[str, Any]:
    statement = with_context_arrays(statement)
    if form == "ids":
        return _statement_ids(statement)
    if form == "canonical":
        result: dict[str, Any] = _canonical(statement, languages)
        return result
    return statement
