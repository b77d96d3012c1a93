"""`stride import`: stream a file through the ingest pipeline in batches, resumably.

Every batch goes through `ingest_events` exactly as a POST /v1/events body would (validation,
PII, consent, retention, dedupe, every read model), in its own write transaction. After the
batch commits, its rejections are appended to the error file and the position after it is
saved (`state.py`); a stopped import rerun with the same settings continues from there.
Should it stop between the commit and the save, the batch is read again: its events are then
duplicates, and its error lines are written once because the error file is cut back to the
size saved with the position.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Engine

from stride.clock import utc_now
from stride.errors import FieldError, InvalidInput, NotFound
from stride.events.validation import ValidationLimits
from stride.importing.csv_mapping import MappingSpec
from stride.importing.readers import Record
from stride.importing.sources import Format, Source, open_source
from stride.importing.state import (
    COUNTS,
    ImportState,
    default_errors_path,
    default_state_path,
    file_identity,
    load_state,
    save_state,
    settings_fingerprint,
)
from stride.ingest.ahead import AheadPool, PendingBatch
from stride.ingest.pipeline import EventStatus, TenantScope, ingest_events
from stride.privacy.policy_service import get_policy
from stride.store.tenants import get_tenant
from stride.store.wal_checkpoint import checkpointing

# bench/import.py (100,000 events): 2,000 7,700 events/s, 10,000 8,900, 25,000 9,800, 50,000
# 9,400. A batch holds SQLite's write lock while it commits (about a second at 10,000).
DEFAULT_BATCH = 10_000
MAX_BATCH = 50_000
HELPERS_FROM_BYTES = 8 * 1024 * 1024
MAX_HELPERS = 8
UNREADABLE = "unreadable"  # the reason of a record that is not valid JSON or CSV


@dataclass(frozen=True)
class ImportRequest:
    path: Path
    tenant_id: str
    format: Format = Format.AUTO
    mapping: MappingSpec = field(default_factory=MappingSpec)
    batch_size: int = DEFAULT_BATCH
    errors_path: Path | None = None  # default: FILE.errors.jsonl
    state_path: Path | None = None  # default: FILE.stride-import.json
    restart: bool = False
    max_future_skew: timedelta = timedelta(hours=24)
    # Processes that prepare the next batches while one is stored (stride.ingest.ahead);
    # None: one on a machine with several cores, for a file of HELPERS_FROM_BYTES or more.
    helper_processes: int | None = None


@dataclass(frozen=True)
class ImportProgress:
    """After each batch: bytes of the file read, of how many, and the totals so far."""

    bytes_read: int
    total_bytes: int
    records: int
    records_this_run: int
    counts: dict[str, int]


@dataclass(frozen=True)
class ImportSummary:
    format: str
    records: int  # records read from the file, over all runs of this import
    counts: dict[str, int]  # accepted, duplicate, conflict, rejected, skipped: all runs
    records_this_run: int
    seconds: float  # this run
    resumed_from: int  # records already imported by earlier runs
    errors_path: Path | None  # None when nothing was refused
    state_path: Path
    already_complete: bool  # an earlier run finished this import; nothing was done
    note: str | None = None  # why a saved position was not used, when it was not
    helper_processes: int = 0  # that prepared batches ahead in this run

    @property
    def events_per_second(self) -> float:
        return self.records_this_run / self.seconds if self.seconds > 0 else 0.0

    @property
    def refused(self) -> int:
        """Records not stored as sent: rejected, or in conflict with a stored event."""
        return self.counts["rejected"] + self.counts["conflict"]


def run_import(
    engine: Engine,
    request: ImportRequest,
    on_progress: Callable[[ImportProgress], None] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ImportSummary:
    """Import the file; on any exception the position of the last committed batch is kept."""
    if not 1 <= request.batch_size <= MAX_BATCH:
        raise InvalidInput(f"The batch size must be between 1 and {MAX_BATCH}.")
    if request.helper_processes is not None and not 0 <= request.helper_processes <= MAX_HELPERS:
        raise InvalidInput(f"The helper processes must be between 0 and {MAX_HELPERS}.")
    path = request.path
    if not path.is_file():
        raise NotFound(f"No file {str(path)!r}.")
    with engine.connect() as connection:
        tenant = get_tenant(connection, request.tenant_id)
    if tenant is None:
        raise NotFound(
            f"No tenant with id {request.tenant_id!r}; `stride tenants list` shows them."
        )
    scope = TenantScope(tenant.id, tenant.learner_secret)
    state_path = request.state_path or default_state_path(path)
    errors_path = request.errors_path or default_errors_path(path)
    with path.open("rb") as stream:
        source = open_source(path, stream, request.format, request.mapping)
        settings = settings_fingerprint(
            {"tenant": tenant.id, "format": source.name, "mapping": _mapping_dict(request.mapping)}
        )
        identity = file_identity(path)
        saved = None if request.restart else load_state(state_path)
        note = None
        if saved is not None and (saved.identity != identity or saved.settings != settings):
            what = "file" if saved.identity != identity else "tenant, format or mapping"
            note = f"the {what} changed since the saved position; imported from the start"
            saved = None
        if saved is not None and saved.complete:
            return _summary(source, saved, 0, 0.0, 0, errors_path, state_path, True, note)
        state = saved or ImportState(identity, settings, source.first)
        if saved is None:
            errors_path.unlink(missing_ok=True)  # the error file of an earlier import
        resumed_from = state.position.record
        batches = _Batches(engine, scope, request, source, clock, state_path, resumed_from)
        started = time.perf_counter()
        helpers = _helper_processes(request, identity.size - state.position.offset)
        with (
            _ErrorFile(errors_path, state.errors_size) as errors,
            _pool(helpers) as pool,
            checkpointing(engine),
        ):
            # With helpers, the next batches are prepared while the one before is stored.
            waiting: deque[_Read] = deque()
            for records in _chunks(source.read(stream, state.position), request.batch_size):
                waiting.append(batches.read(records, pool))
                if len(waiting) > helpers:
                    state = _stored(state, waiting.popleft(), batches, errors, on_progress)
            while waiting:
                state = _stored(state, waiting.popleft(), batches, errors, on_progress)
            state = replace(state, complete=True)
            save_state(state_path, state)
        seconds = time.perf_counter() - started
    done_now = state.position.record - resumed_from
    summary = _summary(
        source, state, done_now, seconds, resumed_from, errors_path, state_path, False, note
    )
    return replace(summary, helper_processes=helpers)


def _helper_processes(request: ImportRequest, bytes_left: int) -> int:
    if request.helper_processes is not None:
        return request.helper_processes
    # Starting a helper takes about a second: worth it from a few batches on.
    return 1 if (os.cpu_count() or 1) > 1 and bytes_left >= HELPERS_FROM_BYTES else 0


def _pool(helpers: int) -> AbstractContextManager[AheadPool | None]:
    return AheadPool(helpers) if helpers else nullcontext()


def _stored(
    state: ImportState,
    batch: _Read,
    batches: _Batches,
    errors: _ErrorFile,
    on_progress: Callable[[ImportProgress], None] | None,
) -> ImportState:
    """Store a batch read earlier; the import's state after it, saved."""
    counts = batches.store(batch, errors)
    totals = {name: state.counts[name] + counts.get(name, 0) for name in COUNTS}
    position = batch.records[-1].end
    state = replace(state, position=position, counts=totals, errors_size=errors.size())
    save_state(batches.state_path, state)
    if on_progress is not None:
        on_progress(
            ImportProgress(
                position.offset,
                state.identity.size,
                position.record,
                position.record - batches.resumed_from,
                totals,
            )
        )
    return state


