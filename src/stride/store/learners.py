"""Repository for learner profiles (the learner's time zone; never who they are)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from stride.store.bulk import select_by_learners
from stride.store.tables import learners
from stride.store.upsert import insert_missing


@dataclass(frozen=True)
class LearnerProfile:
    learner_key: str
    timezone: str
    created_at: datetime


def load_timezones(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, str]:
    """Time zone of each known learner among `learner_keys`."""
    names = ("learner_key", "timezone")
    rows = select_by_learners(connection, learners, names, tenant_id, learner_keys)
    return {key: zone for key, zone in rows}


def register_learners(
    connection: Connection, tenant_id: str, learner_keys: Collection[str], now: datetime
) -> None:
    """Create UTC profiles for learners seen for the first time."""
    insert_missing(
        connection,
        learners,
        [
            {"tenant_id": tenant_id, "learner_key": key, "timezone": "UTC", "created_at": now}
            for key in learner_keys
        ],
    )


def save_timezones(
    connection: Connection, tenant_id: str, timezones: dict[str, str], now: datetime
) -> None:
    """Create or update the profiles of several learners with their time zones."""
    register_learners(connection, tenant_id, timezones.keys(), now)
    if timezones:
        connection.execute(
            update(learners)
            .where(
                learners.c.tenant_id == tenant_id,
                learners.c.learner_key == bindparam("key"),
            )
            .values(timezone=bindparam("zone")),
            [{"key": key, "zone": zone} for key, zone in timezones.items()],
        )


def get_profile(connection: Connection, tenant_id: str, learner_key: str) -> LearnerProfile | None:
    row = connection.execute(
        select(learners.c.learner_key, learners.c.timezone, learners.c.created_at).where(
            learners.c.tenant_id == tenant_id, learners.c.learner_key == learner_key
        )
    ).first()
    return LearnerProfile(row.learner_key, row.timezone, row.created_at) if row else None


def get_display_handle(connection: Connection, tenant_id: str, learner_key: str) -> str | None:
    return connection.execute(
        select(learners.c.display_handle).where(
            learners.c.tenant_id == tenant_id, learners.c.learner_key == learner_key
        )
    ).scalar_one_or_none()


def set_display_handle(
    connection: Connection, tenant_id: str, learner_key: str, handle: str | None
) -> None:
    connection.execute(
        update(learners)
        .where(learners.c.tenant_id == tenant_id, learners.c.learner_key == learner_key)
        .values(display_handle=handle)
    )


def set_timezone(connection: Connection, tenant_id: str, learner_key: str, timezone: str) -> None:
    connection.execute(
        update(learners)
        .where(learners.c.tenant_id == tenant_id, learners.c.learner_key == learner_key)
        .values(timezone=timezone)
    )
