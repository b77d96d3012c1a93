"""Group commit: waiting batches are stored together, in order, and failures stay their own."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from stride.ingest.group_commit import GroupCommit


class _Store:
    """Records each group; the first call waits until `release` is set."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.groups: list[list[str]] = []
        self.release = threading.Event()
        self.writing = threading.Event()
        self.fail_on = fail_on

    def __call__(self, batches: Sequence[str]) -> list[str]:
        if not self.groups:
            self.writing.set()
            self.release.wait(5)
        self.groups.append(list(batches))
        if self.fail_on in batches:
            raise ValueError(f"cannot store {self.fail_on}")
        return [f"stored {batch}" for batch in batches]


def _queued(committer: GroupCommit[str, str], key: str) -> int:
    with committer._guard:
        return len(committer._queues.get(key, ()))


def _send_while_first_writes(
    committer: GroupCommit[str, str], store: _Store, batches: list[tuple[str, int]]
) -> dict[str, str | BaseException]:
    results: dict[str, str | BaseException] = {}

    def send(batch: str, size: int) -> None:
        try:
            results[batch] = committer.run("tenant", batch, size, store)
        except Exception as error:
            results[batch] = error

    threads = [threading.Thread(target=send, args=batches[0])]
    threads[0].start()
    assert store.writing.wait(5)  # the first one leads and is writing
    for number, (batch, size) in enumerate(batches[1:], start=1):
        threads.append(threading.Thread(target=send, args=(batch, size)))
        threads[-1].start()
        while _queued(committer, "tenant") < number:  # queued in this order
            time.sleep(0.001)
    store.release.set()
    for thread in threads:
        thread.join(5)
    return results


def test_batches_that_wait_are_stored_as_one_group_in_arrival_order() -> None:
    store = _Store()
    committer: GroupCommit[str, str] = GroupCommit(max_size=1000)
    batches = [("a", 10), ("b", 10), ("c", 10), ("d", 10)]
    results = _send_while_first_writes(committer, store, batches)
    assert store.groups == [["a"], ["b", "c", "d"]]
    assert results == {batch: f"stored {batch}" for batch, _ in batches}
    assert not committer._queues and not committer._leading  # nothing left behind


def test_a_group_stops_at_the_size_bound_and_the_next_batch_leads() -> None:
    store = _Store()
    committer: GroupCommit[str, str] = GroupCommit(max_size=25)
    batches = [("a", 10), ("b", 10), ("c", 10), ("d", 10), ("e", 30)]
    results = _send_while_first_writes(committer, store, batches)
    assert store.groups == [["a"], ["b", "c"], ["d"], ["e"]]
    assert set(results.values()) == {f"stored {batch}" for batch, _ in batches}


def test_a_failing_batch_fails_alone() -> None:
    store = _Store(fail_on="c")
    committer: GroupCommit[str, str] = GroupCommit(max_size=1000)
    results = _send_while_first_writes(committer, store, [("a", 1), ("b", 1), ("c", 1), ("d", 1)])
    # The group failed, then each of its batches was stored on its own.
    assert store.groups == [["a"], ["b", "c", "d"], ["b"], ["c"], ["d"]]
    assert results["b"] == "stored b" and results["d"] == "stored d"
    assert isinstance(results["c"], ValueError)


def test_one_batch_alone_is_stored_at_once_and_its_error_raised() -> None:
    committer: GroupCommit[str, str] = GroupCommit(max_size=10)
    store = _Store(fail_on="x")
    store.release.set()
    assert committer.run("tenant", "a", 1, store) == "stored a"
    with pytest.raises(ValueError, match="cannot store x"):
        committer.run("tenant", "x", 1, store)
    assert committer.run("tenant", "b", 1, store) == "stored b"  # the lead was given back


def test_keys_are_grouped_apart() -> None:
    seen: list[tuple[str, list[str]]] = []

    def store(batches: Sequence[str]) -> list[str]:
        seen.append((threading.current_thread().name, list(batches)))
        return list(batches)

    committer: GroupCommit[str, str] = GroupCommit(max_size=10)
    threads = [
        threading.Thread(target=committer.run, args=(key, key, 1, store), name=key)
        for key in ("t1", "t2", "t3")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert sorted(batches for _, batches in seen) == [["t1"], ["t2"], ["t3"]]
