"""CSV rows -> raw Stride events: which column fills which field, and how its text converts.

Pure: no I/O. `parse_mapping` checks a mapping document (the `--mapping` YAML plus the
command's `--map`/`--default` options) against the file's header once; `RowMapper.convert`
then turns each row into a raw event (or field errors), which the ingest pipeline validates
like any event sent over HTTP. docs/import.md lists the fields and conversions.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from stride.errors import FieldError, InvalidInput


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    LIST = "list"  # text split on ';'


class Unmapped(StrEnum):
    IGNORE = "ignore"
    PROPERTIES = "properties"  # kept as text in properties.<column>


# The event fields a column can fill, and the kind of value each takes.
FIELDS: dict[str, Kind] = {
    "id": Kind.TEXT,
    "type": Kind.TEXT,
    "learner": Kind.TEXT,
    "timestamp": Kind.TIMESTAMP,
    "session": Kind.TEXT,
    "activity.id": Kind.TEXT,
    "activity.type": Kind.TEXT,
    "skills": Kind.LIST,
    "result.score": Kind.NUMBER,
    "result.success": Kind.BOOLEAN,
    "result.completion": Kind.BOOLEAN,
    "result.duration_s": Kind.NUMBER,
    "result.response": Kind.TEXT,
    "context.program": Kind.TEXT,
    "context.course": Kind.TEXT,
    "context.module": Kind.TEXT,
    "context.platform": Kind.TEXT,
    "context.attempt": Kind.INTEGER,
}
# Free-form fields: properties.<name> and context.<name>, text unless a kind is given.
OPEN_PREFIXES = ("properties.", "context.")
REQUIRED = ("type", "learner", "timestamp")
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
LIST_SEPARATOR = ";"
# Ids of rows without an id column: a UUIDv5 of the row's event in this namespace, so the same
# row imported twice is a duplicate rather than a second event.
ROW_NAMESPACE = uuid.UUID("0b6d3f4e-7c1a-5e2b-9d8f-3a4c5b6e7f80")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Target:
    """An event field a column fills: its dotted path and the kind its text converts to."""

    path: str
    kind: Kind


@dataclass(frozen=True)
class MappingSpec:
    """A mapping as written: column -> "field[:kind]", field -> constant, and options."""

    columns: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    timezone: str | None = None
    unmapped: Unmapped = Unmapped.IGNORE
    delimiter: str | None = None

    def merged(self, other: MappingSpec) -> MappingSpec:
        """This spec with `other`'s entries added on top (other wins; its `unmapped` too)."""
        return MappingSpec(
            {**self.columns, **other.columns},
            {**self.defaults, **other.defaults},
            other.timezone or self.timezone,
            other.unmapped,
            other.delimiter or self.delimiter,
        )


def parse_target(text: str) -> Target:
    """ "result.score" -> Target("result.score", NUMBER); "properties.x:number" -> NUMBER."""
    path, _, kind_text = text.strip().partition(":")
    path = path.strip()
    known = FIELDS.get(path)
    if kind_text:
        try:
            kind = Kind(kind_text.strip())
        except ValueError:
            kinds = ", ".join(k.value for k in Kind)
            raise ValueError(f"unknown kind {kind_text!r}; one of {kinds}") from None
        if known is not None and kind is not known:
            raise ValueError(f"{path} is always {known.value}")
        return Target(path, kind)
    if known is not None:
        return Target(path, known)
    prefix = next((p for p in OPEN_PREFIXES if path.startswith(p)), None)
    if prefix is not None and _NAME.match(path[len(prefix) :]) and "." not in path[len(prefix) :]:
        return Target(path, Kind.TEXT)
    raise ValueError(
        f"unknown event field {path!r}; one of {', '.join(FIELDS)}, properties.<name>, "
        "context.<name>"
    )


