"""The webhook dispatcher: fan out the log's new events, send due deliveries, keep records
for a while. It runs beside ingest (a background thread of the server, or
`stride webhooks dispatch`), never inside it, so a slow receiver cannot slow ingest down.

Several dispatchers may run at once: fan-out is exactly-once by the outbox's unique key, and
a delivery is claimed by leasing it (its next attempt moved past the send's time limit) in a
short transaction, with `FOR UPDATE SKIP LOCKED` on PostgreSQL. A dispatcher that dies
mid-send leaves the lease to expire, and the delivery is sent again: at-least-once.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import Connection, Engine

import stride
from stride.clock import utc_now
from stride.config import Settings
from stride.store import webhooks as store
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction
from stride.store.webhooks import FAILED, DeliveryRow
from stride.webhooks.backoff import RetryPolicy
from stride.webhooks.delivery import Outcome, delivery_body, next_state, send, test_event
from stride.webhooks.fanout import fan_out
from stride.webhooks.subscriptions import TEST_EVENT_TYPE
from stride.webhooks.urls import Resolver, system_resolver

log = structlog.get_logger()

BATCH = 50
SENDERS = 4
PURGE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class DispatchConfig:
    poll_s: float = 1.0
    timeout_s: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    allow_private: bool = False
    keep_records: timedelta = timedelta(days=30)
    commit_grace: timedelta = timedelta(seconds=60)

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchConfig:
        return cls(
            poll_s=settings.WEBHOOK_POLL_SECONDS,
            timeout_s=settings.WEBHOOK_TIMEOUT_SECONDS,
            retry=RetryPolicy(
                settings.WEBHOOK_BACKOFF_BASE_SECONDS,
                settings.WEBHOOK_BACKOFF_CAP_SECONDS,
                settings.WEBHOOK_MAX_ATTEMPTS,
            ),
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
            keep_records=timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS),
            commit_grace=timedelta(seconds=settings.WEBHOOK_COMMIT_GRACE_SECONDS),
        )

    @property
    def lease(self) -> timedelta:
        # Longer than a send can take (connect + answer, plus name resolution), so a delivery
        # in flight is not claimed by another dispatcher meanwhile.
        return timedelta(seconds=3 * self.timeout_s + 30)


@dataclass
class DispatchReport:
    enqueued: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    purged: int = 0


class Dispatcher:
    """One round with `run_once()`; `start()`/`stop()` run rounds every `poll_s` on a thread."""

    def __init__(
        self,
        engine: Engine,
        config: DispatchConfig,
        *,
        rng: random.Random | None = None,
        resolver: Resolver = system_resolver,
        clock: Callable[[], datetime] = utc_now,
        tenant_ids: Collection[str] | None = None,
    ) -> None:
        self._engine = engine
        self._config = config
        self._rng = rng or random.Random()
        self._resolver = resolver
        self._clock = clock
        # None: every tenant (the server, the CLI); a set confines the dispatcher to those.
        self._tenant_ids = frozenset(tenant_ids) if tenant_ids is not None else None
        # One client for every delivery (connection reuse); redirects are never followed and
        # proxies from the environment are ignored, since they would bypass the address check.
        self._client = httpx.Client(
            timeout=config.timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"Stride-Webhooks/{stride.__version__}"},
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_purge: datetime | None = None

    @classmethod
    def from_settings(
        cls, engine: Engine, settings: Settings, tenant_ids: Collection[str] | None = None
    ) -> Dispatcher:
        return cls(engine, DispatchConfig.from_settings(settings), tenant_ids=tenant_ids)

    def run_once(self) -> DispatchReport:
        """Fan out, send what is due (once each), and purge old records once an hour."""
        now = self._clock()
        report = DispatchReport()
        postgres = self._engine.dialect.name == "postgresql"
        settled_before = now - self._config.commit_grace if postgres else None
        report.enqueued = fan_out(self._engine, now, settled_before, self._tenant_ids)
        claimed = self._claim(self._clock())
        if claimed:
            with ThreadPoolExecutor(min(SENDERS, len(claimed))) as pool:
                for status in pool.map(self._deliver, claimed):
                    if status is not None:
                        setattr(report, status, getattr(report, status) + 1)
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            report.purged = self._purge(now)
            self._last_purge = now
        return report

    def _claim(self, now: datetime) -> list[DeliveryRow]:
        # Across tenants, so operator mode; a read first keeps idle rounds free of writes.
        with tenant_context(None):
            with self._engine.connect() as connection:
                if not store.due_deliveries(connection, now, 1, tenant_ids=self._tenant_ids):
                    return []
            with write_transaction(self._engine) as connection:
                due = store.due_deliveries(
                    connection, now, BATCH, claim=True, tenant_ids=self._tenant_ids
                )
                store.postpone(connection, due, now + self._config.lease)
        return due

    def _deliver(self, delivery: DeliveryRow) -> str | None:
        """Send one claimed delivery and record the attempt; returns the report field."""
        try:
            with tenant_context(delivery.tenant_id):
                return self._deliver_in_tenant(delivery)
        except Exception:  # one broken delivery must not stop the round
            log.exception("webhook delivery failed", delivery_id=delivery.id)
            return None

    def _deliver_in_tenant(self, delivery: DeliveryRow) -> str | None:
        with self._engine.connect() as connection:
            hook = store.get_webhook(connection, delivery.tenant_id, delivery.webhook_id)
            event = self._event(connection, delivery)
        if hook is None or hook.disabled_at is not None:
            return None  # deleted or disabled meanwhile; its records went or failed with it
        if event is None:
            outcome = Outcome(error="the event is no longer in the log (retention or erasure)")
            return self._record(delivery, outcome, self._clock(), final=True)
        sent_at = self._clock()
        body = delivery_body(delivery, event, sent_at)
        outcome = send(
            self._client,
            hook.url,
            hook.secret,
            delivery,
            body,
            sent_at,
            self._config.allow_private,
            self._resolver,
        )
        return self._record(delivery, outcome, self._clock())

    def _event(self, connection: Connection, delivery: DeliveryRow) -> dict[str, Any] | None:
        if delivery.event_type == TEST_EVENT_TYPE and delivery.event_seq is None:
            return test_event(delivery)
        assert delivery.event_seq is not None
        found = store.event_payload(connection, delivery.tenant_id, delivery.event_seq)
        if found is None:
            return None
        learner_key, payload = found
        # The log keeps the learner's pseudonymous key beside the payload, never a raw id.
        return {**payload, "learner_key": learner_key}

    def _record(
        self, delivery: DeliveryRow, outcome: Outcome, now: datetime, final: bool = False
    ) -> str:
        values = next_state(delivery, outcome, now, self._rng, self._config.retry)
        if final:
            values["status"] = FAILED
            values.pop("next_attempt_at", None)
        with write_transaction(self._engine) as connection:
            store.record_attempt(connection, delivery, values)
            if outcome.gone:
                store.disable_webhook(connection, delivery.tenant_id, delivery.webhook_id, now)
        # No log line per attempt: the delivery records are the log (GET .../deliveries).
        status = str(values["status"])
        return {"delivered": "delivered", "pending": "retrying"}.get(status, "failed")

    def _purge(self, now: datetime) -> int:
        # Maintenance across tenants, like the audit writer: operator mode.
        with tenant_context(None), write_transaction(self._engine) as connection:
            return store.delete_finished_before(connection, now - self._config.keep_records)

    def start(self) -> None:
        if self._config.poll_s > 0 and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="stride-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop after the round in flight (sends are bounded by the timeout), then close."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=4 * self._config.timeout_s + 5)
            self._thread = None
        self._client.close()

    def run_forever(self) -> None:
        """Rounds until `stop()` (or Ctrl-C), for `stride webhooks dispatch`."""
        self._run()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # e.g. the database is down: try again next round
                log.exception("webhook dispatch round failed")
            self._stop.wait(self._config.poll_s or 1.0)
