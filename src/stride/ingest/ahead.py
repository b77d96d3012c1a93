"""Batches prepared ahead in helper processes while this one writes.

Preparing a batch (validation, pseudonyms, the PII scan) needs no database and takes about a
third of the time an event costs; the writes cannot be spread over processes on SQLite. A bulk
writer such as `stride import` hands the next batches to helper processes and stores the one
before meanwhile (`AheadPool.submit`); a server process's request threads each have their
batch prepared by a helper while the writer stores others (`AheadPool.prepare_now`). Either
way a second core does the preparing.

A batch travels with the privacy policy it was prepared under; if the tenant's policy has
changed by the time it is stored, the pipeline prepares it again (stride.ingest.pipeline).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import structlog

from stride.events.validation import ValidationLimits
from stride.ingest.outcomes import TenantScope
from stride.ingest.preparation import PreparedBatch, prepare_batch
from stride.privacy.policy import PrivacyPolicy, parse_policy
from stride.runtime import tune_gc

log = structlog.get_logger()


@dataclass(frozen=True)
class PreparedAhead:
    """A batch prepared under `policy_document` (its JSON form), perhaps in another process."""

    policy_document: dict[str, Any]
    batch: PreparedBatch


def policy_document(policy: PrivacyPolicy) -> dict[str, Any]:
    """The policy as a plain document: what a prepared batch is checked against."""
    return policy.document.model_dump(mode="json")


def server_helpers(setting: int | None) -> int:
    """Helper processes for a server process: the setting, or 1 on a machine with several
    cores (each server process of `stride serve --workers N` is told 0)."""
    if setting is not None:
        return setting
    return 1 if (os.cpu_count() or 1) > 1 else 0


# A helper process prepares batch after batch under the same policy: parse it once.
_parsed: tuple[dict[str, Any], PrivacyPolicy] | None = None


def prepare_ahead(
    scope: TenantScope,
    raw_events: Sequence[Any],
    limits: ValidationLimits,
    received_at: datetime,
    document: dict[str, Any],
) -> PreparedAhead:
    """Prepare a batch under the policy `document`."""
    global _parsed
    if _parsed is None or _parsed[0] != document:
        _parsed = (document, parse_policy(document))
    batch = prepare_batch(scope, raw_events, limits, received_at, _parsed[1])
    return PreparedAhead(document, batch)


def _start_helper() -> None:
    tune_gc()
    # Ctrl-C reaches the whole process group: the process that started the helpers decides
    # what stops, and stops them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _serve(connection: Connection) -> None:
    """A helper process: run each preparing function asked for (a module-level function and
    its arguments, pickled) and send its result back pickled."""
    _start_helper()
    while True:
        try:
            request = connection.recv_bytes()
        except EOFError:  # the writer closed its end: no more batches
            return
        try:
            work, arguments = pickle.loads(request)
            answer: tuple[bool, Any] = (True, work(*arguments))
        except Exception as exc:
            answer = (False, f"{type(exc).__name__}: {exc}")
        connection.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


class HelperFailed(RuntimeError):
    """A helper process stopped or could not prepare a batch."""


class _Helper:
    """One helper process; it prepares one batch at a time."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs,), daemon=True)
        self.process.start()
        theirs.close()
        self.pending: PendingBatch | None = None
        self.alive = True
        self.busy = False  # preparing for a thread that waits (AheadPool.prepare_now)

    def send(self, request: bytes) -> None:
        try:
            self.connection.send_bytes(request)
        except OSError:
            raise self._stopped() from None

    def receive(self) -> tuple[bool, Any]:
        try:
            answer = pickle.loads(self.connection.recv_bytes())
        except (EOFError, OSError):
            raise self._stopped() from None
        assert isinstance(answer, tuple)
        return answer

    def _stopped(self) -> HelperFailed:
        self.process.join(timeout=1)
        return HelperFailed(
            f"The helper process preparing batches stopped (exit code "
            f"{self.process.exitcode}); run the command again to continue."
        )

    def stop(self) -> None:
        self.connection.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


