"""Running an export: plan it (check everything first), audit it, read it page by page
(program and consent filters applied per page), and write it to a file or a byte stream."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from stride.errors import FieldError, InvalidInput
from stride.exports.datasets import EVENTS, Dataset, dataset_named
from stride.exports.filters import ExportFilter, ProgramScope, in_program, program_scope
from stride.exports.pages import PAGE_SIZE, Row, count_rows, page_connection, read_page
from stride.exports.writers import EXTENSIONS, ExportFormat, Sink, open_writer
from stride.privacy.consent import learners_with_consent
from stride.privacy.policy import PrivacyPolicy
from stride.privacy.policy_service import get_policy
from stride.store.catalogs import load_catalog
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal


@dataclass(frozen=True)
class ExportPlan:
    """An export checked and ready to run: nothing in it can fail on the client's input."""

    tenant_id: str
    dataset: Dataset
    format: ExportFormat
    where: ExportFilter
    scope: ProgramScope | None
    policy: PrivacyPolicy
    base_iri: str

    @property
    def filename(self) -> str:
        return f"{self.dataset.name}.{EXTENSIONS[self.format]}"


@dataclass(frozen=True)
class Page:
    scanned: int  # rows read, before the program and consent filters
    rows: list[Row]


@dataclass(frozen=True)
class ExportResult:
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float(self.rows)


def plan_export(
    engine: Engine,
    tenant_id: str,
    dataset_name: str,
    export_format: ExportFormat,
    where: ExportFilter,
    base_iri: str,
) -> ExportPlan:
    """Raises NotFound for an unknown dataset, InvalidInput for xAPI of anything but events."""
    dataset = dataset_named(dataset_name)
    if export_format is ExportFormat.XAPI and dataset is not EVENTS:
        raise InvalidInput(
            "Only events can be exported as xAPI statements; use jsonl, csv or parquet.",
            [FieldError("format", "xapi is for the events dataset only")],
        )
    with tenant_context(tenant_id), engine.connect() as connection:
        policy = get_policy(connection, tenant_id)
        scope = None
        if where.program is not None:
            stored = load_catalog(connection, tenant_id)
            scope = program_scope(stored.catalog if stored else None, where.program)
    return ExportPlan(tenant_id, dataset, export_format, where, scope, policy, base_iri)


def audit_export(engine: Engine, actor: Principal, plan: ExportPlan, now: datetime) -> None:
    """One audit entry per export: learner-level rows leave Stride with it."""
    detail = {"format": plan.format.value, **plan.where.describe()}
    with tenant_context(plan.tenant_id), write_transaction(engine) as connection:
        audit(connection, actor, "export", f"exports/{plan.dataset.name}", now=now, detail=detail)


def count_export(engine: Engine, plan: ExportPlan) -> int:
    """Rows the export will read (before the program and consent filters): a progress total."""
    with tenant_context(plan.tenant_id), engine.connect() as connection:
        return count_rows(connection, plan.dataset, plan.tenant_id, plan.where)


def iter_pages(engine: Engine, plan: ExportPlan, page_size: int = PAGE_SIZE) -> Iterator[Page]:
    """The export's rows, a page at a time, each page read on a connection of its own."""
    after: tuple[object, ...] | None = None
    while True:
        # No yield inside the block: a stream may resume the generator in another context.
        with tenant_context(plan.tenant_id), page_connection(engine) as connection:
            rows, after = read_page(
                connection, plan.dataset, plan.tenant_id, plan.where, after, page_size
            )
            scanned = len(rows)
            if plan.scope is not None:
                scope = plan.scope
                rows = [row for row in rows if in_program(scope, plan.dataset, row)]
            rows = _consenting(connection, plan, rows)
        if scanned == 0:
            return
        yield Page(scanned, rows)
        if scanned < page_size:
            return


def _consenting(connection: Connection, plan: ExportPlan, rows: list[Row]) -> list[Row]:
    """Only rows of learners who consent to the export's purpose now."""
    if not rows:
        return rows
    at = plan.dataset.names.index("learner_key")
    keys = {row[at] for row in rows}
    allowed = learners_with_consent(
        connection, plan.tenant_id, keys, plan.where.purpose, plan.policy
    )
    return rows if len(allowed) == len(keys) else [row for row in rows if row[at] in allowed]


def write_export(
    engine: Engine,
    plan: ExportPlan,
    sink: Sink,
    on_page: Callable[[Page], None] | None = None,
) -> ExportResult:
    """Write every row to `sink` in the plan's format; `on_page` sees each page (progress)."""
    started = time.monotonic()
    writer = open_writer(plan.format, plan.dataset, sink, base_iri=plan.base_iri)
    written = 0
    for page in iter_pages(engine, plan):
        writer.write(page.rows)
        written += len(page.rows)
        if on_page is not None:
            on_page(page)
    writer.close()
    return ExportResult(written, time.monotonic() - started)


class ChunkBuffer:
    """A write-only sink the stream drains after each page; it keeps counting the position,
    which the Parquet writer records in the footer."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data: bytes, /) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def stream_export(engine: Engine, plan: ExportPlan) -> Iterator[bytes]:
    """The export as chunks of bytes, about a page (or a Parquet row group) each."""
    buffer = ChunkBuffer()
    writer = open_writer(plan.format, plan.dataset, buffer, base_iri=plan.base_iri)
    header = buffer.drain()  # the CSV header
    if header:
        yield header
    for page in iter_pages(engine, plan):
        writer.write(page.rows)
        chunk = buffer.drain()
        if chunk:
            yield chunk
    writer.close()
    tail = buffer.drain()
    if tail:
        yield tail
