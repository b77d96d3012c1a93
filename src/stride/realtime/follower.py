"""The change feed's follower: one per server process, it tails the log for the tenants that
have subscribers and hands their messages to the broker.

It looks at once when this process's ingest commits (`wakeup.on_log_appended`) or, on
PostgreSQL, when another process NOTIFYs; and every `poll_s` anyway. On PostgreSQL seqs
commit out of order, so the cursor passes only seqs that were handed out at least
`commit_grace` ago (a watermark); the events above it are read again each round and those
already sent are skipped, so none is skipped and none sent twice.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Connection, Engine

from stride.clock import utc_now
from stride.realtime import log_tail
from stride.realtime.broker import Broker
from stride.realtime.counters import ACTIVE_WINDOW, LiveCounters
from stride.realtime.feed import messages_of
from stride.realtime.messages import FeedEntry, Message, counters_message
from stride.realtime.notify import LogListener, send_notifications
from stride.realtime.wakeup import on_log_appended

log = structlog.get_logger()

PAGE = 1000
MAX_PAGES = 20
SEED_EVENTS = 5000  # recent events read to start a tenant's counters
MAX_STREAKS = 100_000  # last streak values remembered (then forgotten, all at once)

Publish = Callable[[list[Message]], None]


@dataclass(frozen=True)
class FollowConfig:
    poll_s: float = 0.25
    commit_grace_s: float = 5.0
    counters_every_s: float = 1.0


class Follower:
    """`run_once()` reads and publishes one round; `start()`/`stop()` run rounds on a thread."""

    def __init__(
        self,
        engine: Engine,
        broker: Broker,
        config: FollowConfig,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self._config = config
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._publish: Publish = broker.publish
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._remove_listener: Callable[[], None] | None = None
        self._listener: LogListener | None = None
        self._to_notify: set[str] = set()
        self._guard = threading.Lock()
        self._cursor = 0
        self._samples: deque[tuple[float, int]] = deque()  # (monotonic time, log end)
        self._sent: set[int] = set()
        self._floors: dict[str, int] = {}  # tenant -> log end when its first subscriber came
        self._counters: dict[str, LiveCounters] = {}
        self._streaks: dict[tuple[str, str], int] = {}
        self._last_counters = 0.0

    def start(self, publish: Publish | None = None) -> None:
        """Follow on a thread; `publish` hands messages to the broker's loop."""
        self._publish = publish or self._broker.publish
        self._remove_listener = on_log_appended(self._engine, self._appended)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stride-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._remove_listener is not None:
            self._remove_listener()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._listener is not None:
            self._listener.stop()
            self._listener = None

    def wake(self, tenant_id: str = "") -> None:
        self._wake.set()

    def _appended(self, tenant_id: str) -> None:
        # On the writer's thread: note and wake, never any I/O here.
        if self._postgres:
            with self._guard:
                self._to_notify.add(tenant_id)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._config.poll_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_once()
            except Exception:  # one failed round (the database restarting) must not end it
                log.exception("change feed round failed")

    def run_once(self) -> list[Message]:
        """Send pending NOTIFYs, read the log after the cursor, publish; returns the messages."""
        self._notify_others()
        tenants = self._broker.tenants()
        if not tenants:
            self._floors.clear()
            self._counters.clear()
            return []
        now = self._clock()
        with self._engine.connect() as connection:
            end = log_tail.last_seq(connection)
            caught_up = self._activate(connection, tenants, end, now)
            messages = self._follow(connection, tenants, end, now, caught_up)
        messages += self._counter_messages(tenants, now)
        if messages:
            self._publish(messages)
        return messages

    def _notify_others(self) -> None:
        with self._guard:
            tenants, self._to_notify = self._to_notify, set()
        if tenants:
            send_notifications(self._engine, tenants)

    def _activate(
        self, connection: Connection, tenants: frozenset[str], end: int, now: datetime
    ) -> list[FeedEntry]:
        """Start following newly subscribed tenants from their subscribers' start (each read
        the log's end before subscribing); returns their events the cursor has passed."""
        floors = {t: self._start_of(t, end) for t in tenants - set(self._floors)}
        if not self._floors and floors:  # the first subscribers after none
            self._cursor, self._sent, self._samples = min(floors.values()), set(), deque()
            if self._postgres and self._listener is None:
                self._listener = LogListener(self._engine, self.wake)
                self._listener.start()
        for gone in set(self._floors) - tenants:
            del self._floors[gone]
            self._counters.pop(gone, None)
        caught_up: list[FeedEntry] = []
        for tenant_id, floor in floors.items():
            self._floors[tenant_id] = floor
            counters = self._counters[tenant_id] = LiveCounters()
            recent = log_tail.recent_entries(connection, tenant_id, SEED_EVENTS)
            counters.record(e for e in recent if e.received_at >= now - ACTIVE_WINDOW)
            if floor < self._cursor:
                caught_up += log_tail.tenant_entries_after(
                    connection, tenant_id, None, floor, self._cursor, PAGE
                )
        return caught_up

    def _start_of(self, tenant_id: str, end: int) -> int:
        floor = self._broker.floor(tenant_id)
        return end if floor is None else min(floor, end)

    def _watermark(self, end: int) -> int:
        """The highest log end sampled at least `commit_grace` ago: every seq up to it has
        committed (or never will). SQLite commits in seq order: the end just read."""
        if not self._postgres:
            return end
        clock = time.monotonic()
        self._samples.append((clock, end))
        mark = self._cursor
        while self._samples and self._samples[0][0] <= clock - self._config.commit_grace_s:
            mark = max(mark, self._samples.popleft()[1])
        return mark

    def _follow(
        self,
        connection: Connection,
        tenants: frozenset[str],
        end: int,
        now: datetime,
        caught_up: list[FeedEntry],
    ) -> list[Message]:
        mark = self._watermark(end)
        # Seqs first (no payloads): above the cursor most were sent in an earlier round.
        new: list[int] = []
        after, read_to_end = self._cursor, False
        for _ in range(MAX_PAGES):  # so one burst cannot hold the round forever
            seqs = log_tail.seqs_after(connection, tenants, after, PAGE)
            new += [seq for seq in seqs if seq not in self._sent]
            if len(seqs) < PAGE:
                read_to_end = True
                break
            after = seqs[-1]
        fresh = [e for e in caught_up if e.seq not in self._sent]
        fresh += [
            e
            for e in log_tail.entries_at(connection, new)
            if e.seq > self._floors.get(e.tenant_id, end)
        ]
        self._cursor = max(self._cursor, mark if read_to_end else min(mark, after))
        self._sent = {seq for seq in self._sent if seq > self._cursor}
        seen = [*new, *(e.seq for e in caught_up)]
        self._sent.update(seq for seq in seen if seq > self._cursor)
        if not fresh:
            return []
        fresh.sort(key=lambda e: e.seq)
        for entry in fresh:
            self._counters[entry.tenant_id].record([entry])
        if len(self._streaks) > MAX_STREAKS:
            self._streaks.clear()
        wanted = {tenant_id: self._broker.interest(tenant_id) for tenant_id in tenants}
        return messages_of(connection, fresh, now, wanted, self._streaks)

    def _counter_messages(self, tenants: frozenset[str], now: datetime) -> list[Message]:
        clock = time.monotonic()
        if clock - self._last_counters < self._config.counters_every_s:
            return []
        self._last_counters = clock
        messages = []
        for tenant_id in sorted(tenants):
            counters = self._counters.get(tenant_id)
            if counters is not None and self._broker.interest(tenant_id) is None:
                rate, active = counters.snapshot(now)
                messages.append(counters_message(tenant_id, rate, active, now))
        return messages
