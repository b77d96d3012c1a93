"""`Client`: track events from any thread; a daemon thread batches and delivers them."""

from __future__ import annotations

import atexit
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from stride.sdk._config import DEFAULT_MAX_QUEUE, Settings, make_settings
from stride.sdk.delivery import (
    EVENTS_PATH,
    Acknowledged,
    DeliveryStats,
    GiveUp,
    Ledger,
    RejectedCallback,
    Retry,
    TooLarge,
    batch_body,
    interpret,
    learner_path,
    problem_from,
)
from stride.sdk.errors import ClientClosed, StrideConnectionError
from stride.sdk.events import build_event, encode_event
from stride.sdk.outbox import QueuedEvent, open_outbox
from stride.sdk.retry import backoff_delay

log = logging.getLogger("stride.sdk")


class Client:
    """A Stride client for threaded code. See docs/sdk.md.

    `track()` queues an event and returns its id at once; a background daemon thread sends
    queued events in batches (when `batch_size` are waiting, and every `flush_interval`
    seconds), retrying network errors, 408, 429 and 5xx with exponential backoff and full
    jitter. `flush()` waits for the queue to empty; `close()` flushes and stops; the queue is
    also flushed when the interpreter exits.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        batch_size: int = 100,
        flush_interval: float = 1.0,
        max_queue: int = DEFAULT_MAX_QUEUE,
        offline_queue: str | Path | None = None,
        timeout: float = 10.0,
        max_retries: int | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        shutdown_timeout: float | None = 10.0,
        on_rejected: RejectedCallback | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._settings: Settings = make_settings(
            url,
            api_key,
            batch_size=batch_size,
            flush_interval=flush_interval,
            max_queue=max_queue,
            offline_queue=offline_queue,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            shutdown_timeout=shutdown_timeout,
            on_rejected=on_rejected,
            rng=rng,
        )
        settings = self._settings
        self._outbox = open_outbox(settings.offline_queue)
        self._ledger = Ledger(on_rejected)
        self._injected_sleep = sleep
        self._batch_limit = settings.batch_size
        self._http = httpx.Client(
            base_url=settings.url,
            headers=settings.headers(),
            timeout=settings.timeout,
            transport=transport,
        )
        self._wake = threading.Event()  # something to send now
        self._abort = threading.Event()  # stop at once, even mid-retry
        self._stopping = threading.Event()
        self._changed = threading.Condition()  # the queue shrank
        self._flushers = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="stride-sdk-sender", daemon=True)
        self._thread.start()
        if len(self._outbox):  # left over from a previous run: send those first
            self._wake.set()
        atexit.register(self._at_exit)

    # -- tracking -------------------------------------------------------------------------

    def track(
        self,
        type: str,
        learner: str,
        *,
        activity: Mapping[str, Any] | None = None,
        result: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        session: str | None = None,
        timestamp: datetime | str | None = None,
        skills: Sequence[str] | None = None,
        context: Mapping[str, Any] | None = None,
        event_id: str | None = None,
    ) -> str:
        """Queue one event (with a fresh UUID4 id unless `event_id` is given); return its id.

        Raises ValueError for an event that cannot be valid (naive timestamp, blank learner,
        values JSON cannot hold) and QueueFull when `max_queue` events are waiting.
        """
        if self._closed:
            raise ClientClosed("this Stride client is closed")
        event = build_event(
            type,
            learner,
            event_id=event_id,
            activity=activity,
            result=result,
            properties=properties,
            session=session,
            timestamp=timestamp,
            skills=skills,
            context=context,
        )
        self._outbox.put(event["id"], encode_event(event), self._settings.max_queue)
        if len(self._outbox) >= self._batch_limit:
            self._wake.set()
        return str(event["id"])

    @property
    def pending(self) -> int:
        """Events tracked (or left from a previous run) and not yet acknowledged."""
        return len(self._outbox)

    @property
    def stats(self) -> DeliveryStats:
        """A snapshot of the delivery counts."""
        return self._ledger.snapshot()

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now; block until the queue is empty (True) or timeout (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            self._flushers += 1
        try:
            self._wake.set()
            with self._changed:
                while len(self._outbox) > 0:
                    if not self._thread.is_alive():
                        return False
                    wait = 0.5
                    if deadline is not None:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return False
                        wait = min(wait, remaining)
                    self._changed.wait(wait)
            return True
        finally:
            with self._changed:
                self._flushers -= 1

    def close(self, timeout: float | None = None) -> None:
        """Flush (up to `timeout`, default `shutdown_timeout`), then stop the sender.

        Events still queued after that stay in the offline queue file (sent on the next
        start), or are lost without one (a warning says how many).
        """
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._at_exit)
        if timeout is None:
            timeout = self._settings.shutdown_timeout
        drained = self.flush(timeout)
        self._stopping.set()
        self._abort.set()
        self._wake.set()
        self._thread.join(self._settings.timeout + 1.0)
        left = len(self._outbox)
        if not drained and left:
            where = (
                f"they stay in {self._settings.offline_queue} for the next start"
                if self._settings.offline_queue is not None
                else "they are lost (no offline_queue)"
            )
            log.warning("Stride client closed with %d events undelivered; %s", left, where)
        if not self._thread.is_alive():
            self._outbox.close()
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _at_exit(self) -> None:
        try:
            self.close()
        except Exception:
            log.exception("Stride client failed to flush at exit")

    # -- consent and progress helpers ----------------------------------------------------

    def get_consent(self, learner: str) -> dict[str, Any]:
        """The learner's consent per purpose and its history."""
        return self._request("GET", learner_path(learner, "/consent"))

    def set_consent(self, learner: str, **purposes: bool) -> dict[str, Any]:
        """Record the learner's answers, e.g. `set_consent("u-1", analytics=True)`."""
        if not purposes:
            raise ValueError("name at least one purpose, e.g. analytics=True")
        return self._request("PUT", learner_path(learner, "/consent"), purposes)

    def progress(self, learner: str) -> dict[str, Any]:
        """The learner's progress summary."""
        return self._request("GET", learner_path(learner, "/progress"))

    def set_timezone(self, learner: str, tz: str) -> dict[str, Any]:
        """Set the learner's IANA time zone (their days and streaks are refolded)."""
        return self._request("PUT", learner_path(learner), {"timezone": tz})

    def _request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise StrideConnectionError(f"{method} {path}: {exc}") from exc
        if response.is_error:
            raise problem_from(response.status_code, response.content, response.reason_phrase)
        data: dict[str, Any] = response.json()
        return data

    # -- the sender thread -----------------------------------------------------------------

    def _run(self) -> None:
        interval = self._settings.flush_interval
        next_due = time.monotonic() + interval
        while not self._abort.is_set():
            self._wake.wait(max(0.0, next_due - time.monotonic()))
            self._wake.clear()
            now = time.monotonic()
            due = now >= next_due
            if due:
                next_due = now + interval
            try:
                self._drain(partial=due)
            except Exception:  # never let the sender die; try again after a pause
                log.exception("Stride SDK sender failed; retrying")
                self._sleep(self._settings.backoff_max)
            self._notify()
            if self._stopping.is_set():
                return

    def _urgent(self) -> bool:
        with self._changed:
            return self._flushers > 0 or self._stopping.is_set()

    def _drain(self, partial: bool) -> None:
        while not self._abort.is_set():
            batch = self._outbox.peek(self._batch_limit)
            if not batch:
                return
            if len(batch) < self._batch_limit and not (partial or self._urgent()):
                return
            self._deliver(batch)
            self._notify()

    def _deliver(self, batch: list[QueuedEvent]) -> None:
        settings = self._settings
        body = batch_body(batch)
        failures = 0
        while not self._abort.is_set():
            self._ledger.count(requests=1)
            try:
                response = self._http.post(
                    EVENTS_PATH, content=body, headers={"Content-Type": "application/json"}
                )
                verdict = interpret(
                    response.status_code,
                    response.headers.get("Retry-After"),
                    response.content,
                    len(batch),
                )
            except httpx.TransportError as exc:
                verdict = Retry(f"network error: {exc!r}")
            if isinstance(verdict, Acknowledged):
                self._outbox.remove(self._ledger.settle(batch, verdict.results))
                return
            if isinstance(verdict, TooLarge):
                if len(batch) > 1:  # send smaller batches from now on
                    self._batch_limit = max(1, len(batch) // 2)
                else:
                    self._outbox.remove(
                        self._ledger.give_up(batch, "too_large", "the event is too large", 413)
                    )
                return
            if isinstance(verdict, GiveUp):
                self._outbox.remove(
                    self._ledger.give_up(batch, verdict.reason, verdict.detail, verdict.status)
                )
                return
            failures += 1
            if settings.max_retries is not None and failures > settings.max_retries:
                self._outbox.remove(
                    self._ledger.give_up(batch, "retries_exhausted", verdict.reason, None)
                )
                return
            self._ledger.count(retries=1)
            delay = verdict.retry_after
            if delay is None:
                delay = backoff_delay(
                    failures, settings.backoff_base, settings.backoff_max, settings.rng
                )
            log.info("Stride delivery failed (%s); retry in %.2f s", verdict.reason, delay)
            self._sleep(delay)

    def _sleep(self, seconds: float) -> None:
        if self._injected_sleep is not None:
            self._injected_sleep(seconds)
        else:
            self._abort.wait(seconds)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()
