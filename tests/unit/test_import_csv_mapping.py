"""CSV column mappings: which column fills which field, conversions, and mapping errors."""

from __future__ import annotations

from typing import Any

import pytest

from stride.errors import FieldError, InvalidInput
from stride.importing.csv_mapping import (
    Kind,
    MappingSpec,
    Target,
    Unmapped,
    build_mapper,
    convert_value,
    parse_pairs,
    parse_target,
    spec_from_document,
)

HEADER = ["user", "when", "what", "score", "passed", "secs", "course", "note"]
SPEC = MappingSpec(
    columns={
        "user": "learner",
        "when": "timestamp",
        "what": "activity.id",
        "score": "result.score",
        "passed": "result.success",
        "secs": "result.duration_s",
        "course": "context.course",
    },
    defaults={"type": "exercise.attempted", "activity.type": "exercise"},
)
ROW = {
    "user": " ana ",
    "when": "2024-05-01T09:30:00Z",
    "what": "c1/ex-1",
    "score": "0.75",
    "passed": "Yes",
    "secs": "42",
    "course": "",
    "note": "hello",
}


def test_a_row_becomes_an_event_with_converted_values() -> None:
    event = build_mapper(SPEC, HEADER).convert(ROW)
    assert isinstance(event, dict)
    assert event.pop("id")  # a UUIDv5 of the row's content
    assert event == {
        "learner": "ana",
        "timestamp": "2024-05-01T09:30:00+00:00",
        "activity": {"id": "c1/ex-1", "type": "exercise"},
        "result": {"score": 0.75, "success": True, "duration_s": 42},
        "type": "exercise.attempted",
    }  # the empty course cell leaves context out; the unmapped note is ignored


def test_rows_without_an_id_get_the_same_id_for_the_same_content() -> None:
    mapper = build_mapper(SPEC, HEADER)
    first, again, other = (
        mapper.convert(ROW),
        mapper.convert(dict(ROW)),
        mapper.convert({**ROW, "score": "0.5"}),
    )
    assert isinstance(first, dict) and isinstance(again, dict) and isinstance(other, dict)
    assert first["id"] == again["id"] != other["id"]


def test_unmapped_columns_can_be_kept_in_properties() -> None:
    spec = MappingSpec(SPEC.columns, SPEC.defaults, unmapped=Unmapped.PROPERTIES)
    event = build_mapper(spec, HEADER).convert(ROW)
    assert isinstance(event, dict) and event["properties"] == {"note": "hello"}


def test_columns_named_like_fields_map_themselves() -> None:
    header = ["id", "type", "learner", "timestamp", "result.score", "properties.points:number"]
    row = {
        "id": "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69",
        "type": "activity.completed",
        "learner": "ben",
        "timestamp": "1714555800",
        "result.score": "1",
        "properties.points:number": "2.5",
    }
    event = build_mapper(MappingSpec(), header).convert(row)
    assert event == {
        "id": "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69",
        "type": "activity.completed",
        "learner": "ben",
        "timestamp": "2024-05-01T09:30:00Z",
        "result": {"score": 1},
        "properties": {"points": 2.5},
    }


