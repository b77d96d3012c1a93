"""The Parquet writer of exports (see stride.exports.writers for the formats' values).

Its own module so that pyarrow is imported only by the exports that write Parquet.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from stride.exports.datasets import Dataset, Kind
from stride.exports.writers import ROW_GROUP_ROWS, Row, Sink, json_text

ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.TEXT: pa.string(),
    Kind.INT: pa.int64(),
    Kind.FLOAT: pa.float64(),
    Kind.BOOL: pa.bool_(),
    Kind.INSTANT: pa.timestamp("us", tz="UTC"),
    Kind.DATE: pa.date32(),
    Kind.JSON: pa.string(),
}


def arrow_schema(dataset: Dataset) -> pa.Schema:
    """The dataset's Parquet schema; JSON columns say so in their metadata."""
    return pa.schema(
        [
            pa.field(
                c.name,
                ARROW_TYPES[c.kind],
                metadata={"stride.kind": c.kind.value} if c.kind is Kind.JSON else None,
            )
            for c in dataset.columns
        ],
        metadata={"stride.dataset": dataset.name},
    )


class ParquetWriter:
    """Rows are buffered into row groups of ROW_GROUP_ROWS; the footer is written on close."""

    def __init__(self, dataset: Dataset, sink: Sink) -> None:
        self._schema = arrow_schema(dataset)
        self._json = [i for i, c in enumerate(dataset.columns) if c.kind is Kind.JSON]
        self._writer = pq.ParquetWriter(sink, self._schema, compression="zstd")
        # Each page becomes Arrow columns at once (compact), and the Python rows are let go.
        self._batches: list[pa.RecordBatch] = []
        self._pending = 0

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        columns = [list(column) for column in zip(*rows, strict=True)]
        for index in self._json:
            columns[index] = [json_text(v) for v in columns[index]]
        self._batches.append(pa.RecordBatch.from_arrays(columns, schema=self._schema))
        self._pending += len(rows)
        if self._pending >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._batches:
            return
        table = pa.Table.from_batches(self._batches, schema=self._schema)
        self._writer.write_table(table, row_group_size=table.num_rows)
        self._batches, self._pending = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()
