"""Per-learner locks so concurrent writers fold one learner's events one batch at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, text


def _lock_id(tenant_id: str, learner_key: str) -> int:
    digest = hashlib.blake2b(f"{tenant_id}/{learner_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_learners(connection: Connection, tenant_id: str, learner_keys: Iterable[str]) -> None:
    """Take transaction-scoped locks on learners, in a fixed order so writers cannot deadlock.

    SQLite needs none: a write transaction there already holds the whole database.
    """
    if connection.dialect.name != "postgresql":
        return
    ids = sorted({_lock_id(tenant_id, key) for key in learner_keys})
    if ids:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:ids AS bigint[])) AS k"),
            {"ids": ids},
        )
