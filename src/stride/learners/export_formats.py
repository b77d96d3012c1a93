"""A learner's export rendered as one JSON document, or as a ZIP of one CSV per table."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import orjson

from stride.learners.rights import LearnerExport, json_safe


class ExportFormat(StrEnum):
    JSON = "json"
    ZIP = "zip"


MEDIA_TYPES = {ExportFormat.JSON: "application/json", ExportFormat.ZIP: "application/zip"}
FILENAMES = {ExportFormat.JSON: "learner-export.json", ExportFormat.ZIP: "learner-export.zip"}


def render(export: LearnerExport, export_format: ExportFormat) -> bytes:
    return _RENDERERS[export_format](export)


def render_json(export: LearnerExport) -> bytes:
    """`{"learner_key", "exported_at", "tables": {table: [row, ...]}}` as UTF-8 JSON."""
    return orjson.dumps(
        {
            "learner_key": export.learner_key,
            "exported_at": json_safe(export.exported_at),
            "tables": export.tables,
        }
    )


def render_zip(export: LearnerExport) -> bytes:
    """One `<table>.csv` per table (header row first) and a README.txt with row counts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(export))
        for name, rows in export.tables.items():
            archive.writestr(f"{name}.csv", _csv(export.columns[name], rows))
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    # JSON columns (payloads, session lists) as JSON text, so a CSV reader gets them back whole.
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):  # as in the JSON rendering, not Python's True/False
        return "true" if value else "false"
    return value


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(row[name]) for name in columns] for row in rows)
    return out.getvalue()


def _readme(export: LearnerExport) -> str:
    counts = export.row_counts
    width = max(len(name) for name in counts) if counts else 0
    lines = [
        "Stride: every row held on one learner",
        f"learner_key: {export.learner_key}",
        f"exported_at: {json_safe(export.exported_at)}",
        "",
        "One CSV per table, with a header row. Instants are ISO 8601 in UTC; JSON columns",
        "hold JSON text; an empty cell is a null.",
        "",
        *(f"{name}.csv".ljust(width + 6) + f"{count} rows" for name, count in counts.items()),
        "",
    ]
    return "\n".join(lines)


_RENDERERS: dict[ExportFormat, Callable[[LearnerExport], bytes]] = {
    ExportFormat.JSON: render_json,
    ExportFormat.ZIP: render_zip,
}
