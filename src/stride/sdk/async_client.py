"""`AsyncClient`: the same API as `Client` for asyncio code; an asyncio task delivers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

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
from stride.sdk.outbox import MemoryOutbox, QueuedEvent, open_outbox
from stride.sdk.retry import backoff_delay

log = logging.getLogger("stride.sdk")

T = TypeVar("T")


class AsyncClient:
    """A Stride client for asyncio code: `await client.track(...)`. See docs/sdk.md.

    Use it as `async with AsyncClient(...) as client:` or call `await client.close()`: the
    delivery task runs on the event loop that first uses the client. With an offline queue,
    SQLite work runs in a worker thread so the event loop never waits on the disk.
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
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
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
        self._in_memory = isinstance(self._outbox, MemoryOutbox)
        self._ledger = Ledger(on_rejected)
        self._injected_sleep = sleep
        self._batch_limit = settings.batch_size
        self._http = httpx.AsyncClient(
            base_url=settings.url,
            headers=settings.headers(),
            timeout=settings.timeout,
            transport=transport,
        )
        self._wake = asyncio.Event()
        self._abort = asyncio.Event()
        self._stopping = False
        self._changed = asyncio.Event()  # replaced on every notification
        self._flushers = 0
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    # -- tracking -------------------------------------------------------------------------

    async def track(
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
        """Queue one event; return its id (see `Client.track`)."""
        if self._closed:
            raise ClientClosed("this Stride client is closed")
        self._start()
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
        await self._io(self._outbox.put, event["id"], encode_event(event), self._settings.max_queue)
        if len(self._outbox) >= self._batch_limit:
            self._wake.set()
        return str(event["id"])

    @property
    def pending(self) -> int:
        return len(self._outbox)

    @property
    def stats(self) -> DeliveryStats:
        return self._ledger.snapshot()

    async def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now; wait until the queue is empty (True) or timeout."""
        self._start()
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        self._flushers += 1
        try:
            self._wake.set()
            while True:
                changed = self._changed
                if len(self._outbox) == 0:
                    return True
                if self._task is None or self._task.done():
                    return False
                wait = 0.5
                if deadline is not None:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        return False
                    wait = min(wait, remaining)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), wait)
        finally:
            self._flushers -= 1

    async def close(self, timeout: float | None = None) -> None:
        """Flush (up to `timeout`, default `shutdown_timeout`), then stop (see `Client.close`)."""
        if self._closed:
            return
        self._closed = True
        if timeout is None:
            timeout = self._settings.shutdown_timeout
        drained = await self.flush(timeout) if len(self._outbox) else True
        self._stopping = True
        self._abort.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self._settings.timeout + 1.0)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        left = len(self._outbox)
        if not drained and left:
            where = (
                f"they stay in {self._settings.offline_queue} for the next start"
                if self._settings.offline_queue is not None
                else "they are lost (no offline_queue)"
            )
            log.warning("Stride client closed with %d events undelivered; %s", left, where)
        self._outbox.close()
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- consent and progress helpers ----------------------------------------------------

    async def get_consent(self, learner: str) -> dict[str, Any]:
        return await self._request("GET", learner_path(learner, "/consent"))

    async def set_consent(self, learner: str, **purposes: bool) -> dict[str, Any]:
        if not purposes:
            raise ValueError("name at least one purpose, e.g. analytics=True")
        return await self._request("PUT", learner_path(learner, "/consent"), purposes)

    async def progress(self, learner: str) -> dict[str, Any]:
        return await self._request("GET", learner_path(learner, "/progress"))

    async def set_timezone(self, learner: str, tz: str) -> dict[str, Any]:
        return await self._request("PUT", learner_path(learner), {"timezone": tz})

    async def _request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise StrideConnectionError(f"{method} {path}: {exc}") from exc
        if response.is_error:
            raise problem_from(response.status_code, response.content, response.reason_phrase)
        data: dict[str, Any] = response.json()
        return data

    # -- the delivery task -----------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="stride-sdk-sender"
            )
            if len(self._outbox):  # left over from a previous run: send those first
                self._wake.set()

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        """Outbox calls: inline in memory, in a worker thread for the SQLite file."""
        if self._in_memory:
            return fn(*args)
        return await asyncio.to_thread(fn, *args)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self._settings.flush_interval
        next_due = loop.time() + interval
        while not self._abort.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_due - loop.time()))
            self._wake.clear()
            now = loop.time()
            due = now >= next_due
            if due:
                next_due = now + interval
            try:
                await self._drain(partial=due)
            except Exception:  # never let the sender die; try again after a pause
                log.exception("Stride SDK sender failed; retrying")
                await self._sleep(self._settings.backoff_max)
            self._notify()
            if self._stopping:
                return

    async def _drain(self, partial: bool) -> None:
        while not self._abort.is_set():
            batch = await self._io(self._outbox.peek, self._batch_limit)
            if not batch:
                return
            urgent = self._flushers > 0 or self._stopping
            if len(batch) < self._batch_limit and not (partial or urgent):
                return
            await self._deliver(batch)
            self._notify()

    async def _deliver(self, batch: list[QueuedEvent]) -> None:
        settings = self._settings
        body = batch_body(batch)
        failures = 0
        while not self._abort.is_set():
            self._ledger.count(requests=1)
            try:
                response = await self._http.post(
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
                await self._io(self._outbox.remove, self._ledger.settle(batch, verdict.results))
                return
            if isinstance(verdict, TooLarge):
                if len(batch) > 1:
                    self._batch_limit = max(1, len(batch) // 2)
                else:
                    ids = self._ledger.give_up(batch, "too_large", "the event is too large", 413)
                    await self._io(self._outbox.remove, ids)
                return
            if isinstance(verdict, GiveUp):
                ids = self._ledger.give_up(batch, verdict.reason, verdict.detail, verdict.status)
                await self._io(self._outbox.remove, ids)
                return
            failures += 1
            if settings.max_retries is not None and failures > settings.max_retries:
                ids = self._ledger.give_up(batch, "retries_exhausted", verdict.reason, None)
                await self._io(self._outbox.remove, ids)
                return
            self._ledger.count(retries=1)
            delay = verdict.retry_after
            if delay is None:
                delay = backoff_delay(
                    failures, settings.backoff_base, settings.backoff_max, settings.rng
                )
            log.info("Stride delivery failed (%s); retry in %.2f s", verdict.reason, delay)
            await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        if self._injected_sleep is not None:
            await self._injected_sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._abort.wait(), seconds)

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