class PendingBatch:
    """A batch a helper process is preparing."""

    def __init__(self, helper: _Helper, guard: threading.Lock) -> None:
        self._helper = helper
        self._guard = guard  # the pool's: who may hand the helper another batch
        self._lock = threading.Lock()
        self._answer: tuple[bool, Any] | None = None

    def collect(self) -> None:
        """Take the helper's answer (it can then start on another batch)."""
        with self._lock:
            if self._answer is not None:
                return
            try:
                self._answer = self._helper.receive()
            except HelperFailed as exc:
                self._helper.alive = False
                self._answer = (False, str(exc))
            with self._guard:
                self._helper.pending = None

    def result(self) -> PreparedAhead:
        """The prepared batch; HelperFailed when the helper could not prepare it."""
        self.collect()
        assert self._answer is not None
        done, value = self._answer
        if not done:
            raise HelperFailed(f"A helper process could not prepare a batch: {value}")
        assert isinstance(value, PreparedAhead)
        return value


def unpickle(answer: bytes) -> Any:
    """A helper's answer to `AheadPool.run_now`: what the function returned, or None if it
    failed."""
    done, value = pickle.loads(answer)
    if not done:
        log.warning("an ingest helper could not prepare a batch; prepared here", error=value)
        return None
    return value


class AheadPool:
    """Helper processes that prepare batches.

    The pool has no threads of its own: its work happens in the threads that call it, and
    answers are unpickled by the thread that stores the batch. A background thread that
    received and unpickled them would take the GIL from the writing thread after each of its
    database calls, which slowed the writes by as much as preparing them here would have cost.
    """

    def __init__(self, processes: int) -> None:
        # spawn: a forked copy of a process that holds database connections and threads
        # is not safe to run.
        self._helpers = [_Helper() for _ in range(processes)]
        self._turn = 0
        self._guard = threading.Lock()
        self._free = threading.Condition(self._guard)  # a helper became free
        self.prepared_now = 0  # batches prepared for waiting threads (`prepare_now`)

    def submit(
        self,
        scope: TenantScope,
        raw_events: Sequence[Any],
        limits: ValidationLimits,
        received_at: datetime,
        policy: PrivacyPolicy,
    ) -> PendingBatch:
        """Hand the batch to the next helper, once it answered for its previous one."""
        helper = self._helpers[self._turn % len(self._helpers)]
        self._turn += 1
        waiting = helper.pending
        if waiting is not None:
            # One batch at a time each way, so neither side can block on a full pipe.
            waiting.collect()
        request = (prepare_ahead, (scope, raw_events, limits, received_at, policy_document(policy)))
        pending = helper.pending = PendingBatch(helper, self._guard)
        helper.send(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        return pending

    def prepare_now(
        self,
        scope: TenantScope,
        raw_events: Sequence[Any],
        limits: ValidationLimits,
        received_at: datetime,
        document: dict[str, Any],
    ) -> bytes | None:
        """Have a helper prepare the batch and wait for it: `run_now` of `prepare_ahead`."""
        return self.run_now(prepare_ahead, scope, raw_events, limits, received_at, document)

    def run_now(self, work: Callable[..., Any], *arguments: Any) -> bytes | None:
        """Have a helper run `work(*arguments)` (a module-level function, so it pickles by
        name) and wait for it (for many threads at once; a busy helper is waited for: one
        prepares several times faster than batches are stored). The answer comes still
        pickled, for `unpickle` in the thread that uses it; None when no helper is left."""
        with self._free:
            while True:
                alive = [h for h in self._helpers if h.alive]
                if not alive:
                    return None
                helper = next((h for h in alive if not h.busy), None)
                if helper is not None:
                    break
                self._free.wait()
            helper.busy = True
        request = (work, arguments)
        answer = None
        try:
            helper.send(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            answer = helper.connection.recv_bytes()
        except (HelperFailed, EOFError, OSError):
            helper.alive = False
            log.warning(
                "an ingest helper process stopped; its batches are prepared in the server",
                exitcode=helper.process.exitcode,
            )
        finally:
            with self._free:
                helper.busy = False
                self.prepared_now += answer is not None
                # All waiters look again: they may now have no helper left to wait for.
                self._free.notify_all()
        return answer

    def close(self) -> None:
        for helper in self._helpers:
            helper.stop()

    def __enter__(self) -> AheadPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
