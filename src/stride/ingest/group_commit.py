"""Group commit: batches of one tenant that wait for the writer are stored together.

Most of a write transaction's cost is per learner touched (read the learner's read-model rows,
write them back) and per transaction, not per event. While one request writes, the batches
that arrive meanwhile queue up; the next transaction takes them all (up to a bound), so each
learner is loaded and saved once for several batches' events.

Leader and followers: the first request of a tenant to find no writer leads. It takes the
queue from its head (its own batch first), stores that group, and hands the lead to the
oldest batch still waiting; every other request sleeps until its batch is stored. So a
request never writes for longer than its own group, and no request waits on a thread pool
queue of its own.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Batch = TypeVar("Batch")
Result = TypeVar("Result")


@dataclass(eq=False)
class _Waiting(Generic[Batch, Result]):
    batch: Batch
    size: int
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # set when it is handed the lead instead of a result
    done: bool = False
    result: Result | None = None
    error: BaseException | None = None


class GroupCommit(Generic[Batch, Result]):
    """Runs `store` on groups of waiting batches of one key (a tenant), FIFO.

    `store(batches)` returns one result per batch, in order, or raises: then each batch of
    the group is stored again on its own, so a batch that fails takes no neighbour with it.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._guard = threading.Lock()
        self._queues: dict[str, deque[_Waiting[Batch, Result]]] = {}
        self._leading: set[str] = set()

    def run(
        self,
        key: str,
        batch: Batch,
        size: int,
        store: Callable[[Sequence[Batch]], Sequence[Result]],
    ) -> Result:
        mine: _Waiting[Batch, Result] = _Waiting(batch, size)
        with self._guard:
            self._queues.setdefault(key, deque()).append(mine)
            mine.leads = key not in self._leading
            self._leading.add(key)
        while not mine.leads and not mine.done:
            mine.wake.wait()
            mine.wake.clear()
        if not mine.done:
            self._lead(key, store)
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]

    def _lead(self, key: str, store: Callable[[Sequence[Batch]], Sequence[Result]]) -> None:
        group = self._take(key)  # the leader's own batch is the queue's head
        try:
            _store_group(group, store)
        finally:
            with self._guard:
                queue = self._queues[key]
                if queue:  # the oldest waiting batch leads next
                    queue[0].leads = True
                    queue[0].wake.set()
                else:
                    del self._queues[key]
                    self._leading.discard(key)

    def _take(self, key: str) -> list[_Waiting[Batch, Result]]:
        with self._guard:
            queue = self._queues[key]
            group = [queue.popleft()]
            total = group[0].size
            while queue and total + queue[0].size <= self.max_size:
                total += queue[0].size
                group.append(queue.popleft())
            return group


def _store_group(
    group: list[_Waiting[Batch, Result]], store: Callable[[Sequence[Batch]], Sequence[Result]]
) -> None:
    try:
        if len(group) == 1:
            _settle(group[0], store)
            return
        try:
            results = store([waiting.batch for waiting in group])
        except Exception:  # retry alone: only the batch at fault sees its error
            for waiting in group:
                _settle(waiting, store)
            return
        for waiting, result in zip(group, results, strict=True):
            waiting.result = result
    finally:
        for waiting in group:
            if waiting.result is None and waiting.error is None:
                waiting.error = RuntimeError("the write of this batch's group was interrupted")
            waiting.done = True
            waiting.wake.set()


def _settle(
    waiting: _Waiting[Batch, Result], store: Callable[[Sequence[Batch]], Sequence[Result]]
) -> None:
    try:
        waiting.result = store([waiting.batch])[0]
    except BaseException as error:  # handed to the request that sent the batch
        waiting.error = error
