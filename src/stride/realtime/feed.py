"""Turn reads of the log into messages: progress figures from the read models, and the replay
a resuming client gets (bounded: then a `reset` instead)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from stride.errors import NotFound
from stride.learners.queries import get_progress
from stride.learners.views import ProgressView
from stride.realtime import log_tail
from stride.realtime.messages import (
    FeedEntry,
    Message,
    batch_messages,
    learner_batches,
    reset_message,
)
from stride.store.tenant_context import tenant_context


def _figures(view: ProgressView) -> dict[str, Any]:
    return {
        "events": view.events,
        "active_days": view.active_days,
        "total_time_s": view.total_time_s,
        "current_streak": view.current_streak,
        "longest_streak": view.longest_streak,
        "activities_completed": view.activities_completed,
        "activities_in_progress": view.activities_in_progress,
        "last_active": view.last_active.isoformat() if view.last_active else None,
    }


def progress_figures(
    connection: Connection, learners: Iterable[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], dict[str, Any]]:
    """The overall progress figures (as `GET .../progress` reads them) of (tenant, learner)s;
    a learner the read models do not know (erased meanwhile) is left out."""
    figures: dict[tuple[str, str], dict[str, Any]] = {}
    for tenant_id, learner_key in learners:
        try:
            figures[tenant_id, learner_key] = _figures(
                get_progress(connection, tenant_id, learner_key, now)
            )
        except NotFound:
            continue
    return figures


def messages_of(
    connection: Connection,
    entries: Sequence[FeedEntry],
    now: datetime,
    wanted: Mapping[str, Collection[str] | None] | None = None,
    last_streaks: MutableMapping[tuple[str, str], int] | None = None,
) -> list[Message]:
    """The messages of `entries`; progress figures are read only for learners someone follows
    (`wanted`: tenant -> learners, None for all; omitted: everyone)."""
    learners = [
        key
        for key in learner_batches(entries)
        if wanted is None or (chosen := wanted.get(key[0], ())) is None or key[1] in chosen
    ]
    figures = progress_figures(connection, learners, now)
    return batch_messages(entries, figures, last_streaks)


@dataclass(frozen=True)
class ReplayLimits:
    max_messages: int = 1000
    max_age: timedelta = timedelta(hours=24)


def replay(
    engine: Engine,
    tenant_id: str,
    learner_key: str | None,
    after: int,
    through: int,
    now: datetime,
    limits: ReplayLimits,
) -> list[Message]:
    """What a client that last saw message `after` missed, from the log up to seq `through`
    (where its live messages start); a single `reset` message when that is more than the
    limits keep (too many events, or too old)."""
    with tenant_context(tenant_id), engine.connect() as connection:
        entries = log_tail.tenant_entries_after(
            connection, tenant_id, learner_key, after, through, limits.max_messages + 1
        )
        if len(entries) > limits.max_messages:
            return [reset_message(tenant_id, "More was missed than the stream replays.")]
        if entries and entries[0].received_at < now - limits.max_age:
            return [reset_message(tenant_id, "The stream replays only the recent past.")]
        return messages_of(connection, entries, now)
