"""Reads of the event log for the change feed: the tail after a seq, the end, the recent past."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, func, select

from stride.realtime.messages import FeedEntry
from stride.store.tables import events

CHUNK = 500  # seqs per `IN` list

_COLUMNS = (
    events.c.seq,
    events.c.tenant_id,
    events.c.learner_key,
    events.c.type,
    events.c.received_at,
    events.c.payload,
)


def last_seq(connection: Connection) -> int:
    """The log's highest seq, every tenant (the primary key's end)."""
    return int(connection.execute(select(func.max(events.c.seq))).scalar() or 0)


def seqs_after(
    connection: Connection, tenant_ids: Collection[str], after: int, limit: int
) -> list[int]:
    """These tenants' log seqs after `after`, in order (a primary-key range, no payloads)."""
    query = (
        select(events.c.seq)
        .where(events.c.seq > after, events.c.tenant_id.in_(sorted(tenant_ids)))
        .order_by(events.c.seq)
        .limit(limit)
    )
    return [int(seq) for seq in connection.execute(query).scalars()]


def entries_at(connection: Connection, seqs: Collection[int]) -> list[FeedEntry]:
    """The events at these log seqs, in log order."""
    wanted = sorted(seqs)
    entries: list[FeedEntry] = []
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = select(*_COLUMNS).where(events.c.seq.in_(chunk)).order_by(events.c.seq)
        entries += [FeedEntry(*row) for row in connection.execute(query)]
    return entries


def tenant_entries_after(
    connection: Connection,
    tenant_id: str,
    learner_key: str | None,
    after: int,
    through: int,
    limit: int,
) -> list[FeedEntry]:
    """One tenant's (or one learner's) events in seqs (after, through], in log order."""
    query = (
        select(*_COLUMNS)
        .where(events.c.tenant_id == tenant_id, events.c.seq > after, events.c.seq <= through)
        .order_by(events.c.seq)
        .limit(limit)
    )
    if learner_key is not None:
        query = query.where(events.c.learner_key == learner_key)
    return [FeedEntry(*row) for row in connection.execute(query)]


def recent_entries(connection: Connection, tenant_id: str, limit: int) -> list[FeedEntry]:
    """The tenant's last `limit` events, newest first (to seed the live counters)."""
    query = (
        select(*_COLUMNS)
        .where(events.c.tenant_id == tenant_id)
        .order_by(events.c.seq.desc())
        .limit(limit)
    )
    return [FeedEntry(*row) for row in connection.execute(query)]