def spec_from_document(document: Any) -> MappingSpec:
    """A mapping file's content (already parsed from YAML or JSON) as a spec."""
    if not isinstance(document, dict):
        raise InvalidInput("The mapping file must hold an object with `columns`.")
    errors: list[FieldError] = []
    allowed = {"columns", "defaults", "timezone", "unmapped", "delimiter"}
    errors += [FieldError(str(key), "unknown field") for key in document if key not in allowed]
    columns = {} if document.get("columns") is None else document["columns"]
    defaults = {} if document.get("defaults") is None else document["defaults"]
    for name, value in (("columns", columns), ("defaults", defaults)):
        if not isinstance(value, dict):
            errors.append(FieldError(name, "must be an object"))
    for key in ("timezone", "delimiter"):
        if document.get(key) is not None and not isinstance(document[key], str):
            errors.append(FieldError(key, "must be text"))
    unmapped = document.get("unmapped", "ignore")
    if unmapped not in {u.value for u in Unmapped}:
        errors.append(FieldError("unmapped", "must be `ignore` or `properties`"))
    if errors:
        raise InvalidInput("The mapping file is not valid.", errors)
    return MappingSpec(
        {str(k): str(v) for k, v in columns.items()},
        {str(k): v for k, v in defaults.items()},
        document.get("timezone"),
        Unmapped(unmapped),
        document.get("delimiter"),
    )


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    """["a=b", ...] (repeated command options) as a dict; errors name the option."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        left, sep, right = pair.partition("=")
        if not sep or not left.strip():
            raise InvalidInput(f"{option} takes LEFT=RIGHT, got {pair!r}.")
        parsed[left.strip()] = right.strip()
    return parsed


@dataclass(frozen=True)
class _Column:
    name: str
    target: Target


@dataclass(frozen=True)
class RowMapper:
    """Converts rows of one CSV file (its header known) into raw events."""

    columns: tuple[_Column, ...]
    defaults: Mapping[str, Any]  # dotted path -> converted constant
    timezone: tzinfo | None

    def convert(self, row: Mapping[str, str]) -> dict[str, Any] | list[FieldError]:
        event: dict[str, Any] = {}
        errors: list[FieldError] = []
        for column in self.columns:
            text = row[column.name].strip()
            if not text:
                continue  # an empty cell leaves the field out
            try:
                value = convert_value(text, column.target.kind, self.timezone)
            except ValueError as exc:
                errors.append(FieldError(column.target.path, f"column {column.name!r}: {exc}"))
                continue
            _set(event, column.target.path, value)
        if errors:
            return errors
        for path, value in self.defaults.items():
            _set_default(event, path, value)
        if "id" not in event:
            event["id"] = row_event_id(event)
        return event


def build_mapper(spec: MappingSpec, header: list[str]) -> RowMapper:
    """Check `spec` against the file's header; every problem is reported at once.

    Columns named like an event field (`learner`, `result.score`, `properties.x`) fill that
    field unless the spec maps them elsewhere; other columns are ignored, or kept in
    `properties.<column>` when `unmapped` says so.
    """
    errors: list[FieldError] = []
    timezone = _timezone(spec.timezone, errors)
    duplicates = sorted({name for name in header if header.count(name) > 1})
    errors += [FieldError(f"column {n!r}", "appears twice in the header") for n in duplicates]
    chosen: dict[str, Target] = {}
    for column, target_text in spec.columns.items():
        if column not in header:
            shown = ", ".join(header) or "(empty)"
            errors.append(FieldError(f"column {column!r}", f"not in the file's header: {shown}"))
            continue
        try:
            chosen[column] = parse_target(target_text)
        except ValueError as exc:
            errors.append(FieldError(f"column {column!r}", str(exc)))
    for column in header:
        if column in chosen or column in spec.columns:
            continue
        try:
            chosen[column] = parse_target(column)
        except ValueError:
            if spec.unmapped is Unmapped.PROPERTIES:
                chosen[column] = Target(f"properties.{column}", Kind.TEXT)
    defaults: dict[str, Any] = {}
    for path_text, value in spec.defaults.items():
        try:
            target = parse_target(path_text)
            defaults[target.path] = _constant(value, target.kind, timezone)
        except ValueError as exc:
            errors.append(FieldError(f"default {path_text!r}", str(exc)))
    by_path: dict[str, list[str]] = {}
    for column, target in chosen.items():
        by_path.setdefault(target.path, []).append(column)
    for path, names in sorted(by_path.items()):
        if len(names) > 1:
            errors.append(FieldError(path, f"filled by several columns: {', '.join(names)}"))
    for path in REQUIRED:
        if path not in by_path and path not in defaults:
            errors.append(FieldError(path, "no column or default gives this required field"))
    if errors:
        raise InvalidInput("The CSV column mapping is not valid.", errors)
    columns = tuple(_Column(name, target) for name, target in chosen.items())
    return RowMapper(columns, defaults, timezone)


def convert_value(text: str, kind: Kind, timezone: tzinfo | None) -> Any:
    """One cell's text as a value of `kind`; ValueError says why it cannot be."""
    converter: Callable[[str, tzinfo | None], Any] = _CONVERTERS[kind]
    return converter(text, timezone)


