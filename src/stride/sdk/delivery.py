"""What a delivery attempt's answer means, and settling acknowledged events (sans I/O).

Shared by `Client` (a thread) and `AsyncClient` (an asyncio task): they differ only in how
they send and wait.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from stride.sdk.errors import FieldProblem, StrideAPIError
from stride.sdk.outbox import QueuedEvent
from stride.sdk.retry import is_retryable_status, parse_retry_after

log = logging.getLogger("stride.sdk")

EVENTS_PATH = "/v1/events"
MAX_BATCH_SIZE = 1000  # the server's default STRIDE_MAX_BATCH_EVENTS

# Called with (event, result) for every event the server refused or the client gave up on.
RejectedCallback = Callable[[dict[str, Any], dict[str, Any]], None]

# Per-event statuses that settle an event (it leaves the queue).
SETTLED = frozenset({"accepted", "duplicate", "conflict", "rejected"})


@dataclass
class DeliveryStats:
    """Counts since the client started; `delivered` is accepted + duplicates."""

    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    failed: int = 0  # given up by the client: a 4xx for the whole batch, or retries exhausted
    retries: int = 0
    requests: int = 0

    @property
    def delivered(self) -> int:
        return self.accepted + self.duplicates


@dataclass(frozen=True)
class Acknowledged:
    results: list[dict[str, Any]]


@dataclass(frozen=True)
class Retry:
    reason: str
    retry_after: float | None = None


@dataclass(frozen=True)
class TooLarge:
    pass


@dataclass(frozen=True)
class GiveUp:
    status: int
    reason: str
    detail: str


Verdict = Acknowledged | Retry | TooLarge | GiveUp


def batch_body(batch: Sequence[QueuedEvent]) -> bytes:
    """`{"events": [...]}` from the events' stored JSON, without decoding them."""
    return ('{"events":[' + ",".join(event.body for event in batch) + "]}").encode()


def interpret(
    status: int,
    retry_after: str | None,
    content: bytes,
    batch_size: int,
    now: datetime | None = None,
) -> Verdict:
    """Turn the answer to one POST /v1/events into what the sender does next."""
    if 200 <= status <= 299:
        try:
            body = json.loads(content)
            results = body["results"]
            indexes = sorted(int(result["index"]) for result in results)
        except (ValueError, KeyError, TypeError):
            return Retry(f"unreadable {status} answer")
        if indexes != list(range(batch_size)) or any(
            result.get("status") not in SETTLED for result in results
        ):
            return Retry(f"{status} answer does not cover the batch")
        return Acknowledged(results)
    if is_retryable_status(status):
        return Retry(f"HTTP {status}", parse_retry_after(retry_after, now))
    if status == 413:
        return TooLarge()
    problem = problem_from(status, content)
    return GiveUp(status, problem.code or f"http_{status}", problem.detail)


def problem_from(status: int, content: bytes, reason_phrase: str = "") -> StrideAPIError:
    """A StrideAPIError from an error answer, problem+json or not."""
    body: Any = None
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = [
            FieldProblem(str(item.get("path", "")), str(item.get("reason", "")))
            for item in body.get("errors") or []
            if isinstance(item, dict)
        ]
        return StrideAPIError(
            status,
            str(body.get("title") or reason_phrase or f"HTTP {status}"),
            str(body.get("detail") or ""),
            code=str(body["code"]) if body.get("code") is not None else None,
            errors=errors,
            body=body,
        )
    text = content.decode("utf-8", "replace")[:500]
    return StrideAPIError(status, reason_phrase or f"HTTP {status}", text, body=text or None)


def learner_path(learner: str, suffix: str = "") -> str:
    if not isinstance(learner, str) or not learner:
        raise ValueError("learner must be a non-empty string")
    return f"/v1/learners/{quote(learner, safe='')}{suffix}"


@dataclass
class Ledger:
    """Counts outcomes and reports refused events; thread-safe."""

    on_rejected: RejectedCallback | None = None
    stats: DeliveryStats = field(default_factory=DeliveryStats)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> DeliveryStats:
        with self._lock:
            return DeliveryStats(**self.stats.__dict__)

    def count(self, **increments: int) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def settle(self, batch: Sequence[QueuedEvent], results: list[dict[str, Any]]) -> list[str]:
        """Count the per-event results, report the refused ones; return the ids to dequeue."""
        by_index = {int(result["index"]): result for result in results}
        counts = {"accepted": 0, "duplicate": 0, "conflict": 0, "rejected": 0}
        refused: list[tuple[QueuedEvent, dict[str, Any]]] = []
        for index, queued in enumerate(batch):
            result = by_index[index]
            status = str(result["status"])
            counts[status] += 1
            if status in ("rejected", "conflict"):
                refused.append((queued, result))
        self.count(
            accepted=counts["accepted"],
            duplicates=counts["duplicate"],
            conflicts=counts["conflict"],
            rejected=counts["rejected"],
        )
        if refused:
            first = refused[0][1]
            log.warning(
                "Stride refused %d of %d events (first: %s %s: %s)",
                len(refused),
                len(batch),
                first.get("status"),
                first.get("reason"),
                first.get("errors") or first.get("error"),
            )
            for queued, result in refused:
                self._report(queued, result)
        return [queued.id for queued in batch]

    def give_up(
        self, batch: Sequence[QueuedEvent], reason: str, detail: str, status: int | None
    ) -> list[str]:
        """Report every event of a batch the client will not send again; return their ids."""
        self.count(failed=len(batch))
        log.warning(
            "Stride SDK gave up on %d events (%s%s): %s",
            len(batch),
            reason,
            f", HTTP {status}" if status is not None else "",
            detail,
        )
        for queued in batch:
            result: dict[str, Any] = {
                "id": queued.id,
                "status": "failed",
                "reason": reason,
                "detail": detail,
            }
            if status is not None:
                result["http_status"] = status
            self._report(queued, result)
        return [queued.id for queued in batch]

    def _report(self, queued: QueuedEvent, result: dict[str, Any]) -> None:
        if self.on_rejected is None:
            return
        try:
            self.on_rejected(json.loads(queued.body), result)
        except Exception:  # a callback's bug must not stop delivery
            log.exception("on_rejected callback raised")
