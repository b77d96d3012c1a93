"""The analytics projection: tenant-level rollups folded from the log after the fact.

Learner read models are folded in the ingest transaction (a learner's progress must be true
the moment her event is accepted). The engagement and usage rollups are not: they cost more
than the whole of the rest of ingest, and no one needs them within the same request. They are
folded here, from each tenant's cursor in the log, in pages of events, by one projection
process beside the server processes (`stride serve` starts it: analytics/projection_process.py;
an app embedded otherwise runs `AnalyticsJob`, a thread) and before every analytics read (so a
reader sees every event accepted before her request). The cursor moves in the same
transaction as the fold, so each event is folded exactly once, however many processes run this.

The folds are order-independent (see analytics/engagement_fold.py and usage_fold.py), so
how the log is cut into pages cannot change a figure.

On SQLite a page's write transaction holds ingest off, so the page's folds are worked out
before it, in a read transaction: the engagement fold, and the usage fold with the reads its
writes depend on (which markers are new, the stored first uses and funnel times). They are
saved under the write lock only if nothing they read has changed; otherwise they are worked
out again there. Whether the rows they read changed is known without reading them again:
only the projection's folds (which move the cursor) add to them, and every other change
deletes rows first, which moves the tenant's revision (migrations 0028 and 0029). On
PostgreSQL, where the projection does not hold ingest off, the extra reads would only cost
the database, so the page is folded inside its transaction as before.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import Connection, Engine

from stride.analytics.engagement_projector import (
    EngagementFold,
    fold_engagement,
    read_engagement_inputs,
    save_engagement,
)
from stride.analytics.page_sizer import PageSizer
from stride.analytics.usage_projection import UsageFold, project_usage, read_usage, save_usage
from stride.config import Settings
from stride.events.recorded import RecordedEvent, recorded_from_payload
from stride.store import analytics_cursor as cursors
from stride.store.catalogs import catalog_version
from stride.store.event_log import LoggedEvent
from stride.store.learners import load_timezones
from stride.store.locks import settled_seq
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction

log = structlog.get_logger()

# Events per transaction of a catch-up. On PostgreSQL a page holds nothing else off and its
# cost is mostly per learner it touches, so pages are larger there.
PAGE = 5000
POSTGRESQL_PAGE = 25000


def page_for(dialect: str) -> int:
    """Events per page of a catch-up (a reader's, or a CLI command's) on this database."""
    return POSTGRESQL_PAGE if dialect == "postgresql" else PAGE


def fold_analytics(
    connection: Connection,
    tenant_id: str,
    events: Sequence[RecordedEvent],
    ahead: _Ahead | None = None,
    rows_unchanged: bool = False,
) -> None:
    """Fold events into the engagement and usage rollups (any grouping of the log will do).

    `ahead`: the engagement and usage folds of these events worked out before the write
    transaction; saved as they are if what they read is still what the database holds, else
    worked out again. `rows_unchanged`: the rows they read are known not to have changed since
    (same cursor and revision), so only the time zones and catalog version are checked.
    """
    by_learner = _by_learner(events)
    if not by_learner:
        return
    timezones = load_timezones(connection, tenant_id, by_learner.keys())
    if ahead is not None and rows_unchanged:  # the usage fold depends on the events alone
        save_usage(connection, tenant_id, ahead.usage)
    else:
        project_usage(connection, tenant_id, _folded(by_learner))
    if ahead is not None and ahead.timezones == timezones:
        version = ahead.fold.inputs.catalog_version
        if rows_unchanged and catalog_version(connection, tenant_id) == version:
            save_engagement(connection, tenant_id, ahead.fold)
            return
        inputs = read_engagement_inputs(connection, tenant_id, by_learner, timezones)
        if ahead.fold.inputs == inputs:
            save_engagement(connection, tenant_id, ahead.fold)
            return
    else:
        inputs = read_engagement_inputs(connection, tenant_id, by_learner, timezones)
    save_engagement(connection, tenant_id, fold_engagement(inputs, by_learner, timezones))


def _folded(by_learner: dict[str, list[RecordedEvent]]) -> list[RecordedEvent]:
    return [event for events in by_learner.values() for event in events]


def _by_learner(events: Sequence[RecordedEvent]) -> dict[str, list[RecordedEvent]]:
    by_learner: dict[str, list[RecordedEvent]] = defaultdict(list)
    for event in events:
        if not event.derived:
            by_learner[event.learner_key].append(event)
    return by_learner


@dataclass(frozen=True)
class _Ahead:
    """A page of the log and its folds, read and worked out outside the write lock."""

    cursor: int
    revision: int | None  # the tenant's analytics-row deletions when read (None: no cursor)
    page: list[tuple[int, str]]  # (seq, learner key) of each event
    events: list[RecordedEvent]
    timezones: dict[str, str]
    fold: EngagementFold
    usage: UsageFold


def _fold_ahead(engine: Engine, tenant_id: str, settled: int, page_size: int) -> _Ahead | None:
    """The next page and its engagement fold, in a read transaction: on SQLite, where the
    projection's write transaction holds ingest off, most of the fold's work is done before
    it. None when there is nothing to fold."""
    with engine.connect() as connection, connection.begin():
        cursor = cursors.current_cursor(connection, tenant_id)
        revision = cursors.revision(connection, tenant_id)
        page = _next_page(connection, tenant_id, cursor, settled, page_size)
        if not page:
            return None
        events = [_recorded(e) for e in page]
        by_learner = _by_learner(events)
        timezones = load_timezones(connection, tenant_id, by_learner.keys())
        inputs = read_engagement_inputs(connection, tenant_id, by_learner, timezones)
        usage = read_usage(connection, tenant_id, _folded(by_learner))
    fold = fold_engagement(inputs, by_learner, timezones)
    seqs = [(e.seq, e.learner_key) for e in page]
    return _Ahead(cursor, revision, seqs, events, timezones, fold, usage)


def catch_up(
    engine: Engine, tenant_id: str, page_size: int | None = None, sizer: PageSizer | None = None
) -> int:
    """Fold the tenant's events past its cursor, `page_size` events per transaction (by
    default `page_for` the database), or as many as `sizer` says, which is told how long
    each page held the write lock; returns how many were folded."""
    page_size = page_size or page_for(engine.dialect.name)
    folded = 0
    with tenant_context(tenant_id):
        with engine.connect() as connection:
            if not cursors.is_behind(connection, tenant_id):
                return 0
        with engine.begin() as connection:  # its own short transaction: see settled_seq
            settled = settled_seq(connection, tenant_id)
        ahead_first = engine.dialect.name == "sqlite"
        while True:
            if sizer is not None:
                page_size = sizer.size
            ahead = _fold_ahead(engine, tenant_id, settled, page_size) if ahead_first else None
            if ahead_first and ahead is None:
                return folded  # nothing settled past the cursor: no write lock to take
            with write_transaction(engine) as connection:
                locked_at = time.perf_counter()
                # Read again under the write lock: another process may have moved it.
                cursor = cursors.lock_cursor(connection, tenant_id)
                rows_unchanged = False
                if ahead is not None and _still_next(connection, tenant_id, cursor, ahead):
                    events, last = ahead.events, ahead.page[-1][0]
                    revision = cursors.revision(connection, tenant_id)
                    rows_unchanged = ahead.revision is not None and revision == ahead.revision
                else:  # another fold, an erasure or an alias came in between: read it all again
                    ahead = None
                    page = _next_page(connection, tenant_id, cursor, settled, page_size)
                    if not page:
                        return folded
                    events, last = [_recorded(e) for e in page], page[-1].seq
                fold_analytics(connection, tenant_id, events, ahead, rows_unchanged)
                cursors.set_cursor(connection, tenant_id, last)
            if sizer is not None:  # from the lock taken to the commit done
                sizer.held(len(events), time.perf_counter() - locked_at)
            folded += len(events)


def _next_page(
    connection: Connection, tenant_id: str, cursor: int, settled: int, page_size: int
) -> list[LoggedEvent]:
    """The events past the cursor that no write in flight can still precede (settled_seq)."""
    page = cursors.events_after(connection, tenant_id, cursor, page_size)
    return [e for e in page if e.seq <= settled]


def _still_next(connection: Connection, tenant_id: str, cursor: int, ahead: _Ahead) -> bool:
    """Whether the page read ahead is still the log's next, event for event: the cursor has
    not moved, no event of it was erased and none moved to another learner."""
    if cursor != ahead.cursor:
        return False
    last = ahead.page[-1][0]
    return cursors.seqs_and_learners(connection, tenant_id, cursor, last) == ahead.page


def catch_up_all(
    engine: Engine,
    tenant_ids: Collection[str] | None = None,
    stop: threading.Event | None = None,
    page_size: int | None = None,
    sizer: PageSizer | None = None,
) -> int:
    """Catch every tenant (or these) up (pages as in `catch_up`); a failing tenant is logged
    and skipped."""
    with tenant_context(None), engine.connect() as connection:
        behind = cursors.tenants_behind(connection, tenant_ids)
    folded = 0
    for tenant_id in behind:
        if stop is not None and stop.is_set():
            break
        try:
            folded += catch_up(engine, tenant_id, page_size, sizer)
        except Exception:
            log.exception("analytics projection failed", tenant_id=tenant_id)
    return folded


def _recorded(event: LoggedEvent) -> RecordedEvent:
    return recorded_from_payload(event.event_id, event.learner_key, event.event_time, event.payload)


class AnalyticsJob:
    """Catches every tenant up every `interval_s` seconds, in a daemon thread."""

    def __init__(self, engine: Engine, interval_s: float) -> None:
        self._engine = engine
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> AnalyticsJob:
        return cls(engine, settings.ANALYTICS_INTERVAL_SECONDS)

    def start(self) -> None:
        if self._interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stride-analytics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                catch_up_all(self._engine, stop=self._stop)
            except Exception:  # the database may be briefly away: try again next round
                log.exception("analytics projection round failed")
