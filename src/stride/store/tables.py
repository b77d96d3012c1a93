"""SQLAlchemy Core tables. Every row belongs to a tenant, and tenant_id leads every key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-assigns INTEGER PRIMARY KEY (the rowid); PostgreSQL wants a BIGINT identity.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class Instant(TypeDecorator[datetime]):
    """A UTC instant: timestamptz on PostgreSQL; on SQLite, naive UTC text read back as aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Stride stores only aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


tenants = Table(
    "tenants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("learner_secret", String(64), nullable=False),
    Column("created_at", Instant(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id"), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("revoked_at", Instant(), nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("seq", Sequence, primary_key=True, autoincrement=True),
    Column("tenant_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("type", String(80), nullable=False),
    Column("event_time", Instant(), nullable=False),
    Column("received_at", Instant(), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("payload", Json, nullable=False),
    UniqueConstraint("tenant_id", "event_id"),
    Index("ix_events_learner_time", "tenant_id", "learner_key", "event_time"),
)

learners = Table(
    "learners",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("created_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key"),
)

learner_stats = Table(
    "learner_stats",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("events", Integer, nullable=False),
    Column("first_seen", Instant(), nullable=False),
    Column("last_active", Instant(), nullable=False),
    Column("active_days", Integer, nullable=False),
    Column("total_active_ms", BigInteger, nullable=False),
    Column("activities_completed", Integer, nullable=False),
    Column("activities_in_progress", Integer, nullable=False),
    Column("longest_streak", Integer, nullable=False),
    Column("last_run", Integer, nullable=False),
    Column("last_active_day", Date, nullable=True),
    PrimaryKeyConstraint("tenant_id", "learner_key"),
)

learner_activities = Table(
    "learner_activities",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("activity_id", String(256), nullable=False),
    Column("activity_type", String(20), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("best_score", Float, nullable=True),
    Column("last_score", Float, nullable=True),
    Column("last_scored_at", Instant(), nullable=True),
    Column("last_scored_event", String(36), nullable=True),
    Column("time_spent_ms", BigInteger, nullable=False),
    Column("first_seen", Instant(), nullable=False),
    Column("last_seen", Instant(), nullable=False),
    Column("last_event", String(36), nullable=False),
    Column("completed_at", Instant(), nullable=True),
    PrimaryKeyConstraint("tenant_id", "learner_key", "activity_id"),
)

learner_days = Table(
    "learner_days",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("events", Integer, nullable=False),
    Column("activity_ms", BigInteger, nullable=False),
    Column("session_ms", BigInteger, nullable=False),
    Column("sessions", Json, nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "day"),
)

# A tenant's catalog as applied (normalized document); `version` grows with every apply.
catalogs = Table(
    "catalogs",
    metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("mastery_fingerprint", String(64), nullable=False),
    Column("document", Json, nullable=False),
    Column("applied_at", Instant(), nullable=False),
)

# BKT parameters fitted from the tenant's log by `stride fit mastery`, one set per skill.
skill_parameters = Table(
    "skill_parameters",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("skill_id", String(256), nullable=False),
    Column("prior", Float, nullable=False),
    Column("learn", Float, nullable=False),
    Column("guess", Float, nullable=False),
    Column("slip", Float, nullable=False),
    Column("forget", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("learners", Integer, nullable=False),
    Column("log_likelihood", Float, nullable=False),
    Column("fitted_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "skill_id"),
)

learner_skills = Table(
    "learner_skills",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("skill_id", String(256), nullable=False),
    Column("p_mastery", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("correct", Integer, nullable=False),
    Column("last_attempt_at", Instant(), nullable=False),
    Column("last_attempt_event", String(36), nullable=False),
    Column("acquired_at", Instant(), nullable=True),
    Column("recent", Json, nullable=False),  # the last scores, for the heuristic model
    Column("weekly", Json, nullable=False),  # {week start: P(mastery) at its end}
    PrimaryKeyConstraint("tenant_id", "learner_key", "skill_id"),
)

learner_enrollments = Table(
    "learner_enrollments",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("activity_id", String(256), nullable=False),
    Column("activity_type", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("enrolled_at", Instant(), nullable=False),
    Column("enrolled_event", String(36), nullable=False),
    Column("target_date", Date, nullable=True),
    Column("cancelled_at", Instant(), nullable=True),
    Column("last_change_at", Instant(), nullable=False),
    Column("last_change_event", String(36), nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "activity_id"),
)

# Read models that `stride rebuild` recomputes from the log; later capabilities add theirs.
READ_MODELS: tuple[Table, ...] = (
    learner_stats,
    learner_activities,
    learner_days,
    learner_skills,
    learner_enrollments,
)
