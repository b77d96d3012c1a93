"""Planner statistics kept fresh on PostgreSQL, whether or not autovacuum runs.

The batch reads (store.bulk) probe one key at a time, and without statistics PostgreSQL
cannot tell a primary key from another index sharing its first columns: a young
`usage_first_use` was probed through its (tenant, type) index, filtering every learner of
the type, 300 ms a batch at 800,000 events where the primary key takes 2 ms. Autovacuum
analyzes a table once a tenth of it has changed, but only looks every minute and may be
switched off. Stride therefore analyzes, every STATISTICS_INTERVAL_SECONDS, the tables past
that same threshold. ANALYZE reads a sample of a table and takes no lock that blocks writers.

Every server process runs `StatisticsJob` (api/app.py's lifespan).
"""

from __future__ import annotations

import hashlib

import structlog
from sqlalchemy import Connection, Engine, text

from stride.periodic import PeriodicThread

log = structlog.get_logger()

STATISTICS_INTERVAL_SECONDS = 30.0

# Autovacuum's default rule (autovacuum_analyze_threshold + autovacuum_analyze_scale_factor),
# for the tables this role may analyze (it owns them, or is a superuser). reltuples is -1
# before a table's first ANALYZE.
_STALE = text(
    "SELECT c.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid "
    "WHERE s.schemaname = current_schema() AND pg_has_role(c.relowner, 'USAGE') "
    "AND s.n_mod_since_analyze >= 50 + 0.1 * greatest(c.reltuples, 0) "
    "ORDER BY s.n_mod_since_analyze DESC"
)


# One process analyzes at a time: a second one would wait for the first's table lock and
# then sample the same table again.
_LOCK_ID = int.from_bytes(hashlib.blake2b(b"stride/statistics", digest_size=8).digest(), "big") >> 1


def stale_tables(connection: Connection) -> list[str]:
    """Tables of this schema changed by more than a tenth since their last ANALYZE."""
    return list(connection.execute(_STALE).scalars())


def analyze_stale_tables(engine: Engine) -> list[str]:
    """ANALYZE each stale table, one transaction each; the names analyzed (none on SQLite,
    whose planner works without statistics: tests/store/test_hot_query_plans.py, or while
    another process is at it)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        if not connection.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_ID}
        ).scalar():
            return []
        try:
            analyzed = stale_tables(connection)
            connection.commit()
            for name in analyzed:
                quoted = name.replace('"', '""')
                connection.execute(text(f'ANALYZE "{quoted}"'))
                connection.commit()
        finally:
            connection.rollback()  # whatever failed: the session lock outlives transactions
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_ID})
            connection.commit()
    if analyzed:
        log.debug("planner statistics refreshed", tables=analyzed)
    return analyzed


class StatisticsJob:
    """On PostgreSQL, a daemon thread of each server process analyzing the stale tables every
    `interval_s`. It waits on the database nearly all the time."""

    def __init__(self, engine: Engine, interval_s: float = STATISTICS_INTERVAL_SECONDS) -> None:
        self._engine = engine
        self._thread = PeriodicThread(
            "stride-statistics",
            lambda: analyze_stale_tables(engine),
            interval_s,
            "refreshing planner statistics failed",
        )

    def start(self) -> None:
        if self._engine.dialect.name == "postgresql":
            self._thread.start()

    def stop(self) -> None:
        self._thread.stop()