def test_cell_errors_name_the_field_and_the_column() -> None:
    row = {**ROW, "score": "high", "passed": "maybe", "when": "yesterday"}
    errors = build_mapper(SPEC, HEADER).convert(row)
    assert isinstance(errors, list)
    assert [e.path for e in errors] == ["timestamp", "result.score", "result.success"]
    assert errors[1] == FieldError("result.score", "column 'score': 'high' is not a number")
    assert "column 'passed'" in errors[2].reason


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("0.5", Kind.NUMBER, 0.5),
        ("3", Kind.NUMBER, 3),
        ("7", Kind.INTEGER, 7),
        ("TRUE", Kind.BOOLEAN, True),
        ("0", Kind.BOOLEAN, False),
        ("n", Kind.BOOLEAN, False),
        ("a; b;;c ", Kind.LIST, ["a", "b", "c"]),
        ("2024-05-01T09:30:00+02:00", Kind.TIMESTAMP, "2024-05-01T09:30:00+02:00"),
        ("2024-05-01 09:30:00", Kind.TIMESTAMP, "2024-05-01T09:30:00+02:00"),  # in Berlin
        ("2024-05-01", Kind.TIMESTAMP, "2024-05-01T00:00:00+02:00"),
        ("1714555800.5", Kind.TIMESTAMP, "2024-05-01T09:30:00.500000Z"),
    ],
)
def test_conversions(text: str, kind: Kind, expected: Any) -> None:
    from zoneinfo import ZoneInfo

    assert convert_value(text, kind, ZoneInfo("Europe/Berlin")) == expected


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("nan", Kind.NUMBER, "not a finite number"),
        ("1.5", Kind.INTEGER, "not a whole number"),
        ("2024-05-01 09:30", Kind.TIMESTAMP, "no UTC offset"),
        ("99999999999999999999", Kind.TIMESTAMP, "out of range"),
    ],
)
def test_conversion_errors(text: str, kind: Kind, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        convert_value(text, kind, None)


def test_mapping_problems_are_reported_together() -> None:
    spec = MappingSpec(
        columns={"user": "learner", "ghost": "type", "when": "result.grade", "what": "learner"},
        defaults={"result.score": "lots"},
        timezone="Mars/Base",
    )
    with pytest.raises(InvalidInput) as caught:
        build_mapper(spec, ["user", "when", "what", "what2", "what2"])
    paths = {e.path: e.reason for e in caught.value.errors}
    assert "not in the file's header" in paths["column 'ghost'"]
    assert "unknown event field" in paths["column 'when'"]
    assert paths["learner"] == "filled by several columns: user, what"
    assert paths["timestamp"] == "no column or default gives this required field"
    assert paths["type"] == "no column or default gives this required field"
    assert "not a number" in paths["default 'result.score'"]
    assert paths["timezone"] == "unknown time zone 'Mars/Base'"
    assert paths["column 'what2'"] == "appears twice in the header"


def test_targets_and_kinds() -> None:
    assert parse_target("result.score") == Target("result.score", Kind.NUMBER)
    assert parse_target("properties.level:integer") == Target("properties.level", Kind.INTEGER)
    assert parse_target("context.room") == Target("context.room", Kind.TEXT)
    with pytest.raises(ValueError, match="always number"):
        parse_target("result.score:text")
    with pytest.raises(ValueError, match="unknown kind"):
        parse_target("properties.x:date")
    with pytest.raises(ValueError, match="unknown event field"):
        parse_target("properties.a.b")


def test_mapping_documents_and_options() -> None:
    spec = spec_from_document(
        {
            "columns": {"user": "learner"},
            "defaults": {"type": "activity.completed", "result.success": True},
            "timezone": "UTC",
            "unmapped": "properties",
            "delimiter": ";",
        }
    )
    assert spec.unmapped is Unmapped.PROPERTIES and spec.delimiter == ";"
    merged = spec.merged(MappingSpec({"when": "timestamp"}, unmapped=Unmapped.IGNORE))
    assert merged.columns == {"user": "learner", "when": "timestamp"}
    assert merged.unmapped is Unmapped.IGNORE and merged.timezone == "UTC"
    with pytest.raises(InvalidInput) as caught:
        spec_from_document({"columns": [], "unmapped": "keep", "extra": 1})
    assert {e.path for e in caught.value.errors} == {"extra", "columns", "unmapped"}
    assert parse_pairs(["a = b", "c=d=e"], "--map") == {"a": "b", "c": "d=e"}
    with pytest.raises(InvalidInput, match="--map takes"):
        parse_pairs(["nothing"], "--map")


def test_typed_defaults_from_yaml() -> None:
    spec = MappingSpec(
        {"user": "learner", "when": "timestamp"},
        {"type": "activity.completed", "result.success": True, "context.attempt": 2},
    )
    event = build_mapper(spec, ["user", "when"]).convert(
        {"user": "ana", "when": "2024-05-01T09:30:00Z"}
    )
    assert isinstance(event, dict)
    assert event["result"] == {"success": True} and event["context"] == {"attempt": 2}
