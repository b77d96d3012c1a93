"""Writers of export rows: JSON Lines, CSV, Parquet and xAPI statements (pure, no I/O but the sink).

Every writer takes pages of rows (tuples in the dataset's column order) and writes bytes to a
sink (a file, or the HTTP stream's buffer), keeping at most one Parquet row group in memory.
Each format carries exactly the same values: JSON Lines writes instants as RFC 3339 UTC
(`...Z`, microseconds when there are any) and JSON columns nested; CSV writes the same text,
JSON columns as JSON text, booleans `true`/`false`, an empty field for null; Parquet types
every column (timestamp[us, UTC], date32, int64, double, bool, string; JSON columns as JSON
text with the field metadata `stride.kind: json`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import orjson

from stride.exports.datasets import Dataset, Kind
from stride.xapi.from_events import statement_from_event

Row = tuple[Any, ...]
# Rows per Parquet row group: large enough to compress well, small enough to hold in memory.
ROW_GROUP_ROWS = 20_000


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"
    XAPI = "xapi"  # events only: one xAPI statement per line


MEDIA_TYPES = {
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
    ExportFormat.XAPI: "application/x-ndjson",
}
EXTENSIONS = {
    ExportFormat.JSONL: "jsonl",
    ExportFormat.CSV: "csv",
    ExportFormat.PARQUET: "parquet",
    ExportFormat.XAPI: "xapi.jsonl",
}


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class RowWriter(Protocol):
    def write(self, rows: Sequence[Row]) -> None: ...

    def close(self) -> None: ...


def instant_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class JsonLinesWriter:
    def __init__(self, dataset: Dataset, sink: Sink) -> None:
        self._names = dataset.names
        self._sink = sink

    def write(self, rows: Sequence[Row]) -> None:
        names, dumps, option = self._names, orjson.dumps, orjson.OPT_UTC_Z
        self._sink.write(
            b"".join(
                dumps(dict(zip(names, row, strict=True)), option=option) + b"\n" for row in rows
            )
        )

    def close(self) -> None:
        return None


def json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _bool_text(value: Any) -> str | None:
    return None if value is None else ("true" if value else "false")


def _instant_or_none(value: Any) -> str | None:
    return None if value is None else instant_text(value)


def _date_text(value: Any) -> str | None:
    return None if value is None else value.isoformat()


# Text and numbers go as they are: the csv module writes None as an empty field and floats
# by repr, which reads back exactly.
_CSV_TEXT: dict[Kind, Callable[[Any], str | None]] = {
    Kind.JSON: json_text,
    Kind.BOOL: _bool_text,
    Kind.INSTANT: _instant_or_none,
    Kind.DATE: _date_text,
}


class CsvWriter:
    def __init__(self, dataset: Dataset, sink: Sink) -> None:
        self._convert = [
            (index, _CSV_TEXT[c.kind])
            for index, c in enumerate(dataset.columns)
            if c.kind in _CSV_TEXT
        ]
        self._sink = sink
        self._write_lines([dataset.names])

    def _write_lines(self, lines: Iterable[Sequence[Any]]) -> None:
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerows(lines)
        self._sink.write(text.getvalue().encode())

    def write(self, rows: Sequence[Row]) -> None:
        self._write_lines(self._converted(rows))

    def _converted(self, rows: Sequence[Row]) -> Iterator[list[Any]]:
        convert = self._convert
        for row in rows:
            values = list(row)
            for index, to_text in convert:
                values[index] = to_text(values[index])
            yield values

    def close(self) -> None:
        return None


class XapiWriter:
    """Events as xAPI statements, one per line (see stride.xapi.from_events)."""

    def __init__(self, dataset: Dataset, sink: Sink, base_iri: str) -> None:
        self._index = {name: i for i, name in enumerate(dataset.names)}
        self._sink = sink
        self._base_iri = base_iri

    def write(self, rows: Sequence[Row]) -> None:
        at = self._index
        lines = []
        for row in rows:
            statement = statement_from_event(
                event_id=row[at["event_id"]],
                learner_key=row[at["learner_key"]],
                event_type=row[at["type"]],
                timestamp=row[at["event_time"]],
                stored=row[at["received_at"]],
                payload=row[at["payload"]],
                base_iri=self._base_iri,
            )
            lines.append(orjson.dumps(statement) + b"\n")
        self._sink.write(b"".join(lines))

    def close(self) -> None:
        return None


def open_writer(
    export_format: ExportFormat, dataset: Dataset, sink: Sink, *, base_iri: str
) -> RowWriter:
    if export_format is ExportFormat.JSONL:
        return JsonLinesWriter(dataset, sink)
    if export_format is ExportFormat.CSV:
        return CsvWriter(dataset, sink)
    if export_format is ExportFormat.PARQUET:
        # pyarrow is imported by the exports that need it, not by every process at start-up.
        from stride.exports.parquet import ParquetWriter

        return ParquetWriter(dataset, sink)
    return XapiWriter(dataset, sink, base_iri)
