"""PostgreSQL keeps the event log partitioned by month of receipt (migration 0020).

Each month is a partition `events_YYYY_MM`, created ahead: by the migration, on every
`stride db upgrade` / server start, and by the daily maintenance job (the retention job's
run), always for this month and the next `MONTHS_AHEAD`. Rows of a month without a partition
(received long before partitioning, or while no process could create one) land in the
DEFAULT partition `events_default`, so no insert ever fails for want of one. A month that
already has rows in the default partition is left there (PostgreSQL refuses to create a
partition whose rows the default holds) and reported.

SQLite has no partitions: these functions do nothing there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from stride.store.row_security import POLICY, visible_when

log = logging.getLogger(__name__)

MONTHS_AHEAD = 3
DEFAULT_PARTITION = "events_default"


@dataclass(frozen=True)
class PartitionReport:
    """Which monthly partitions a maintenance run created, and which months it could not."""

    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # rows of that month sit in the default


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (
        month.replace(year=month.year + 1, month=1)
        if month.month == 12
        else month.replace(month=month.month + 1)
    )


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first`'s to `last`'s, inclusive."""
    months, month = [], month_of(first)
    while month <= month_of(last):
        months.append(month)
        month = next_month(month)
    return months


def partition_name(month: date) -> str:
    return f"events_{month:%Y_%m}"


def bounds(month: date) -> tuple[str, str]:
    """The partition's range of `received_at`, as timestamptz literals in UTC."""
    return f"{month.isoformat()} 00:00:00+00", f"{next_month(month).isoformat()} 00:00:00+00"


def is_partitioned(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = 'events' AND c.relnamespace = current_schema()::regnamespace"
        )
    ).first()
    return found is not None


def event_partitions(connection: Connection) -> list[str]:
    """The names of the log's partitions (monthly ones and the default), sorted."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events' "
            "AND p.relnamespace = current_schema()::regnamespace"
        )
    ).scalars()
    return sorted(rows)


def create_month(connection: Connection, month: date) -> None:
    """Create one month's partition, with the tenant policy of its parent (so it holds even
    for a query that names the partition itself)."""
    name = partition_name(month)
    low, high = bounds(month)
    connection.execute(
        text(f"CREATE TABLE {name} PARTITION OF events FOR VALUES FROM ('{low}') TO ('{high}')")
    )
    protect(connection, name)


def protect(connection: Connection, name: str) -> None:
    visible = visible_when("tenant_id")
    connection.execute(text(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"))
    connection.execute(text(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY"))
    connection.execute(
        text(f"CREATE POLICY {POLICY} ON {name} USING {visible} WITH CHECK {visible}")
    )


def ensure_event_partitions(
    connection: Connection, today: date | None = None, months_ahead: int = MONTHS_AHEAD
) -> PartitionReport:
    """Create the partitions of this month and the next `months_ahead` that are missing."""
    report = PartitionReport()
    if not is_partitioned(connection):
        return report
    today = today or datetime.now(UTC).date()
    existing = set(event_partitions(connection))
    last = month_of(today)
    for _ in range(months_ahead):
        last = next_month(last)
    for month in months_between(today, last):
        name = partition_name(month)
        if name in existing:
            continue
        low, high = bounds(month)
        held = connection.execute(
            text(
                f"SELECT 1 FROM {DEFAULT_PARTITION} "
                "WHERE received_at >= CAST(:low AS timestamptz) "
                "AND received_at < CAST(:high AS timestamptz) LIMIT 1"
            ),
            {"low": low, "high": high},
        ).first()
        if held is not None:
            log.warning("events of %s are in %s; no partition created", month, DEFAULT_PARTITION)
            report.skipped.append(name)
            continue
        create_month(connection, month)
        report.created.append(name)
    return report


def maintain_partitions(connection: Connection) -> PartitionReport:
    """`ensure_event_partitions` in its own savepoint; a role that may not create tables (an
    application role that does not own the schema) logs why instead of failing its caller."""
    try:
        with connection.begin_nested():
            return ensure_event_partitions(connection)
    except DBAPIError as error:
        log.warning("could not create event partitions ahead: %s", error.orig)
        return PartitionReport()
