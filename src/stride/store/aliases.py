"""Repository for learner aliases: which learner key another platform id's key folds into."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from stride.store.tables import events, learner_aliases


@dataclass(frozen=True)
class AliasRow:
    alias_key: str
    learner_key: str
    alias_sealed: str
    learner_sealed: str
    linked_at: datetime


def canonical_keys(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, str]:
    """Map each of `learner_keys` that is an alias to the key of its learner (others absent)."""
    if not learner_keys:
        return {}
    rows = connection.execute(
        select(learner_aliases.c.alias_key, learner_aliases.c.learner_key).where(
            learner_aliases.c.tenant_id == tenant_id,
            learner_aliases.c.alias_key.in_(sorted(set(learner_keys))),
        )
    )
    return {alias: learner for alias, learner in rows}


def canonical_key(connection: Connection, tenant_id: str, learner_key: str) -> str:
    """The learner `learner_key` folds into: itself unless it is an alias."""
    return canonical_keys(connection, tenant_id, [learner_key]).get(learner_key, learner_key)


def get_alias(connection: Connection, tenant_id: str, alias_key: str) -> AliasRow | None:
    row = connection.execute(
        select(*_COLUMNS).where(
            learner_aliases.c.tenant_id == tenant_id, learner_aliases.c.alias_key == alias_key
        )
    ).first()
    return _alias(row) if row is not None else None


def aliases_of(connection: Connection, tenant_id: str, learner_key: str) -> list[AliasRow]:
    """The learner's aliases, oldest link first."""
    rows = connection.execute(
        select(*_COLUMNS)
        .where(
            learner_aliases.c.tenant_id == tenant_id, learner_aliases.c.learner_key == learner_key
        )
        .order_by(learner_aliases.c.linked_at, learner_aliases.c.alias_key)
    )
    return [_alias(row) for row in rows]


def insert_alias(connection: Connection, tenant_id: str, alias: AliasRow) -> None:
    connection.execute(
        insert(learner_aliases).values(
            tenant_id=tenant_id,
            alias_key=alias.alias_key,
            learner_key=alias.learner_key,
            alias_sealed=alias.alias_sealed,
            learner_sealed=alias.learner_sealed,
            linked_at=alias.linked_at,
        )
    )


def delete_alias(connection: Connection, tenant_id: str, alias_key: str) -> None:
    connection.execute(
        delete(learner_aliases).where(
            learner_aliases.c.tenant_id == tenant_id, learner_aliases.c.alias_key == alias_key
        )
    )


def move_events_to_learner(
    connection: Connection, tenant_id: str, alias_key: str, learner_key: str
) -> int:
    """Re-key the events sent under `alias_key` to `learner_key`, remembering the sender."""
    moved = connection.execute(
        update(events)
        .where(events.c.tenant_id == tenant_id, events.c.learner_key == alias_key)
        .values(learner_key=learner_key, sent_as=alias_key)
    )
    return int(moved.rowcount or 0)


def move_events_back(
    connection: Connection, tenant_id: str, alias_key: str, learner_key: str
) -> int:
    """Give the events sent under `alias_key` back to it (the reverse of the move above)."""
    moved = connection.execute(
        update(events)
        .where(
            and_(
                events.c.tenant_id == tenant_id,
                events.c.learner_key == learner_key,
                events.c.sent_as == alias_key,
            )
        )
        .values(learner_key=alias_key, sent_as=None)
    )
    return int(moved.rowcount or 0)


def delete_events(connection: Connection, tenant_id: str, event_ids: Collection[str]) -> None:
    if event_ids:
        connection.execute(
            delete(events).where(events.c.tenant_id == tenant_id, events.c.event_id.in_(event_ids))
        )


_COLUMNS = (
    learner_aliases.c.alias_key,
    learner_aliases.c.learner_key,
    learner_aliases.c.alias_sealed,
    learner_aliases.c.learner_sealed,
    learner_aliases.c.linked_at,
)


def _alias(row: Any) -> AliasRow:
    return AliasRow(row[0], row[1], row[2], row[3], row[4])