def row_event_id(event: Mapping[str, Any]) -> str:
    return str(uuid.uuid5(ROW_NAMESPACE, orjson.dumps(event, option=orjson.OPT_SORT_KEYS).decode()))


def _text(text: str, _: tzinfo | None) -> str:
    return text


def _number(text: str, _: tzinfo | None) -> float | int:
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{text!r} is not a finite number") from None
        return number
    return value


def _integer(text: str, _: tzinfo | None) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _boolean(text: str, _: tzinfo | None) -> bool:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a boolean (true/false, yes/no, 1/0)")


def _timestamp(text: str, timezone: tzinfo | None) -> str:
    if _EPOCH.match(text):
        try:
            instant = datetime.fromtimestamp(float(text), UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{text!r} is out of range as Unix seconds") from None
        return instant.isoformat().replace("+00:00", "Z")
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date-time (RFC 3339 such as 2024-05-01T09:30:00Z, or Unix seconds)"
        ) from None
    if instant.tzinfo is None:
        if timezone is None:
            raise ValueError(f"{text!r} has no UTC offset; give the file's time zone (--timezone)")
        instant = instant.replace(tzinfo=timezone)
    return instant.isoformat()


def _list(text: str, _: tzinfo | None) -> list[str]:
    return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]


_CONVERTERS: dict[Kind, Callable[[str, tzinfo | None], Any]] = {
    Kind.TEXT: _text,
    Kind.NUMBER: _number,
    Kind.INTEGER: _integer,
    Kind.BOOLEAN: _boolean,
    Kind.TIMESTAMP: _timestamp,
    Kind.LIST: _list,
}


def _constant(value: Any, kind: Kind, timezone: tzinfo | None) -> Any:
    """A default from YAML may already be typed; text converts like a cell."""
    if isinstance(value, str):
        return convert_value(value.strip(), kind, timezone)
    if kind is Kind.LIST and isinstance(value, list):
        return [str(item) for item in value]
    if kind is Kind.BOOLEAN and isinstance(value, bool):
        return value
    if kind is Kind.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is Kind.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime) and kind is Kind.TIMESTAMP:  # YAML reads bare timestamps
        return _timestamp(value.isoformat(), timezone)
    raise ValueError(f"{value!r} is not a {kind.value}")


def _timezone(name: str | None, errors: list[FieldError]) -> tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("timezone", f"unknown time zone {name!r}"))
        return None


def _set(event: dict[str, Any], path: str, value: Any) -> None:
    head, dot, rest = path.partition(".")
    if dot:
        event.setdefault(head, {})[rest] = value
    else:
        event[head] = value


def _set_default(event: dict[str, Any], path: str, value: Any) -> None:
    head, dot, rest = path.partition(".")
    if dot:
        event.setdefault(head, {}).setdefault(rest, value)
    else:
        event.setdefault(head, value)
