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


def _tenant_writes_id(tenant_id: str) -> int:
    digest = hashlib.blake2b(f"writes/{tenant_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def share_tenant_writes(connection: Connection, tenant_id: str) -> None:
    """Mark an ingest transaction as writing to the tenant's log (PostgreSQL; shared, so
    writers never wait for each other). `settled_seq` waits for these to end."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": _tenant_writes_id(tenant_id)}
        )


def exclude_tenant_writes(connection: Connection, tenant_id: str) -> None:
    """Wait for the tenant's ingest transactions in flight and hold new ones off until this
    transaction ends (PostgreSQL; SQLite runs one writer at a time already). For the rare
    changes that move events between learners."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _tenant_writes_id(tenant_id)}
        )


def settled_seq(connection: Connection, tenant_id: str) -> int:
    """The tenant's last log position below which no write is still in flight.

    PostgreSQL hands out sequence numbers before commit, so an event with a lower seq can
    commit after one with a higher seq. Taking the exclusive side of `share_tenant_writes`'s
    lock waits for the ingest transactions in flight; every seq up to the maximum read then
    is committed. Hold it only for this read: run it in a transaction of its own. (SQLite
    commits one writer at a time, in seq order: the maximum is settled as it is.)
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _tenant_writes_id(tenant_id)}
        )
    query = text("SELECT COALESCE(MAX(seq), 0) FROM events WHERE tenant_id = :t")
    return int(connection.execute(query, {"t": tenant_id}).scalar_one())
