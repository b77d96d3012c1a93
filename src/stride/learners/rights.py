"""The learner's rights over their data: a full copy (GDPR art. 15, 20) and erasure (art. 17)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from stride.certificates.revocation import revoke_learner_credentials
from stride.errors import NotFound, PayloadTooLarge
from stride.store.aliases import aliases_of
from stride.store.learner_data import (
    count_learner_rows,
    delete_learner_rows,
    iter_learner_rows,
    learner_tables,
    read_snapshot,
)
from stride.store.locks import lock_learners
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal

# The API builds an export in memory; a learner past this many rows is exported by the CLI.
MAX_EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class LearnerExport:
    """Every row held on one learner, per table, with JSON-safe values."""

    learner_key: str
    exported_at: datetime
    tables: dict[str, list[dict[str, Any]]]
    columns: dict[str, tuple[str, ...]]  # per table, so an empty one still has a header

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


@dataclass(frozen=True)
class ErasureReport:
    """How many rows of each learner-tied table an erasure deleted."""

    erased_at: datetime
    deleted: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def json_safe(value: Any) -> Any:
    """A column value as JSON carries it: instants as ISO 8601 UTC, dates as ISO dates."""
    if isinstance(value, datetime):  # before date: a datetime is a date too
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value  # str, numbers, bool, None, and JSON columns (already decoded)


def export_learner(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    now: datetime,
    max_rows: int | None = None,
) -> LearnerExport:
    """Every row of every learner-tied table for the learner (events in log order).

    Raises NotFound when the tenant holds nothing for the learner, and PayloadTooLarge when
    there are more than `max_rows` rows.
    """
    tables = learner_tables()
    # The learner's aliases keep rows of their own (their xAPI statements and documents).
    keys = [learner_key, *(a.alias_key for a in aliases_of(connection, tenant_id, learner_key))]
    if max_rows is not None:
        held = sum(
            count_learner_rows(connection, t, tenant_id, key) for t in tables for key in keys
        )
        if held > max_rows:
            raise PayloadTooLarge(
                f"This learner has {held} stored rows, more than the API exports at once "
                f"({max_rows}); export them with `stride learners export`."
            )
    # Plain str keys: SQLAlchemy's names are a str subclass that JSON encoders refuse as keys.
    found = {
        str(table.name): [
            {str(name): json_safe(value) for name, value in row.items()}
            for key in keys
            for row in iter_learner_rows(connection, table, tenant_id, key)
        ]
        for table in tables
    }
    if not any(found.values()):
        raise NotFound("This tenant holds no data on this learner.")
    columns = {str(table.name): tuple(str(column.name) for column in table.c) for table in tables}
    return LearnerExport(learner_key, now, found, columns)


def erase_learner(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> ErasureReport:
    """Delete every row of every learner-tied table for the learner; count them per table.

    Run it inside one write transaction (`store.transactions.write_transaction`): all goes, or
    nothing. Idempotent: erasing again (or an unknown learner) deletes nothing and is no error.
    Derived rows go too, as they live under the same learner key (`skill.acquired` events).
    Certificates are revoked first, in the same transaction: their status-list bits outlive
    the deleted rows, so a copy the learner handed out verifies as revoked, not unknown.
    """
    # Every id of the learner goes: the aliases' own rows (their xAPI statements, documents,
    # consent answers) are still kept under their keys.
    keys = [learner_key, *(a.alias_key for a in aliases_of(connection, tenant_id, learner_key))]
    # Ingest's lock: no batch of this learner folds into rows being deleted (PostgreSQL).
    lock_learners(connection, tenant_id, keys)
    deleted = dict.fromkeys((str(table.name) for table in learner_tables()), 0)
    for key in keys:
        revoke_learner_credentials(connection, tenant_id, key, now)
        for table in reversed(learner_tables()):  # children before parents
            deleted[str(table.name)] += delete_learner_rows(connection, table, tenant_id, key)
    return ErasureReport(now, dict(sorted(deleted.items())))


def export_and_audit(
    engine: Engine,
    actor: Principal,
    learner_key: str,
    now: datetime,
    rendering: str,
    max_rows: int | None = MAX_EXPORT_ROWS,
) -> LearnerExport:
    """Export the learner's data from one snapshot, and record that `actor` exported it.

    Raises NotFound and PayloadTooLarge as `export_learner` does (nothing is audited then).
    """
    with read_snapshot(engine) as connection:
        export = export_learner(connection, actor.tenant_id, learner_key, now, max_rows)
    with write_transaction(engine) as connection:
        audit(
            connection,
            actor,
            "learner.export",
            "learner",
            now=now,
            learner_key=learner_key,
            detail={"format": rendering, "rows": export.row_counts},
        )
    return export


def erase_and_audit(
    engine: Engine, actor: Principal, learner_key: str, now: datetime
) -> ErasureReport:
    """Erase the learner and record it in the audit log, in one write transaction."""
    with write_transaction(engine) as connection:
        report = erase_learner(connection, actor.tenant_id, learner_key, now)
        audit(
            connection,
            actor,
            "learner.erase",
            "learner",
            now=now,
            learner_key=learner_key,
            detail={"deleted": report.deleted, "total": report.total},
        )
    return report
