"""The broker: fan-out by tenant and learner, and a slow consumer dropped alone."""

from __future__ import annotations

import asyncio

from stride.realtime.broker import Broker
from stride.realtime.messages import Message


def progress(seq: int, learner: str, tenant: str = "t1") -> Message:
    return Message("progress.updated", tenant, {}, seq, learner)


def drain(queue: asyncio.Queue[Message]) -> list[Message]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def test_fan_out_filters_by_tenant_and_learner() -> None:
    async def scenario() -> None:
        broker = Broker(queue_size=10)
        feed = broker.subscribe("t1")
        ana = broker.subscribe("t1", "ana")
        other = broker.subscribe("t2")
        broker.publish([progress(1, "ana"), progress(2, "bob"), Message("counters", "t1")])
        assert [m.id for m in drain(feed.queue)] == [1, 2, None]
        assert [m.id for m in drain(ana.queue)] == [1]  # counters are for the tenant feed
        assert drain(other.queue) == []

    asyncio.run(scenario())


def test_a_subscriber_gets_only_messages_after_its_start() -> None:
    async def scenario() -> None:
        broker = Broker()
        late = broker.subscribe("t1", None, skip_through=5)
        broker.publish([progress(4, "ana"), progress(6, "ana")])
        assert [m.id for m in drain(late.queue)] == [6]
        assert broker.floor("t1") == 5

    asyncio.run(scenario())


def test_interest_and_tenants_follow_subscriptions() -> None:
    async def scenario() -> None:
        broker = Broker()
        ana = broker.subscribe("t1", "ana")
        assert broker.tenants() == {"t1"}
        assert broker.interest("t1") == {"ana"}
        feed = broker.subscribe("t1")
        assert broker.interest("t1") is None
        broker.unsubscribe(feed)
        broker.unsubscribe(ana)
        assert broker.tenants() == frozenset()
        assert broker.floor("t1") is None

    asyncio.run(scenario())


def test_a_slow_consumer_is_dropped_with_a_final_message_and_others_keep_going() -> None:
    async def scenario() -> None:
        broker = Broker(queue_size=3)
        slow = broker.subscribe("t1")
        fast = broker.subscribe("t1")
        for seq in range(1, 4):
            broker.publish([progress(seq, "ana")])
            drain(fast.queue)
        broker.publish([progress(4, "ana")])  # slow's queue is full: dropped
        assert [m.id for m in drain(fast.queue)] == [4]
        assert [m.type for m in drain(slow.queue)] == ["dropped"]
        assert slow.closed and broker.dropped == 1
        broker.publish([progress(5, "ana")])
        assert drain(slow.queue) == []
        assert [m.id for m in drain(fast.queue)] == [5]
        assert broker.subscriber_count() == 1

    asyncio.run(scenario())
