"""Repository for the xAPI statements (table xapi_statements)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    select,
    true,
    update,
)

from stride.store.bulk import insert_rows, select_by_keys
from stride.store.tables import xapi_related_activities as related_activities
from stride.store.tables import xapi_related_agents as related_agents
from stride.store.tables import xapi_statements as table
from stride.store.upsert import insert_new_returning


@dataclass(frozen=True)
class StoredStatement:
    seq: int
    statement_id: str
    content_hash: str
    voids: str | None
    voided: bool
    stored: datetime
    sealed: str


@dataclass(frozen=True)
class StatementFilter:
    """The query of GET /xapi/statements, resolved to index keys (None: no condition)."""

    learner_key: str | None = None
    related_agents: bool = False  # the agent anywhere in the statement, not only actor/object
    verb_key: str | None = None
    activity_key: str | None = None
    related_activities: bool = False  # the activity in context or sub-statement, too
    registration: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ascending: bool = False
    after: int | None = None  # the `more` cursor: the last seq of the previous page


def _stored(row: Any) -> StoredStatement:
    return StoredStatement(
        row.seq,
        row.statement_id,
        row.content_hash,
        row.voids,
        row.voided,
        row.stored,
        row.statement,
    )


def find_hashes(
    connection: Connection, tenant_id: str, statement_ids: Iterable[str]
) -> dict[str, tuple[str, str | None]]:
    """statement id -> (content hash, the id it voids) of those already stored."""
    wanted = [(statement_id,) for statement_id in statement_ids]
    if not wanted:
        return {}
    rows = select_by_keys(
        connection,
        table,
        ("statement_id", "content_hash", "voids"),
        tenant_id,
        ("statement_id",),
        wanted,
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def voided_by_stored(
    connection: Connection, tenant_id: str, statement_ids: Sequence[str]
) -> set[str]:
    """Those of `statement_ids` a stored voiding statement names (it came before them)."""
    if not statement_ids:
        return set()
    query = select(table.c.voids).where(
        table.c.tenant_id == tenant_id, table.c.voids.in_(list(statement_ids))
    )
    return set(connection.execute(query).scalars())


def insert_statements(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows; return the statement ids inserted (a concurrent writer may have won)."""
    return insert_new_returning(connection, table, rows, "statement_id")


def seqs_of(connection: Connection, tenant_id: str, statement_ids: Iterable[str]) -> dict[str, int]:
    """statement id -> seq of those stored."""
    wanted = [(statement_id,) for statement_id in statement_ids]
    if not wanted:
        return {}
    rows = select_by_keys(
        connection, table, ("statement_id", "seq"), tenant_id, ("statement_id",), wanted
    )
    return {row[0]: int(row[1]) for row in rows}


def insert_related(
    connection: Connection,
    activities: Sequence[tuple[str, int, str, str]],
    agents: Sequence[tuple[str, int, str, str, bool]],
) -> None:
    """Index statements under their related activities (tenant_id, seq, statement id,
    activity key) and agents (tenant_id, seq, statement id, learner key, direct); see
    tables.xapi_related_*."""
    head = ("tenant_id", "seq", "statement_id")
    insert_rows(connection, related_activities, (*head, "activity_key"), activities, "nothing")
    insert_rows(connection, related_agents, (*head, "learner_key", "direct"), agents, "nothing")


def mark_voided(connection: Connection, tenant_id: str, statement_ids: Sequence[str]) -> None:
    if statement_ids:
        connection.execute(
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.statement_id.in_(list(statement_ids)))
            .values(voided=True)
        )


def get_statement(
    connection: Connection, tenant_id: str, statement_id: str
) -> StoredStatement | None:
    query = select(table).where(
        table.c.tenant_id == tenant_id, table.c.statement_id == statement_id
    )
    row = connection.execute(query).first()
    return _stored(row) if row is not None else None


def query_statements(
    connection: Connection, tenant_id: str, where: StatementFilter, limit: int
) -> list[StoredStatement]:
    """Not-voided statements matching `where`, in `seq` order, at most `limit`.

    A statement matches when it does itself, or when its object is a StatementRef to a
    statement that matches, however long the chain (the spec's filter rule for StatementRefs;
    a voided target counts, and time and paging conditions apply to the statement returned).
    """
    found = {row.seq: row for row in connection.execute(_direct_matches(tenant_id, where, limit))}
    if _filters_content(where):
        referring = set(connection.execute(_referring_seqs(tenant_id, where, limit)).scalars())
        missing = referring - found.keys()  # a statement may match both ways
        if missing:
            rows = select(table).where(table.c.tenant_id == tenant_id, table.c.seq.in_(missing))
            found.update((row.seq, row) for row in connection.execute(rows))
    seqs = sorted(found, reverse=not where.ascending)[:limit]
    return [_stored(found[seq]) for seq in seqs]


def _filters_content(where: StatementFilter) -> bool:
    return any(
        key is not None
        for key in (where.learner_key, where.verb_key, where.activity_key, where.registration)
    )