@dataclass(frozen=True)
class _Read:
    """A batch read from the file: what goes to the pipeline, and what was refused already."""

    records: list[Record]
    sent: list[Record]  # the records of `raw`, in order
    raw: list[Any]
    refused: list[_Refusal]
    skipped: int
    received_at: datetime
    ahead: PendingBatch | None  # being prepared by a helper process


@dataclass
class _Batches:
    engine: Engine
    scope: TenantScope
    request: ImportRequest
    source: Source
    clock: Callable[[], datetime]
    state_path: Path
    resumed_from: int

    def read(self, records: list[Record], pool: AheadPool | None) -> _Read:
        """Convert a batch's records to events; hand them to a helper to prepare, if any."""
        refused: list[_Refusal] = []
        raw: list[Any] = []
        sent: list[Record] = []
        skipped = 0
        for record in records:
            if record.error is not None:
                unreadable = (FieldError("(record)", record.error),)
                refused.append(_Refusal(record, None, "rejected", UNREADABLE, unreadable))
                continue
            converted = self.source.convert(record.value)
            if converted is None:
                skipped += 1
            elif isinstance(converted, list):
                invalid = tuple(converted)
                refused.append(
                    _Refusal(record, _raw_id(record.value), "rejected", "invalid", invalid)
                )
            else:
                raw.append(converted)
                sent.append(record)
        now = self.clock()
        ahead = None
        if pool is not None and raw:
            with self.engine.connect() as connection:
                policy = get_policy(connection, self.scope.tenant_id)
            ahead = pool.submit(self.scope, raw, self._limits(now), now, policy)
        return _Read(records, sent, raw, refused, skipped, now, ahead)

    def store(self, batch: _Read, errors: _ErrorFile) -> dict[str, int]:
        """Send one batch through the pipeline; write its refusals; count its outcomes."""
        counts: dict[str, int] = dict.fromkeys(COUNTS, 0)
        counts["skipped"] = batch.skipped
        counts["rejected"] = len(batch.refused)
        refused = list(batch.refused)
        if batch.raw:
            now = batch.received_at
            ahead = batch.ahead.result() if batch.ahead is not None else None
            report = ingest_events(
                self.engine, self.scope, batch.raw, self._limits(now), now, ahead=ahead
            )
            for record, outcome in zip(batch.sent, report.outcomes, strict=True):
                status = outcome.status.value
                counts[status] += 1
                if outcome.status in (EventStatus.REJECTED, EventStatus.CONFLICT):
                    reason = outcome.reason.value if outcome.reason else status
                    refused.append(
                        _Refusal(record, outcome.event_id, status, reason, outcome.errors)
                    )
        for refusal in sorted(refused, key=lambda r: r.record.record):  # in file order
            errors.write(refusal)
        errors.flush()
        return counts

    def _limits(self, now: datetime) -> ValidationLimits:
        return ValidationLimits(now, self.request.max_future_skew)


