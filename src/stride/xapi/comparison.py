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


# The seconds of an ISO 8601 duration, with their fraction: cut to hundredths to compare.
_FINE_SECONDS = re.compile(r"(\d+\.\d{2})\d+S$")
_FINE_DURATION = re.compile(rb'\d\.\d{3,}S"')  # such a duration in a statement's JSON


def _normal(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v, k) for k, v in value.items()}
    if key == "duration" and isinstance(value, str):
        return _FINE_SECONDS.sub(r"\1S", value)
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
    if (
        b'"member"' in encoded
        or (isinstance(target, dict) and "timestamp" in target)
        or _FINE_DURATION.search(encoded) is not None
    ):
        # Groups (unordered members), a sub-statement's timestamp or a duration finer than
        # 0.01 s: the full normal form.
        encoded = orjson.dumps(comparison_form(statement), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(encoded).hexdigest()
