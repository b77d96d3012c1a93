"""Report runs: claim what is due, render it, store the output, deliver it, retry.

Several server processes may tick at once. A scheduled time is claimed by inserting its run
under the unique key (tenant, report, scheduled_for), so exactly one process wins it. A
run whose delivery failed stays pending with its next attempt set by the webhook backoff
(webhooks/backoff.py); retries are claimed by lease, like webhook deliveries (with `FOR
UPDATE SKIP LOCKED` on PostgreSQL). A runner that dies mid-run leaves the lease to expire,
and the run is picked up again: rendered if it has no output yet, then delivered.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import Engine

import stride
from stride.analytics.projection_job import catch_up
from stride.config import Settings
from stride.errors import NotFound, StrideError
from stride.reports.definitions import Delivery, ReportSpec, apply_filters, check_spec
from stride.reports.report_delivery import output_name, post_report, write_report
from stride.reports.report_output import render_report
from stride.reports.scheduler import latest_due
from stride.reports.tenant_report import build_tenant_report
from stride.store import report_schedules as store
from stride.store.report_schedules import (
    FAILED,
    MANUAL,
    PENDING,
    SCHEDULE,
    SUCCEEDED,
    DefinitionRow,
    RunRow,
)
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction
from stride.webhooks.backoff import RetryPolicy, gives_up, retry_delay
from stride.webhooks.delivery import MAX_ERROR_LENGTH, Outcome
from stride.webhooks.urls import Resolver, system_resolver

log = structlog.get_logger()

BATCH = 20


@dataclass(frozen=True)
class RunnerConfig:
    tick_s: float = 30.0
    timeout_s: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    allow_private: bool = False
    directories: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> RunnerConfig:
        return cls(
            tick_s=settings.REPORT_TICK_SECONDS,
            timeout_s=settings.WEBHOOK_TIMEOUT_SECONDS,
            retry=RetryPolicy(
                settings.WEBHOOK_BACKOFF_BASE_SECONDS,
                settings.WEBHOOK_BACKOFF_CAP_SECONDS,
                settings.WEBHOOK_MAX_ATTEMPTS,
            ),
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
            directories=tuple(settings.REPORT_DIRECTORIES),
        )

    @property
    def lease(self) -> timedelta:
        # Longer than rendering and one send can take; another runner waits that long.
        return timedelta(seconds=3 * self.timeout_s + 300)


@dataclass
class TickReport:
    claimed: int = 0
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0


class ReportRunner:
    """`tick(now)` runs what is due at `now`; `run_now` runs one report on demand."""

    def __init__(
        self,
        engine: Engine,
        config: RunnerConfig,
        *,
        rng: random.Random | None = None,
        resolver: Resolver = system_resolver,
        tenant_ids: Collection[str] | None = None,
    ) -> None:
        self._engine = engine
        self._config = config
        self._rng = rng or random.Random()
        self._resolver = resolver
        self._tenant_ids = frozenset(tenant_ids) if tenant_ids is not None else None
        # Redirects never followed, proxies ignored: they would bypass the address check.
        self._client = httpx.Client(
            timeout=config.timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"Stride-Reports/{stride.__version__}"},
        )

    def close(self) -> None:
        self._client.close()

    def tick(self, now: datetime) -> TickReport:
        """Claim the scheduled times due by `now` and the runs to retry, and process them."""
        report = TickReport()
        runs = self._claim_scheduled(now) + self._claim_retries(now)
        report.claimed = len(runs)
        for run in runs:
            status = self._process_safely(run, now)
            if status is not None:
                attribute = "retrying" if status == PENDING else status
                setattr(report, attribute, getattr(report, attribute) + 1)
        return report

    def run_now(self, tenant_id: str, report_id: str, now: datetime) -> RunRow:
        """Run the report at once; returns the run (pending when its delivery will be
        retried). Raises NotFound."""
        with tenant_context(tenant_id):
            with write_transaction(self._engine) as connection:
                if store.get_definition(connection, tenant_id, report_id) is None:
                    raise NotFound(f"No report definition with id {report_id!r} in this tenant.")
                run = _new_run(tenant_id, report_id, MANUAL, now, now + self._config.lease)
                store.claim_run(connection, run)
            self._process_safely(run, now)
            with self._engine.connect() as connection:
                found = store.get_run(connection, tenant_id, run.id)
        assert found is not None
        return found

    def _claim_scheduled(self, now: datetime) -> list[RunRow]:
        with tenant_context(None), self._engine.connect() as connection:
            definitions = store.scheduled_definitions(connection, self._tenant_ids)
        claimed = []
        for definition in definitions:
            with tenant_context(definition.tenant_id):
                run = self._claim_one(definition, now)
            if run is not None:
                claimed.append(run)
        return claimed

    def _claim_one(self, definition: DefinitionRow, now: datetime) -> RunRow | None:
        assert definition.cron is not None
        with self._engine.connect() as connection:
            last = store.last_scheduled(connection, definition.tenant_id, definition.id)
        since = max(definition.created_at, last) if last is not None else definition.created_at
        due = latest_due(definition.cron, since, now)
        if due is None:
            return None
        run = _new_run(definition.tenant_id, definition.id, SCHEDULE, due, now + self._config.lease)
        run = RunRow(**{**run.__dict__, "started_at": now})
        with write_transaction(self._engine) as connection:
            return run if store.claim_run(connection, run) else None

    def _claim_retries(self, now: datetime) -> list[RunRow]:
        with tenant_context(None):
            with self._engine.connect() as connection:
                if not store.due_runs(connection, now, 1, tenant_ids=self._tenant_ids):
                    return []
            with write_transaction(self._engine) as connection:
                due = store.due_runs(connection, now, BATCH, True, self._tenant_ids)
                store.lease(connection, due, now + self._config.lease)
        return due

    def _process_safely(self, run: RunRow, now: datetime) -> str | None:
        try:
            return self._process(run, now)
        except Exception as exc:  # one broken run must not stop the tick
            log.exception("report run failed", run_id=run.id, tenant_id=run.tenant_id)
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
            try:  # counted like a failed delivery, so a lasting fault ends the run
                return self._record(run, Outcome(error=error), None, now)
            except Exception:  # the database itself is away: the lease brings it back
                return None

    def _process(self, run: RunRow, now: datetime) -> str | None:
        """Render (unless done before) and deliver one claimed run; returns its status."""
        with tenant_context(run.tenant_id):
            with self._engine.connect() as connection:
                definition = store.get_definition(connection, run.tenant_id, run.report_id)
            if definition is None:
                return None  # deleted meanwhile, its runs with it
            if run.output is None:
                try:
                    run = self._render(run, definition)
                except StrideError as exc:
                    return self._finish(run, FAILED, now, f"render: {exc.detail}")
            if definition.delivery is None:
                return self._finish(run, SUCCEEDED, now, None)
            outcome, path = self._deliver(run, definition, now)
            return self._record(run, outcome, path, now)

    def _render(self, run: RunRow, definition: DefinitionRow) -> RunRow:
        spec: ReportSpec = check_spec(definition.definition)
        catch_up(self._engine, run.tenant_id)  # every event stored so far is in the figures
        with self._engine.connect() as connection:
            report = build_tenant_report(
                connection, run.tenant_id, spec.summary(), run.scheduled_for
            )
        rendered = render_report(apply_filters(report, spec), definition.format)
        values = {"output": rendered.content, "content_type": rendered.media_type}
        with write_transaction(self._engine) as connection:
            store.update_run(connection, run, values)
        return RunRow(**{**run.__dict__, **values})

    def _deliver(
        self, run: RunRow, definition: DefinitionRow, now: datetime
    ) -> tuple[Outcome, str | None]:
        assert definition.delivery is not None and run.output is not None
        delivery = Delivery(**definition.delivery)
        name = output_name(definition.name, run.scheduled_for, definition.format)
        if delivery.kind == "directory":
            assert delivery.path is not None
            path, written = write_report(delivery.path, self._config.directories, name, run.output)
            return written, path
        assert delivery.url is not None and definition.secret is not None
        headers = {
            "Content-Type": run.content_type or "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Stride-Report": run.report_id,
            "Stride-Run": run.id,
            "Stride-Scheduled-For": run.scheduled_for.isoformat(),
        }
        outcome = post_report(
            self._client,
            delivery.url,
            definition.secret,
            run.output,
            headers,
            now,
            self._config.allow_private,
            self._resolver,
        )
        return outcome, None

    def _record(self, run: RunRow, outcome: Outcome, path: str | None, now: datetime) -> str:
        attempts = run.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "error": outcome.error}
        if outcome.delivered:
            values |= {"status": SUCCEEDED, "finished_at": now, "next_attempt_at": None}
            values["output_path"] = path
        elif outcome.gone or gives_up(attempts, self._config.retry):
            values |= {"status": FAILED, "finished_at": now, "next_attempt_at": None}
        else:
            delay = retry_delay(attempts, self._rng, self._config.retry)
            values |= {"status": PENDING, "next_attempt_at": now + timedelta(seconds=delay)}
        with write_transaction(self._engine) as connection:
            store.update_run(connection, run, values)
        return str(values["status"])

    def _finish(self, run: RunRow, status: str, now: datetime, error: str | None) -> str:
        values = {
            "status": status,
            "finished_at": now,
            "next_attempt_at": None,
            "error": None if error is None else error[:MAX_ERROR_LENGTH],
        }
        with write_transaction(self._engine) as connection:
            store.update_run(connection, run, values)
        return status


def _new_run(
    tenant_id: str, report_id: str, trigger: str, at: datetime, lease_until: datetime
) -> RunRow:
    return RunRow(
        tenant_id=tenant_id,
        id=str(uuid.uuid4()),
        report_id=report_id,
        trigger=trigger,
        scheduled_for=at,
        started_at=at,
        finished_at=None,
        status=PENDING,
        attempts=0,
        next_attempt_at=lease_until,
        error=None,
        output=None,
        output_path=None,
        content_type=None,
    )
