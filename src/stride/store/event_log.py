"""Repository for the append-only event log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, Table, func, select

from stride.store.bulk import fetch_decoded, select_by_keys
from stride.store.tables import event_ids, events
from stride.store.upsert import insert_missing, insert_new_returning


@dataclass(frozen=True)
class LoggedEvent:
    """One row of the log."""

    seq: int
    event_id: str
    learner_key: str
    type: str
    event_time: datetime
    received_at: datetime
    payload: dict[str, Any]


LOGGED_COLUMNS = ("seq", "event_id", "learner_key", "type", "event_time", "received_at", "payload")


def select_logged() -> Select[Any]:
    """A query of the log's records, for `read_logged` (add the filters and order)."""
    return select(*(events.c[name] for name in LOGGED_COLUMNS))


def read_logged(connection: Connection, query: Select[Any]) -> list[LoggedEvent]:
    """The records a `select_logged` query finds, decoded without SQLAlchemy's rows (pages of
    the log are read by thousands: the projection, rebuilds, webhooks)."""
    rows = fetch_decoded(connection, query, events, LOGGED_COLUMNS)
    return [LoggedEvent(*row) for row in rows]


def find_content_hashes(
    connection: Connection, tenant_id: str, event_ids: Iterable[str]
) -> dict[str, str]:
    """Map each already-stored event id among `event_ids` to its content hash."""
    # One probe of the (tenant_id, event_id) unique index per id, by a statement whose text
    # does not depend on the number of ids (see store.bulk).
    wanted = [(event_id,) for event_id in event_ids]
    if not wanted:
        return {}
    rows = select_by_keys(
        connection,
        _keys(connection),
        ("event_id", "content_hash"),
        tenant_id,
        ("event_id",),
        wanted,
    )
    return dict(rows)


def stored_before_append(
    connection: Connection, tenant_id: str, event_ids: Iterable[str]
) -> dict[str, str]:
    """The content hashes of the ids among `event_ids` already stored, where `append_events`
    needs them known beforehand: on SQLite, where an id already stored makes the append undo
    and redo its batch. On PostgreSQL the append inserts into `event_ids` first and reports
    which ids were new, so nothing is looked up here ({}): ask `find_content_hashes` for the
    ids it did not insert (the same question as after a concurrent writer's race)."""
    if connection.dialect.name == "postgresql":
        return {}
    return find_content_hashes(connection, tenant_id, event_ids)


def append_events(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Append rows; return the ids actually inserted (another writer may have won a race).

    PostgreSQL's log is partitioned, so its unique key lives in `event_ids`: an id that gets in
    there is new, and only its row is appended (under the key's lock until commit, so a
    concurrent writer of the same id waits, then skips it).
    """
    if connection.dialect.name != "postgresql":
        return insert_new_returning(connection, events, rows, "event_id")
    keys = [
        {"tenant_id": r["tenant_id"], "event_id": r["event_id"], "content_hash": r["content_hash"]}
        for r in rows
    ]
    new = insert_new_returning(connection, event_ids, keys, "event_id")
    # No conflict to expect: ON CONFLICT DO NOTHING only lets the fast bulk insert run.
    insert_missing(connection, events, [r for r in rows if r["event_id"] in new])
    return new


def _keys(connection: Connection) -> Table:
    """Where the log's (tenant, event id) key is kept (see `append_events`)."""
    return event_ids if connection.dialect.name == "postgresql" else events


def iter_events(
    connection: Connection,
    tenant_id: str,
    learner_key: str | None = None,
    chunk_size: int = 5000,
) -> Iterator[list[LoggedEvent]]:
    """Yield a tenant's (or one learner's) events in log order, in chunks (keyset paging)."""
    after = 0
    while True:
        query = (
            select_logged()
            .where(events.c.tenant_id == tenant_id, events.c.seq > after)
            .order_by(events.c.seq)
            .limit(chunk_size)
        )
        if learner_key is not None:
            query = query.where(events.c.learner_key == learner_key)
        chunk = read_logged(connection, query)
        if not chunk:
            return
        yield chunk
        after = chunk[-1].seq


def count_events(connection: Connection, tenant_id: str, learner_key: str | None = None) -> int:
    query = select(func.count()).select_from(events).where(events.c.tenant_id == tenant_id)
    if learner_key is not None:
        query = query.where(events.c.learner_key == learner_key)
    return int(connection.execute(query).scalar_one())


def learner_events_of_types(
    connection: Connection, tenant_id: str, learner_key: str, types: Iterable[str]
) -> list[LoggedEvent]:
    """A learner's events of some types, oldest first (by the learner/time index)."""
    query = (
        select_logged()
        .where(
            events.c.tenant_id == tenant_id,
            events.c.learner_key == learner_key,
            events.c.type.in_(list(types)),
        )
        .order_by(events.c.event_time, events.c.event_id)
    )
    return read_logged(connection, query)