@dataclass(frozen=True)
class _Refusal:
    record: Record
    event_id: str | None
    status: str  # rejected or conflict
    reason: str
    errors: tuple[FieldError, ...]


class _ErrorFile:
    """The error file, opened on the first refusal; cut back to what the saved state knew."""

    def __init__(self, path: Path, keep_bytes: int) -> None:
        self.path = path
        self.stream: IO[bytes] | None = None
        self.written = 0
        if path.exists():
            self.stream = path.open("r+b")
            self.stream.truncate(min(keep_bytes, path.stat().st_size))
            self.stream.seek(0, 2)
            self.written = self.stream.tell()

    def __enter__(self) -> _ErrorFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()

    def write(self, refusal: _Refusal) -> None:
        if self.stream is None:
            self.stream = self.path.open("ab")
        line = {
            "record": refusal.record.record,
            "line": refusal.record.line,
            "event_id": refusal.event_id,
            "status": refusal.status,
            "reason": refusal.reason,
            "errors": [e.as_dict() for e in refusal.errors],
        }
        data = orjson.dumps(line) + b"\n"
        self.stream.write(data)
        self.written += len(data)

    def flush(self) -> None:
        if self.stream is not None:
            self.stream.flush()

    def size(self) -> int:
        return self.written


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(islice(records, size)):
        yield chunk


def _raw_id(value: Any) -> str | None:
    found = value.get("id") if isinstance(value, dict) else None
    return found[:64] if isinstance(found, str) else None


def _mapping_dict(mapping: MappingSpec) -> dict[str, Any]:
    return {
        "columns": mapping.columns,
        "defaults": {k: str(v) for k, v in mapping.defaults.items()},
        "timezone": mapping.timezone,
        "unmapped": mapping.unmapped.value,
        "delimiter": mapping.delimiter,
    }


def _summary(
    source: Source,
    state: ImportState,
    done_now: int,
    seconds: float,
    resumed_from: int,
    errors_path: Path,
    state_path: Path,
    already_complete: bool,
    note: str | None,
) -> ImportSummary:
    refused = state.counts["rejected"] + state.counts["conflict"]
    return ImportSummary(
        source.name,
        state.position.record,
        dict(state.counts),
        done_now,
        seconds,
        resumed_from,
        errors_path if refused and errors_path.exists() else None,
        state_path,
        already_complete,
        note,
    )