def _direct_matches(tenant_id: str, where: StatementFilter, limit: int) -> Select[Any]:
    """Statements matching `where` on their own content.

    An agent filter, and an activity filter with related_activities, are answered from the
    side tables' (tenant_id, key, seq) indexes: the first of them sets the order, so the page
    is a range scan of that index, and each statement row is then one primary-key probe.
    """
    c = table.c
    query = select(table).where(c.tenant_id == tenant_id, c.voided.is_(False))
    order = c.seq
    if where.learner_key is not None:
        agents = related_agents.c
        query = query.join(
            related_agents, and_(agents.tenant_id == c.tenant_id, agents.seq == c.seq)
        )
        query = query.where(agents.tenant_id == tenant_id, agents.learner_key == where.learner_key)
        if not where.related_agents:
            # `= true`, not IS TRUE: only an equality uses the (..., direct, seq) index.
            query = query.where(agents.direct == true())
        order = agents.seq
    if where.activity_key is not None and where.related_activities:
        found = related_activities.c
        query = query.join(
            related_activities, and_(found.tenant_id == c.tenant_id, found.seq == c.seq)
        )
        query = query.where(found.tenant_id == tenant_id, found.activity_key == where.activity_key)
        order = found.seq if order is c.seq else order
    elif where.activity_key is not None:
        query = query.where(c.activity_key == where.activity_key)
    for column, value in (
        (c.verb_key, where.verb_key),
        (c.registration, where.registration),
    ):
        if value is not None:
            query = query.where(column == value)
    query = query.where(*_window(table, where, order))
    return query.order_by(order if where.ascending else order.desc()).limit(limit)


def _referring_seqs(tenant_id: str, where: StatementFilter, limit: int) -> Select[Any]:
    """The seqs of the not-voided statements in the window whose StatementRef chain reaches
    a statement matching `where` on its own content (voided or not).

    The chain starts from the statements that have a target (a partial index lists them,
    few beside the rest) and follows `refers_to` by the (tenant_id, statement_id) key; UNION
    keeps each (statement, target) pair once, so a cycle of references ends.
    """
    start = table.alias("referring")
    chain = (
        select(start.c.seq.label("seq"), start.c.refers_to.label("target"))
        .where(
            start.c.tenant_id == tenant_id,
            start.c.refers_to.is_not(None),
            start.c.voided.is_(False),
            *_window(start, where, start.c.seq),
        )
        .cte("chain", recursive=True)
    )
    hop = table.alias("hop")
    chain = chain.union(
        select(chain.c.seq, hop.c.refers_to)
        .join_from(
            chain, hop, and_(hop.c.tenant_id == tenant_id, hop.c.statement_id == chain.c.target)
        )
        .where(hop.c.refers_to.is_not(None))
    )
    target = table.alias("target")
    # EXISTS, not a join: the planner then walks the chain (a few rows) and probes each target
    # by its key, rather than walking the tenant's statements and probing the chain.
    reaches = (
        exists()
        .where(target.c.tenant_id == tenant_id, target.c.statement_id == chain.c.target)
        .where(*_content_matches(target, tenant_id, where))
    )
    order = chain.c.seq if where.ascending else chain.c.seq.desc()
    return select(chain.c.seq).where(reaches).distinct().order_by(order).limit(limit)


def _content_matches(
    statement: Any, tenant_id: str, where: StatementFilter
) -> list[ColumnElement[bool]]:
    """The agent, verb, activity and registration conditions on one statement row."""
    conditions: list[ColumnElement[bool]] = []
    if where.learner_key is not None:
        agents = related_agents.c
        agent = exists().where(
            agents.tenant_id == tenant_id,
            agents.learner_key == where.learner_key,
            agents.seq == statement.c.seq,
        )
        conditions.append(agent if where.related_agents else agent.where(agents.direct == true()))
    if where.activity_key is not None and where.related_activities:
        found = related_activities.c
        conditions.append(
            exists().where(
                found.tenant_id == tenant_id,
                found.activity_key == where.activity_key,
                found.seq == statement.c.seq,
            )
        )
    elif where.activity_key is not None:
        conditions.append(statement.c.activity_key == where.activity_key)
    if where.verb_key is not None:
        conditions.append(statement.c.verb_key == where.verb_key)
    if where.registration is not None:
        conditions.append(statement.c.registration == where.registration)
    return conditions


def _window(statement: Any, where: StatementFilter, order: Any) -> list[ColumnElement[bool]]:
    """The since/until and `more` cursor conditions, which apply to the statement returned."""
    conditions: list[ColumnElement[bool]] = []
    if where.since is not None:
        conditions.append(statement.c.stored > where.since)
    if where.until is not None:
        conditions.append(statement.c.stored <= where.until)
    if where.after is not None:
        conditions.append(order > where.after if where.ascending else order < where.after)
    return conditions
