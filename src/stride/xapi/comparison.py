"""Statement comparison (xAPI Data 2.3.1): is a statement sent again the same statement?

Ignored, as the specification allows: the properties the LRS sets (`authority`, `stored`,
`version`), the case of the id, the order of object keys and of a group's members, how a
timestamp is written (compared as an instant) and a duration's precision beyond 0.01 s
(xAPI 2.0, 4.2.7). Everything else counts, arrays in order.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from stride.xapi.mapping import parse_instant, rfc3339

_SET_BY_LRS = ("authority", "stored", "version")


_SECONDS = re.compile(r"(\d+)\.(\d*)S$")  # the seconds of an ISO 8601 duration, with a fraction


def _seconds_to_hundredths(match: re.Match[str]) -> str:
    hundredths = match.group(2)[:2].rstrip("0")
    return f"{match.group(1)}.{hundredths}S" if hundredths else f"{match.group(1)}S"


def _normal(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v, k) for k, v in value.items()}
    if key == "duration" and isinstance(value, str):
        return _SECONDS.sub(_seconds_to_hundredths, value)
    if isinstance(value, list):
        items = [_normal(item) for item in value]
        if key == "member":  # a group's members are an unordered list
            items.sort(key=lambda item: orjson.dumps(item, option=orjson.OPT_SORT_KEYS))
        return items
    return value


def comparison_form(statement: dict[str, Any]) -> dict[str, Any]:
    form = {k: v for k, v in statement.items() if k not in _SET_BY_LRS}
    if isinstance(form.get("id"), str):
        form["id"] = form["id"].lower()
    normal: dict[str, Any] = _normal(form)
    _normalize_timestamp(normal)
    if isinstance(normal.get("object"), dict):
        _normalize_timestamp(normal["object"])
    return normal


def _normalize_timestamp(holder: dict[str, Any]) -> None:
    if isinstance(holder.get("timestamp"), str):
        instant = parse_instant(holder["timestamp"])
        if instant is not None:
            holder["timestamp"] = rfc3339(instant)


def content_hash(statement: dict[str, Any]) -> str:
    form = {k: v for k, v in statement.items() if k not in _SET_BY_LRS}
    if isinstance(form.get("id"), str):
        form["id"] = form["id"].lower()
    _normalize_timestamp(form)
    encoded = orjson.dumps(form, option=orjson.OPT_SORT_KEYS)
    target = statement.get("object")
    if b'"member"' in encoded or (isinstance(target, dict) and "timestamp" in target):
        # Groups (unordered members) or a sub-statement's timestamp: the full normal form.
        # Other forms that compare equal (durations) may hash apart: a differing hash is
        # followed by a comparison of the statements (stride.xapi.service).
        encoded = orjson.dumps(comparison_form(statement), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(encoded).hexdigest()
