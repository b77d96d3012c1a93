"""What an import file holds: its container (JSON array, JSON Lines, CSV), detected from the
name and then the content, and what its records are (Stride events, xAPI statements, CSV rows).

Each kind of record becomes a raw Stride event through one converter function:
`(value) -> event dict | field errors | None` (None: not an event, e.g. a voiding statement).
A new kind of record plugs in by adding its converter to `CONVERTERS`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import IO, Any

import orjson

from stride.errors import FieldError, InvalidInput
from stride.importing.csv_mapping import MappingSpec, RowMapper, build_mapper
from stride.importing.readers import (
    BOM,
    WRAPPER,
    Position,
    Record,
    read_csv,
    read_csv_header,
    read_json_array,
    read_jsonl,
)
from stride.xapi.mapping import statement_to_event
from stride.xapi.validation import V1, V2, statement_errors

Converted = dict[str, Any] | list[FieldError] | None
Converter = Callable[[Any], Converted]
Reader = Callable[[IO[bytes], Position], Iterator[Record]]


class Format(StrEnum):
    """The formats `stride import --format` accepts; AUTO detects one of the others."""

    AUTO = "auto"
    JSON = "json"  # Stride events in a JSON array
    JSONL = "jsonl"  # Stride events, one per line
    CSV = "csv"  # rows mapped to events by a column mapping
    XAPI = "xapi"  # xAPI statements, in a JSON array or one per line


JSON_SUFFIXES = {".json": Format.JSON, ".jsonl": Format.JSONL, ".ndjson": Format.JSONL}
CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
HEAD_BYTES = 64 * 1024
XAPI_VOIDED = "http://adlnet.gov/expapi/verbs/voided"
# Statements without an id get a UUIDv5 of their content, so a re-import is a duplicate.
STATEMENT_NAMESPACE = uuid.UUID("5c3a0f1e-9d2b-5a7c-8e6f-1b2c3d4e5f60")


@dataclass(frozen=True)
class Source:
    """How to read one file: its records from a position, and each record as an event."""

    name: str  # json, jsonl, csv, xapi-json or xapi-jsonl: what was read
    read: Reader
    convert: Converter
    first: Position  # where the first record starts (after a CSV header)


def open_source(path: Path, stream: IO[bytes], requested: Format, mapping: MappingSpec) -> Source:
    """The source `requested` (or detected), checked: a CSV mapping against the header."""
    head = stream.read(HEAD_BYTES)
    container = _container(path, head, requested)
    if container is Format.CSV:
        delimiter = mapping.delimiter or CSV_SUFFIXES.get(path.suffix.lower(), ",")
        if len(delimiter) != 1:
            raise InvalidInput(f"The CSV delimiter must be one character, got {delimiter!r}.")
        header, first = read_csv_header(stream, delimiter)
        if not header:
            raise InvalidInput(f"{path.name} is empty: a CSV file starts with a header row.")
        mapper: RowMapper = build_mapper(mapping, header)
        rows: Reader = partial(read_csv, header=header, delimiter=delimiter)
        return Source("csv", rows, mapper.convert, first)
    read: Reader = read_json_array if container is Format.JSON else read_jsonl
    xapi = requested is Format.XAPI or (
        requested is Format.AUTO and _looks_like_statement(_first_value(stream, read))
    )
    if xapi:
        return Source(f"xapi-{container.value}", read, statement_event, Position())
    return Source(container.value, read, stride_event, Position())


def stride_event(value: Any) -> Converted:
    """A Stride event goes to the pipeline as it is: the pipeline validates it."""
    return value  # type: ignore[no-any-return]


def statement_event(value: Any) -> Converted:
    """An xAPI statement as its Stride event (stride.xapi.mapping, as the LRS maps it).

    The statement is checked as the LRS checks one (stride.xapi.validation; under 2.0 when
    its `version` says 2.x, else 1.0.3), and must have a timestamp (or a `stored` time).
    """
    if not isinstance(value, dict):
        return [FieldError("(statement)", "must be a JSON object")]
    version = V2 if str(value.get("version", "")).startswith("2.") else V1
    errors = statement_errors(value, version)
    if errors:
        return errors
    statement = dict(value)
    if statement.get("id") is None:
        canonical = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        statement["id"] = str(uuid.uuid5(STATEMENT_NAMESPACE, canonical))
    if statement.get("timestamp") is None:
        statement["timestamp"] = statement.get("stored")  # an LRS export has the stored time
    if not _is_instant(statement["timestamp"]):
        return [FieldError("timestamp", "field required (or `stored`): Stride events have a time")]
    if statement["verb"]["id"] == XAPI_VOIDED:
        return None  # voids a statement; no event of its own
    try:
        event = statement_to_event(statement)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        return [FieldError("(statement)", f"cannot be mapped to an event ({exc!r})")]
    if event is None:
        reason = "has no mbox, mbox_sha1sum, openid or account to identify the learner"
        return [FieldError("actor", reason)]
    return event


CONVERTERS: dict[str, Converter] = {"stride": stride_event, "xapi": statement_event}


def _is_instant(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _container(path: Path, head: bytes, requested: Format) -> Format:
    if requested in (Format.JSON, Format.JSONL, Format.CSV):
        return requested
    suffix = path.suffix.lower()
    if requested is Format.AUTO:
        if suffix in CSV_SUFFIXES:
            return Format.CSV
        if JSON_SUFFIXES.get(suffix) is Format.JSONL:
            return Format.JSONL
    text = head.removeprefix(BOM).lstrip()
    if text.startswith(b"["):
        return Format.JSON
    if text.startswith(b"{"):
        if WRAPPER.match(text.decode(errors="replace")):
            return Format.JSON
        first_line = text.split(b"\n", 1)[0]
        try:
            orjson.loads(first_line)
        except orjson.JSONDecodeError:
            return Format.JSON  # one object over several lines
        return Format.JSONL
    if not text or requested is Format.XAPI:
        return Format.JSONL  # an empty file holds no records; other text is reported per line
    # A .json file that is no JSON: its reader says what is wrong; anything else is CSV.
    return JSON_SUFFIXES.get(suffix, Format.CSV)


def _first_value(stream: IO[bytes], read: Reader) -> Any:
    first = next(read(stream, Position()), None)
    return None if first is None else first.value


def _looks_like_statement(value: Any) -> bool:
    return (
        isinstance(value, dict) and "verb" in value and "actor" in value and "learner" not in value
    )
