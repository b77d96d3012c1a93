"""`stride import FILE --tenant T`: bulk import of events from a file (docs/import.md)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from stride.bootstrap import open_engine
from stride.catalog.text import load_catalog_text
from stride.cli.output import JsonOption, clear_errors, console, emit, error_console
from stride.cli.tenant_option import TenantOption
from stride.config import get_settings
from stride.errors import InvalidInput
from stride.importing.csv_mapping import MappingSpec, Unmapped, parse_pairs, spec_from_document
from stride.importing.service import (
    DEFAULT_BATCH,
    MAX_BATCH,
    MAX_HELPERS,
    ImportProgress,
    ImportRequest,
    ImportSummary,
    run_import,
)
from stride.importing.sources import Format

INTERRUPTED_EXIT = 130  # as a shell reports a command stopped by Ctrl-C


def import_file(
    file: Path = typer.Argument(..., help="The file: .json, .jsonl/.ndjson, .csv/.tsv"),
    tenant: str = TenantOption,
    file_format: Format = typer.Option(
        Format.AUTO, "--format", help="What the file holds (auto: by its name, then its content)"
    ),
    column_map: list[str] = typer.Option(
        [], "--map", help="CSV: COLUMN=FIELD[:KIND], e.g. --map score=result.score (repeatable)"
    ),
    defaults: list[str] = typer.Option(
        [], "--default", help="CSV: FIELD=VALUE for rows without it, e.g. type=activity.completed"
    ),
    mapping_file: Path | None = typer.Option(
        None, "--mapping", help="CSV: a YAML or JSON mapping file (columns, defaults, ...)"
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help="CSV: the zone of date-times without an offset, e.g. UTC"
    ),
    unmapped: Unmapped | None = typer.Option(
        None, "--unmapped", help="CSV: columns mapped to no field are ignored or kept in properties"
    ),
    delimiter: str | None = typer.Option(
        None, "--delimiter", help="CSV: the field separator (default ',', tab for .tsv)"
    ),
    batch: int = typer.Option(
        DEFAULT_BATCH, "--batch", min=1, max=MAX_BATCH, help="Events per write transaction"
    ),
    errors: Path | None = typer.Option(
        None, "--errors", help="Where refused records are listed (default FILE.errors.jsonl)"
    ),
    state: Path | None = typer.Option(
        None, "--state", help="Where the position is saved (default FILE.stride-import.json)"
    ),
    restart: bool = typer.Option(
        False, "--restart", help="Ignore the saved position and import from the start"
    ),
    helpers: int | None = typer.Option(
        None,
        "--helpers",
        min=0,
        max=MAX_HELPERS,
        help="Processes that prepare the next batches while one is stored "
        "(default: 1 on a multi-core machine for a file of 8 MiB or more; 0: none)",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Import events from a file through the ingest pipeline; resumable, exit 1 if any
    record was refused (they are listed in the error file)."""
    with clear_errors(as_json):
        spec = _mapping(mapping_file, column_map, defaults, timezone, unmapped, delimiter)
        settings = get_settings()
        request = ImportRequest(
            file,
            tenant,
            file_format,
            spec,
            batch,
            errors,
            state,
            restart,
            timedelta(hours=settings.MAX_FUTURE_SKEW_HOURS),
            helpers,
        )
        engine = open_engine(settings)
        try:
            summary = _run_with_progress(engine, request)
        except KeyboardInterrupt:
            error_console.print(
                "Interrupted. Run the same command again to continue after the last "
                "committed batch (--restart starts over)."
            )
            raise typer.Exit(INTERRUPTED_EXIT) from None
    emit(as_json, _as_dict(file, tenant, summary), lambda: _print(file, summary))
    if summary.refused:
        raise typer.Exit(1)


def _mapping(
    mapping_file: Path | None,
    column_map: list[str],
    defaults: list[str],
    timezone: str | None,
    unmapped: Unmapped | None,
    delimiter: str | None,
) -> MappingSpec:
    base = MappingSpec()
    if mapping_file is not None:
        try:
            text = mapping_file.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"Cannot read the mapping file: {exc.strerror}.") from None
        document = load_catalog_text(text, filename=mapping_file.name, what="mapping")
        base = spec_from_document(document)
    return base.merged(
        MappingSpec(
            parse_pairs(column_map, "--map"),
            dict(parse_pairs(defaults, "--default")),
            timezone,
            unmapped or base.unmapped,
            delimiter,
        )
    )


def _run_with_progress(engine: Any, request: ImportRequest) -> ImportSummary:
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[records]:,} records"),
        TextColumn("{task.fields[rate]:,.0f} events/s"),
        TimeRemainingColumn(),
        console=error_console,
        transient=True,
    )
    started = time.perf_counter()
    with progress:
        task = progress.add_task(f"Importing {request.path.name}", total=None, records=0, rate=0.0)

        def show(step: ImportProgress) -> None:
            elapsed = time.perf_counter() - started
            progress.update(
                task,
                total=step.total_bytes,
                completed=step.bytes_read,
                records=step.records,
                rate=step.records_this_run / elapsed if elapsed > 0 else 0.0,
            )

        return run_import(engine, request, show)


def _as_dict(file: Path, tenant: str, summary: ImportSummary) -> dict[str, Any]:
    return {
        "file": str(file),
        "tenant_id": tenant,
        "format": summary.format,
        "records": summary.records,
        **summary.counts,
        "records_this_run": summary.records_this_run,
        "resumed_from": summary.resumed_from,
        "seconds": round(summary.seconds, 3),
        "events_per_second": round(summary.events_per_second, 1),
        "errors_file": str(summary.errors_path) if summary.errors_path else None,
        "state_file": str(summary.state_path),
        "already_complete": summary.already_complete,
        "helper_processes": summary.helper_processes,
        "note": summary.note,
    }


def _helpers(count: int) -> str:
    return f"{count} helper process{'es' if count > 1 else ''} preparing batches"


def _print(file: Path, summary: ImportSummary) -> None:
    counts = summary.counts
    if summary.note:
        console.print(f"[yellow]Note:[/] {summary.note}.")
    if summary.already_complete:
        console.print(
            f"{file.name} was already imported ({summary.records:,} records); "
            "--restart imports it again."
        )
    else:
        resumed = (
            f" (resumed after record {summary.resumed_from:,})" if summary.resumed_from else ""
        )
        console.print(
            f"Imported {file.name} ({summary.format}){resumed}: {summary.records:,} records in "
            f"{summary.seconds:.1f} s, {summary.events_per_second:,.0f} events/s"
            + (f" ({_helpers(summary.helper_processes)})." if summary.helper_processes else ".")
        )
    console.print(
        f"  accepted {counts['accepted']:,}, duplicate {counts['duplicate']:,}, "
        f"conflict {counts['conflict']:,}, rejected {counts['rejected']:,}"
        + (f", skipped {counts['skipped']:,}" if counts["skipped"] else "")
    )
    if summary.errors_path is not None:
        console.print(f"Refused records are listed in {summary.errors_path}", soft_wrap=True)
