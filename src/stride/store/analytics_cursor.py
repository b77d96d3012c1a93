"""Where each tenant's analytics projection stands in the log (analytics/projection_job.py)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, func, select, update

from stride.store.event_log import LoggedEvent, read_logged, select_logged
from stride.store.tables import analytics_cursors, events, tenants
from stride.store.upsert import insert_missing


def _cursor_of(tenant_id: str) -> object:
    return (
        select(func.coalesce(func.max(analytics_cursors.c.seq), 0))
        .where(analytics_cursors.c.tenant_id == tenant_id)
        .scalar_subquery()
    )


def is_behind(connection: Connection, tenant_id: str) -> bool:
    """Whether the log holds an event of the tenant past its cursor (one index probe)."""
    query = (
        select(events.c.seq)
        .where(events.c.tenant_id == tenant_id, events.c.seq > _cursor_of(tenant_id))
        .limit(1)
    )
    return connection.execute(query).first() is not None


def tenants_behind(connection: Connection, tenant_ids: Collection[str] | None = None) -> list[str]:
    query = select(tenants.c.id).order_by(tenants.c.id)
    if tenant_ids is not None:
        query = query.where(tenants.c.id.in_(list(tenant_ids)))
    return [t for t in connection.execute(query).scalars() if is_behind(connection, t)]


def lock_cursor(connection: Connection, tenant_id: str) -> int:
    """The tenant's cursor, locked until the transaction ends (PostgreSQL: the row; SQLite's
    write transaction holds the database already)."""
    insert_missing(connection, analytics_cursors, [{"tenant_id": tenant_id, "seq": 0}])
    query = select(analytics_cursors.c.seq).where(analytics_cursors.c.tenant_id == tenant_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return int(connection.execute(query).scalar_one())


def set_cursor(connection: Connection, tenant_id: str, seq: int) -> None:
    connection.execute(
        update(analytics_cursors).where(analytics_cursors.c.tenant_id == tenant_id).values(seq=seq)
    )


def reset_cursor(connection: Connection, tenant_id: str) -> None:
    """Fold the tenant's whole log again (after its rollups were cleared)."""
    connection.execute(analytics_cursors.delete().where(analytics_cursors.c.tenant_id == tenant_id))


def revision(connection: Connection, tenant_id: str) -> int | None:
    """How many of the tenant's engagement rows and spans, usage markers, first uses and
    funnel times were ever deleted (SQLite's triggers count them, migrations 0028 and 0029);
    None before the tenant has a cursor."""
    query = select(analytics_cursors.c.revision).where(analytics_cursors.c.tenant_id == tenant_id)
    return connection.execute(query).scalar()


def current_cursor(connection: Connection, tenant_id: str) -> int:
    query = select(analytics_cursors.c.seq).where(analytics_cursors.c.tenant_id == tenant_id)
    return int(connection.execute(query).scalar() or 0)


def events_after(connection: Connection, tenant_id: str, seq: int, limit: int) -> list[LoggedEvent]:
    query = (
        select_logged()
        .where(events.c.tenant_id == tenant_id, events.c.seq > seq)
        .order_by(events.c.seq)
        .limit(limit)
    )
    return read_logged(connection, query)


def seqs_and_learners(
    connection: Connection, tenant_id: str, after: int, up_to: int
) -> list[tuple[int, str]]:
    """(seq, learner key) of the tenant's events in (after, up_to], in log order."""
    query = (
        select(events.c.seq, events.c.learner_key)
        .where(events.c.tenant_id == tenant_id, events.c.seq > after, events.c.seq <= up_to)
        .order_by(events.c.seq)
    )
    return [(row.seq, row.learner_key) for row in connection.execute(query)]
