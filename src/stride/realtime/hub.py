"""A server process's live streams: the broker, the follower feeding it, and opening a stream
(subscribe, replay what a resuming client missed, then live messages and heartbeats)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from stride.clock import utc_now
from stride.config import Settings
from stride.realtime import log_tail
from stride.realtime.broker import SHUTTING_DOWN, Broker, Subscription
from stride.realtime.exit_signals import chain_exit_signals
from stride.realtime.feed import ReplayLimits, replay
from stride.realtime.follower import FollowConfig, Follower
from stride.realtime.messages import DROPPED, Message


@dataclass(frozen=True)
class StreamConfig:
    heartbeat_s: float = 15.0
    queue_size: int = 1000
    follow: FollowConfig = field(default_factory=FollowConfig)
    replay: ReplayLimits = field(default_factory=ReplayLimits)

    @classmethod
    def from_settings(cls, settings: Settings) -> StreamConfig:
        return cls(
            heartbeat_s=settings.STREAM_HEARTBEAT_SECONDS,
            queue_size=settings.STREAM_QUEUE_SIZE,
            follow=FollowConfig(
                poll_s=settings.STREAM_POLL_SECONDS,
                commit_grace_s=settings.STREAM_COMMIT_GRACE_SECONDS,
            ),
            replay=ReplayLimits(
                settings.STREAM_REPLAY_MAX_MESSAGES,
                timedelta(hours=settings.STREAM_REPLAY_MAX_HOURS),
            ),
        )


class StreamHub:
    """Started in the app's lifespan (on its event loop), stopped at shutdown."""

    def __init__(self, engine: Engine, config: StreamConfig) -> None:
        self.engine = engine
        self.config = config
        self.broker = Broker(config.queue_size)
        self.follower = Follower(engine, self.broker, config.follow)
        self._restore_signals: Callable[[], None] = lambda: None

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> StreamHub:
        return cls(engine, StreamConfig.from_settings(settings))

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def publish(messages: list[Message]) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self.broker.publish, messages)

        def end_streams() -> None:  # in a signal handler: only schedule the work
            if not loop.is_closed():
                loop.call_soon_threadsafe(self.broker.close_all, SHUTTING_DOWN)

        self.follower.start(publish)
        self._restore_signals = chain_exit_signals(end_streams)

    async def stop(self) -> None:
        self._restore_signals()
        self.broker.close_all(SHUTTING_DOWN)
        await run_in_threadpool(self.follower.stop)

    async def subscribe(self, tenant_id: str, learner_key: str | None) -> Subscription:
        """A new subscriber of the tenant's feed (or one learner's); pass it to `stream`.

        The log's end is read first: the follower sends this subscriber what comes after it,
        and a replay covers what came before.
        """
        end = await run_in_threadpool(self._log_end)
        subscription = self.broker.subscribe(tenant_id, learner_key, end)
        self.follower.wake()
        return subscription

    async def stream(
        self, subscription: Subscription, last_event_id: int | None
    ) -> AsyncIterator[Message | None]:
        """The messages missed since `last_event_id` (if given), then live ones, with None for
        each heartbeat due; ends after `dropped`, and unsubscribes when it ends."""
        try:
            if last_event_id is not None:
                missed = await run_in_threadpool(
                    replay,
                    self.engine,
                    subscription.tenant_id,
                    subscription.learner_key,
                    last_event_id,
                    subscription.skip_through,
                    utc_now(),
                    self.config.replay,
                )
                for message in missed:
                    yield message
                subscription.skip_through = max(subscription.skip_through, last_event_id)
            async for live in _live(subscription, self.config.heartbeat_s):
                yield live
        finally:
            self.broker.unsubscribe(subscription)

    def _log_end(self) -> int:
        with self.engine.connect() as connection:
            return log_tail.last_seq(connection)


async def _live(subscription: Subscription, heartbeat_s: float) -> AsyncIterator[Message | None]:
    while True:
        try:
            message = await asyncio.wait_for(subscription.queue.get(), heartbeat_s)
        except TimeoutError:
            yield None
            continue
        if message.id is not None and message.id <= subscription.skip_through:
            continue  # replayed already
        yield message
        if message.type == DROPPED:
            return
