"""Where tracked events wait until the server acknowledges them: memory or a SQLite file.

Both keep events in the order they were tracked, and an event leaves only when `remove()` is
called for it (after the server answered for it), so whatever is still in the outbox has not
been acknowledged. Both are safe to use from several threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from stride.sdk.errors import QueueFull


@dataclass(frozen=True)
class QueuedEvent:
    id: str
    body: str  # the event as compact JSON


class Outbox(Protocol):
    def put(self, event_id: str, body: str, max_queue: int) -> bool:
        """Queue an event; False if its id is already queued; QueueFull past max_queue."""

    def peek(self, limit: int) -> list[QueuedEvent]:
        """The oldest `limit` events, still queued."""

    def remove(self, ids: Sequence[str]) -> None:
        """Forget acknowledged events."""

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class MemoryOutbox:
    """Events in memory: lost if the process dies before they are delivered."""

    def __init__(self) -> None:
        self._events: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, event_id: str, body: str, max_queue: int) -> bool:
        with self._lock:
            if event_id in self._events:
                return False
            if len(self._events) >= max_queue:
                raise QueueFull(f"{max_queue} events are waiting to be delivered")
            self._events[event_id] = body
            return True

    def peek(self, limit: int) -> list[QueuedEvent]:
        with self._lock:
            out: list[QueuedEvent] = []
            for event_id, body in self._events.items():
                if len(out) >= limit:
                    break
                out.append(QueuedEvent(event_id, body))
            return out

    def remove(self, ids: Sequence[str]) -> None:
        with self._lock:
            for event_id in ids:
                self._events.pop(event_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def close(self) -> None:
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    queued_at TEXT NOT NULL
)
"""


class SQLiteOutbox:
    """Events in a local SQLite file (WAL): they survive a crash or restart of the process.

    Each `put` is committed before `track()` returns; a process that dies loses nothing it
    tracked. (synchronous=NORMAL: a power cut may lose the last commits, a crash does not.)
    Use one file per running client: two clients on one file would send events twice
    (harmless, the server answers `duplicate`, but wasteful).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=10.0
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            row = self._db.execute("SELECT count(*) FROM pending_events").fetchone()
        except sqlite3.Error:
            self._db.close()
            raise
        self._count = int(row[0])

    def put(self, event_id: str, body: str, max_queue: int) -> bool:
        with self._lock:
            if self._count >= max_queue:
                raise QueueFull(f"{max_queue} events are waiting to be delivered")
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO pending_events (id, body, queued_at) VALUES (?, ?, ?)",
                (event_id, body, datetime.now(UTC).isoformat()),
            )
            added = cursor.rowcount == 1
            self._count += int(added)
            return added

    def peek(self, limit: int) -> list[QueuedEvent]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM pending_events ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [QueuedEvent(str(row[0]), str(row[1])) for row in rows]

    def remove(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = 0
                for start in range(0, len(ids), 500):
                    chunk = list(ids[start : start + 500])
                    marks = ",".join("?" * len(chunk))
                    cursor = self._db.execute(
                        f"DELETE FROM pending_events WHERE id IN ({marks})", chunk
                    )
                    removed += cursor.rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._count -= removed

    def __len__(self) -> int:
        with self._lock:
            return self._count

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_outbox(path: str | Path | None) -> Outbox:
    return MemoryOutbox() if path is None else SQLiteOutbox(path)
