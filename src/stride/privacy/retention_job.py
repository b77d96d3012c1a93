"""The in-process retention job: every few hours, retention for each tenant whose policy asks.

Several server processes each run their own job; that is safe because a run is idempotent and
concurrent runs take different chunks (see `privacy.retention.run_retention`).
"""

from __future__ import annotations

import threading
from pathlib import Path

import structlog
from sqlalchemy import Engine

from stride.clock import utc_now
from stride.config import Settings
from stride.privacy.policy_service import get_policy
from stride.privacy.retention import RetentionReport, run_retention
from stride.store.partitions import maintain_partitions
from stride.store.tenants import list_tenants
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal

log = structlog.get_logger()

# The actor the audit log records for the job's runs.
JOB_KEY_ID = "retention-job"


def run_for_due_tenants(
    engine: Engine, archive_dir: Path, stop: threading.Event | None = None
) -> list[RetentionReport]:
    """Run retention for every tenant with `raw_events_days` set; a failing tenant is logged
    and skipped, so one cannot hold back the others."""
    with engine.connect() as connection:
        due = [
            tenant
            for tenant in list_tenants(connection)
            if get_policy(connection, tenant.id).document.retention.raw_events_days is not None
        ]
    reports = []
    for tenant in due:
        if stop is not None and stop.is_set():
            break
        actor = Principal(tenant.id, JOB_KEY_ID, Role.ADMIN, tenant.learner_secret)
        try:
            report = run_retention(
                engine, actor, utc_now(), archive_dir, should_stop=stop.is_set if stop else None
            )
        except Exception:
            log.exception("retention run failed", tenant_id=tenant.id)
            continue
        reports.append(report)
        log.info(
            "retention run",
            tenant_id=tenant.id,
            events_deleted=report.events_deleted,
            files=len(report.files),
            seconds=round(report.seconds, 3),
        )
    return reports


class RetentionJob:
    """Runs `run_for_due_tenants` on a background thread: first after `first_delay_s`, then
    every `interval_s`. An interval of 0 disables it."""

    def __init__(
        self, engine: Engine, archive_dir: Path, interval_s: float, first_delay_s: float
    ) -> None:
        self._engine = engine
        self._archive_dir = archive_dir
        self._interval = interval_s
        self._first_delay = first_delay_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> RetentionJob:
        return cls(
            engine,
            Path(settings.ARCHIVE_DIR),
            settings.RETENTION_INTERVAL_HOURS * 3600,
            settings.RETENTION_FIRST_RUN_SECONDS,
        )

    def start(self) -> None:
        if self._interval > 0 and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="stride-retention", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop between chunks and wait for the thread (a chunk in flight commits first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        delay = self._first_delay
        while not self._stop.wait(delay):
            try:
                # The daily maintenance run: the partitioned log's months ahead too.
                with self._engine.begin() as connection:
                    maintain_partitions(connection)
                run_for_due_tenants(self._engine, self._archive_dir, self._stop)
            except Exception:  # e.g. the database is down: try again next round
                log.exception("retention job failed")
            delay = self._interval
