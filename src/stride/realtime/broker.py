"""Fan messages out to this process's subscribers, each through a bounded queue of its own.

The broker lives on the server's event loop: `publish` runs there (the follower thread hands
messages over with `loop.call_soon_threadsafe`). A subscriber whose queue is full is not
waited for: its queue is emptied, it gets a final `dropped` message and is closed, so one
slow consumer never slows anyone else.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from stride.realtime.messages import COUNTERS, Message, dropped_message

SLOW_CONSUMER = "The stream fell too far behind; reconnect with Last-Event-ID to resume."
SHUTTING_DOWN = "The server is shutting down; reconnect with Last-Event-ID to resume."


@dataclass(eq=False)
class Subscription:
    """One open stream: a tenant's feed (`learner_key` None) or one learner's."""

    tenant_id: str
    learner_key: str | None
    queue: asyncio.Queue[Message]
    number: int
    # Messages with ids up to this one are not sent: older than the stream, or replayed.
    skip_through: int = 0
    closed: bool = False

    def wants(self, message: Message) -> bool:
        if message.tenant_id != self.tenant_id or self.closed:
            return False
        if message.id is not None and message.id <= self.skip_through:
            return False
        if self.learner_key is None:
            return True
        return message.learner_key == self.learner_key and message.type != COUNTERS


class Broker:
    """Subscribers by tenant; `tenants()` and `interest()` are safe to read from any thread."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queue_size = max(2, queue_size)
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._numbers = itertools.count(1)
        self._tenants: frozenset[str] = frozenset()
        # Per tenant: None when some subscriber follows the whole tenant, else the learners.
        self._interest: dict[str, frozenset[str] | None] = {}
        self._floors: dict[str, int] = {}  # per tenant: the lowest `skip_through`
        self.dropped = 0

    def subscribe(
        self, tenant_id: str, learner_key: str | None = None, skip_through: int = 0
    ) -> Subscription:
        """A new subscriber, sent the messages after log seq `skip_through`."""
        queue: asyncio.Queue[Message] = asyncio.Queue(self._queue_size)
        subscription = Subscription(
            tenant_id, learner_key, queue, next(self._numbers), skip_through
        )
        self._subscriptions.setdefault(tenant_id, set()).add(subscription)
        self._refresh(tenant_id)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.closed = True
        subscribers = self._subscriptions.get(subscription.tenant_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscriptions[subscription.tenant_id]
        self._refresh(subscription.tenant_id)

    def tenants(self) -> frozenset[str]:
        """The tenants with at least one subscriber now."""
        return self._tenants

    def interest(self, tenant_id: str) -> frozenset[str] | None:
        """The learners someone follows in the tenant; None when someone follows them all."""
        return self._interest.get(tenant_id, frozenset())

    def floor(self, tenant_id: str) -> int | None:
        """The log seq after which the tenant's subscribers want messages (None: none)."""
        return self._floors.get(tenant_id)

    def subscriber_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._subscriptions.values())

    def publish(self, messages: Iterable[Message]) -> None:
        """Hand each message to every subscriber that wants it (on the event loop)."""
        for message in messages:
            for subscription in list(self._subscriptions.get(message.tenant_id, ())):
                if subscription.wants(message):
                    self._offer(subscription, message)

    def _offer(self, subscription: Subscription, message: Message) -> None:
        try:
            subscription.queue.put_nowait(message)
        except asyncio.QueueFull:
            self._drop(subscription)

    def close_all(self, reason: str) -> None:
        """End every stream with a final `dropped` message (the server is shutting down)."""
        for subscribers in list(self._subscriptions.values()):
            for subscription in list(subscribers):
                self._drop(subscription, reason)

    def _drop(self, subscription: Subscription, reason: str = SLOW_CONSUMER) -> None:
        queue = subscription.queue
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(dropped_message(subscription.tenant_id, reason))
        if reason == SLOW_CONSUMER:
            self.dropped += 1
        self.unsubscribe(subscription)

    def _refresh(self, tenant_id: str) -> None:
        subscribers = self._subscriptions.get(tenant_id, set())
        if subscribers:
            self._floors[tenant_id] = min(s.skip_through for s in subscribers)
        else:
            self._floors.pop(tenant_id, None)
        if not subscribers:
            self._interest.pop(tenant_id, None)
        elif any(s.learner_key is None for s in subscribers):
            self._interest[tenant_id] = None
        else:
            self._interest[tenant_id] = frozenset(
                s.learner_key for s in subscribers if s.learner_key is not None
            )
        self._tenants = frozenset(self._subscriptions)
