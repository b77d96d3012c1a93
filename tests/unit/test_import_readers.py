"""Readers of import files: records, their line numbers, and positions to resume from."""

from __future__ import annotations

import io
import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stride.importing import readers
from stride.importing.readers import (
    Position,
    Record,
    read_csv,
    read_csv_header,
    read_json_array,
    read_jsonl,
)

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _all(records: Any) -> list[Record]:
    return list(records)


def test_jsonl_skips_blank_lines_and_numbers_lines() -> None:
    data = b'\xef\xbb\xbf{"a": 1}\n\n  \n{"a": 2}\r\nnot json\n{"a": 3}'
    records = _all(read_jsonl(io.BytesIO(data), Position()))
    assert [(r.record, r.line, r.value) for r in records] == [
        (1, 1, {"a": 1}),
        (2, 4, {"a": 2}),
        (3, 5, None),
        (4, 6, {"a": 3}),
    ]
    assert records[2].error is not None and records[2].error.startswith("not valid JSON")
    assert records[-1].end == Position(len(data), 4, 6)


def test_jsonl_resumes_from_any_record_end() -> None:
    lines = [orjson.dumps({"n": n, "text": "é" * n}) for n in range(6)]
    data = b"\n".join(lines) + b"\n"
    records = _all(read_jsonl(io.BytesIO(data), Position()))
    for index, record in enumerate(records):
        rest = _all(read_jsonl(io.BytesIO(data), record.end))
        assert [r.value for r in rest] == [r.value for r in records[index + 1 :]]
        assert [r.record for r in rest] == [r.record for r in records[index + 1 :]]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(JSON_VALUES, max_size=8),
    indent=st.booleans(),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_json_array_reads_every_element_and_resumes_anywhere(
    values: list[Any], indent: bool, chunk: int
) -> None:
    text = json.dumps(values, indent=2 if indent else None, ensure_ascii=False)
    data = ("\ufeff" + text).encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "CHUNK_CHARS", chunk)  # elements across chunk boundaries
        records = _all(read_json_array(io.BytesIO(data), Position()))
        assert [r.value for r in records] == values
        assert all(r.error is None for r in records)
        assert [r.record for r in records] == list(range(1, len(values) + 1))
        for index, record in enumerate(records):
            rest = _all(read_json_array(io.BytesIO(data), record.end))
            assert [r.value for r in rest] == values[index + 1 :]


def test_json_array_lines_point_at_the_record() -> None:
    data = b'[\n  {"a": 1},\n  {"a":\n 2},\n  {"a": 3}\n]\n'
    records = _all(read_json_array(io.BytesIO(data), Position()))
    assert [(r.record, r.line) for r in records] == [(1, 2), (2, 3), (3, 5)]


def test_json_array_syntax_error_stops_the_reading() -> None:
    data = b'[{"a": 1}, {"a": nope}, {"a": 3}]'
    records = _all(read_json_array(io.BytesIO(data), Position()))
    assert [r.value for r in records] == [{"a": 1}, None]
    assert records[1].error is not None and "not valid JSON" in records[1].error


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'[{"a": 1}', "found the end of the file"),
        (b'[{"a": 1} {"a": 2}]', "expected ','"),
        (b'{"a": 1} x', "after the JSON value"),
        (b'[{"a": "\xff"}]', "UTF-8"),
    ],
)
def test_json_array_malformed(data: bytes, reason: str) -> None:
    records = _all(read_json_array(io.BytesIO(data), Position()))
    assert records[-1].error is not None and reason in records[-1].error


def test_json_file_with_one_object_or_nothing() -> None:
    single = _all(read_json_array(io.BytesIO(b' {"a": [1]}\n'), Position()))
    assert [r.value for r in single] == [{"a": [1]}]
    assert _all(read_json_array(io.BytesIO(b"  "), Position())) == []
    assert _all(read_json_array(io.BytesIO(b" [ ] "), Position())) == []


def _csv(data: bytes, start: Position | None = None) -> tuple[list[str], list[Record]]:
    stream = io.BytesIO(data)
    header, first = read_csv_header(stream, ",")
    return header, _all(read_csv(stream, start or first, header, ","))


def test_csv_rows_with_quoted_newlines_and_bad_rows() -> None:
    data = b'\xef\xbb\xbfid, learner\n1,"ana\nmaria"\n\n2,ben,extra\n3,\xffcleo\n4,"dan"\n'
    header, records = _csv(data)
    assert header == ["id", "learner"]
    assert [(r.record, r.line, r.value) for r in records] == [
        (1, 2, {"id": "1", "learner": "ana\nmaria"}),
        (2, 5, None),
        (3, 6, None),
        (4, 7, {"id": "4", "learner": "dan"}),
    ]
    assert records[1].error == "has 3 fields where the header has 2"
    assert records[2].error == "not valid UTF-8 text"
    for index, record in enumerate(records):
        _, rest = _csv(data, record.end)
        assert [r.value for r in rest] == [r.value for r in records[index + 1 :]]
        assert [r.line for r in rest] == [r.line for r in records[index + 1 :]]


@pytest.mark.parametrize("key", ["statements", "events"])
def test_json_array_inside_a_statement_result_or_events_body(key: str) -> None:
    values = [{"n": n} for n in range(5)]
    data = orjson.dumps({key: values, "more": "/xapi/statements?page=2"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "CHUNK_CHARS", 7)
        records = _all(read_json_array(io.BytesIO(data), Position()))
        assert [r.value for r in records] == values
        rest = _all(read_json_array(io.BytesIO(data), records[1].end))
        assert [r.value for r in rest] == values[2:]
