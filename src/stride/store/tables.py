"""SQLAlchemy Core tables. Every row belongs to a tenant, and tenant_id leads every key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
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


class Sealed(TypeDecorator[str]):
    """A secret encrypted at rest with the master key (stride.privacy.secrets)."""

    impl = String(512)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        from stride.privacy.secrets import seal  # the store must not import services at load

        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        from stride.privacy.secrets import unseal

        return None if value is None else unseal(value)


tenants = Table(
    "tenants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    # Both sealed with the master key (see Sealed); reads return the plain secret.
    Column("learner_secret", Sealed(), nullable=False),
    Column("signing_key", Sealed(), nullable=False),
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
    # The learner key the event was sent under, when an alias moved it to another learner
    # (learner_aliases): unlinking moves it back.
    Column("sent_as", String(64), nullable=True),
    UniqueConstraint("tenant_id", "event_id"),
    Index("ix_events_learner_time", "tenant_id", "learner_key", "event_time"),
    # A tenant's log from a cursor (analytics projection, webhooks, live tail, exports).
    Index("ix_events_tenant_seq", "tenant_id", "seq"),
)

# The log's key on PostgreSQL (0020), where `events` is partitioned by month of receipt and a
# unique key there would have to include it: ingest inserts an event's id here first, and a
# trigger deletes it with the event. SQLite's `events` keeps its own unique key; this stays empty.
event_ids = Table(
    "event_ids",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("content_hash", String(64), nullable=False),
    PrimaryKeyConstraint("tenant_id", "event_id"),
)

learners = Table(
    "learners",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("created_at", Instant(), nullable=False),
    # The name a learner chose to appear under on leaderboards (never their id).
    Column("display_handle", String(64), nullable=True),
    PrimaryKeyConstraint("tenant_id", "learner_key"),
)

# Another platform id of a learner (0018): events sent under `alias_key` fold into
# `learner_key`. Both ids are kept sealed with the tenant's key, for GET /xapi/agents and the
# alias list; erasing the learner deletes the row (it has `learner_key`).
learner_aliases = Table(
    "learner_aliases",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("alias_key", String(64), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("alias_sealed", Text, nullable=False),
    Column("learner_sealed", Text, nullable=False),
    Column("linked_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "alias_key"),
    Index("ix_learner_aliases_learner", "tenant_id", "learner_key"),
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

# A tenant's privacy policy (consent defaults, PII rules, retention, k-anonymity), as applied.
tenant_policies = Table(
    "tenant_policies",
    metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("document", Json, nullable=False),
    Column("updated_at", Instant(), nullable=False),
)

# A learner's current answer per consent purpose; purposes without a row follow the policy.
learner_consents = Table(
    "learner_consents",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("changed_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "purpose"),
)

consent_history = Table(
    "consent_history",
    metadata,
    Column("seq", Sequence, primary_key=True, autoincrement=True),
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("changed_at", Instant(), nullable=False),
    Column("changed_by", String(64), nullable=False),  # key id, or "learner" for a learner token
    Index("ix_consent_history_learner", "tenant_id", "learner_key", "seq"),
)

# Append-only. `subject` is a one-way audit pseudonym of the learner key, never the key itself,
# so erasing a learner leaves nothing that leads back to them while the trail stays.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Sequence, primary_key=True, autoincrement=True),
    Column("tenant_id", String(36), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("action", String(64), nullable=False),
    Column("resource", String(256), nullable=False),
    Column("subject", String(64), nullable=True),
    Column("detail", Json, nullable=True),
    Index("ix_audit_log_tenant_seq", "tenant_id", "seq"),
)

# Personal data found at ingest, per UTC day: the data-quality figures of the PII scanner.
pii_findings = Table(
    "pii_findings",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("day", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("action", String(16), nullable=False),  # "redacted" or "rejected"
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "day", "kind", "action"),
)

retention_runs = Table(
    "retention_runs",
    metadata,
    Column("seq", Sequence, primary_key=True, autoincrement=True),
    Column("tenant_id", String(36), nullable=False),
    Column("ran_at", Instant(), nullable=False),
    Column("cutoff", Instant(), nullable=False),
    Column("events_deleted", Integer, nullable=False),
    Column("archive", String(1024), nullable=True),
    Index("ix_retention_runs_tenant_seq", "tenant_id", "seq"),
)

# Points per learner and week (Monday, learner's local days): events' weights plus the points of
# achievements awarded that week. Folded at ingest by the achievements capability; leaderboards
# rank on it.
learner_points = Table(
    "learner_points",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("week", Date, nullable=False),
    Column("points", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "week"),
    Index("ix_learner_points_week", "tenant_id", "week", "points"),
)

# --- achievements and points (migration 0005) ---

# One row per achievement a learner earned, rebuilt from the derived achievement.awarded events
# (their payload holds every fact shown here), so a rebuild restores them whatever the criteria.
learner_achievements = Table(
    "learner_achievements",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("achievement_id", String(64), nullable=False),
    Column("awarded_at", Instant(), nullable=False),
    Column("event_id", String(36), nullable=False),  # the derived event
    Column("name", String(200), nullable=False),
    Column("points", Integer, nullable=False),
    Column("evidence", Json, nullable=False),  # ids of the events that satisfied the criteria
    PrimaryKeyConstraint("tenant_id", "learner_key", "achievement_id"),
)

# Counts criteria read that no other read model keeps: events per type, perfect scores.
learner_counters = Table(
    "learner_counters",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("counter", String(400), nullable=False),  # events:<type>, score.perfect, module:<id>
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "counter"),
)

# When the UI celebrated an award: the UI's state, not in the log, so kept across rebuilds.
achievement_celebrations = Table(
    "achievement_celebrations",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("achievement_id", String(64), nullable=False),
    Column("shown_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "achievement_id"),
)

# --- certificates (migration 0006) ---

# A tenant's Ed25519 issuing keys. Made on first issuance; a retired key still verifies what it
# signed. The kid is `<tenant id>:<JWK thumbprint>`.
tenant_signing_keys = Table(
    "tenant_signing_keys",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("kid", String(128), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("private_jwk", Sealed(), nullable=False),  # JSON text, sealed with the master key
    Column("public_jwk", Json, nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("retired_at", Instant(), nullable=True),
    PrimaryKeyConstraint("tenant_id", "kid"),
)

# Issued certificates. `learner_key` makes export and erasure cover them; erasure revokes
# first, as the revocation bits live apart (credential_status_lists) and outlive the row.
credentials = Table(
    "credentials",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("credential_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("program_id", String(256), nullable=False),
    Column("issued_at", Instant(), nullable=False),
    Column("valid_until", Instant(), nullable=True),
    Column("jwt", Text(), nullable=False),
    Column("verification_code", String(16), nullable=False),
    Column("list_id", Integer, nullable=False),
    Column("status_index", Integer, nullable=False),
    Column("revoked_at", Instant(), nullable=True),
    Column("revocation_reason", String(500), nullable=True),
    PrimaryKeyConstraint("tenant_id", "credential_id"),
    Index("ix_credentials_learner", "tenant_id", "learner_key", "program_id"),
    # Global, not per tenant: verification by code is public and names no tenant.
    UniqueConstraint("verification_code"),
)

# Bitstring status lists (revocation), per tenant; `next_index` hands out entries in order.
credential_status_lists = Table(
    "credential_status_lists",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("list_id", Integer, nullable=False),
    Column("bits", LargeBinary(), nullable=False),
    Column("next_index", Integer, nullable=False),
    Column("updated_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "list_id"),
)

# --- goals, streak freezes and leaderboards (migration 0007) ---

# A learner's goals, folded from goal.set / goal.cancelled: the definition is the one of the
# latest goal.set by (timestamp, event id), so arrival order does not matter.
learner_goals = Table(
    "learner_goals",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("goal_id", String(64), nullable=False),
    Column("kind", String(32), nullable=True),  # null while only a goal.cancelled arrived
    Column("target", Integer, nullable=True),
    Column("module", String(256), nullable=True),
    Column("due", Date, nullable=True),
    Column("created_at", Instant(), nullable=True),  # the earliest goal.set
    Column("set_at", Instant(), nullable=True),
    Column("set_event", String(36), nullable=True),
    Column("cancelled_at", Instant(), nullable=True),
    Column("cancelled_event", String(36), nullable=True),
    PrimaryKeyConstraint("tenant_id", "learner_key", "goal_id"),
)

# Local days a streak freeze bridged (a missed day between two active days).
learner_streak_freezes = Table(
    "learner_streak_freezes",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("day", Date, nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "day"),
)

# --- webhooks (migration 0008) ---

# The dispatcher scans the log per tenant and subscribed type, after its cursor.
Index("ix_events_tenant_type_seq", events.c.tenant_id, events.c.type, events.c.seq)

# A tenant's subscription: the log's events of `event_types` after `cursor_seq` go to `url`.
webhooks = Table(
    "webhooks",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("id", String(36), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_types", Json, nullable=False),
    Column("secret", Sealed(), nullable=False),
    Column("description", String(500), nullable=True),
    Column("created_at", Instant(), nullable=False),
    Column("disabled_at", Instant(), nullable=True),  # set when the receiver answered 410
    Column("cursor_seq", BigInteger, nullable=False),  # the log seq examined up to
    PrimaryKeyConstraint("tenant_id", "id"),
)

# One event to one webhook (the outbox). The unique key makes enqueueing exactly-once; the
# payload is read from the log when sent. `learner_key` lets erasure find the learner's rows.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("id", String(36), nullable=False),
    Column("webhook_id", String(36), nullable=False),
    Column("event_seq", BigInteger, nullable=True),  # null for `webhook.test`
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("learner_key", String(64), nullable=True),
    Column("status", String(16), nullable=False),  # pending, delivered or failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Instant(), nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", Instant(), nullable=False),
    Column("delivered_at", Instant(), nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "webhook_id", "event_id"),
    Index("ix_webhook_deliveries_webhook", "tenant_id", "webhook_id", "created_at"),
    # Across tenants: the dispatcher's scan for due deliveries.
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

# Analytics rollups: engagement, retention, lifecycle, usage, metrics (0009).

# One learner's activity per period (kind day/week/month of local days) and group (dimension
# all/type/program/course/platform): the per-learner state the engagement rollups derive from.
# `learner_key` makes erasure and export cover it.
engagement_learner_periods = Table(
    "engagement_learner_periods",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("dimension", String(16), nullable=False),
    Column("value", String(256), nullable=False),
    Column("events", Integer, nullable=False),
    Column("activity_ms", BigInteger, nullable=False),
    Column("session_ms", BigInteger, nullable=False),
    Column("sessions", Json, nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "kind", "period_start", "dimension", "value"),
    # A program's cohorts are read by group, not by learner (store/retention_program.py).
    # The group leads: with `kind` second, PostgreSQL took this index for the projection's
    # per-learner window reads (tenant, learner, kind, period range) and scanned every
    # learner's rows of the period range for each.
    Index(
        "ix_engagement_learner_periods_group",
        "tenant_id",
        "dimension",
        "value",
        "kind",
        "period_start",
    ),
    sqlite_with_rowid=False,  # a learner's rows lie together (0025)
)

# A learner's first and last active period per kind and group.
engagement_learner_spans = Table(
    "engagement_learner_spans",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("dimension", String(16), nullable=False),
    Column("value", String(256), nullable=False),
    Column("first_start", Date, nullable=False),
    Column("last_start", Date, nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "kind", "dimension", "value"),
    # A program's first-period cohorts are read by group, not by learner.
    Index(
        "ix_engagement_learner_spans_group",
        "tenant_id",
        "dimension",
        "value",
        "kind",
        "first_start",
    ),
    sqlite_with_rowid=False,  # a learner's rows lie together (0025)
)

# Anonymous counters per period and group: active, new and continuing learners, events,
# time and sessions. No learner_key: erasing a learner leaves them as they are.
engagement_counts = Table(
    "engagement_counts",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("dimension", String(16), nullable=False),
    Column("value", String(256), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("learners", Integer, nullable=False),
    Column("new_learners", Integer, nullable=False),
    Column("continuing", Integer, nullable=False),
    Column("events", BigInteger, nullable=False),
    Column("active_ms", BigInteger, nullable=False),
    Column("sessions", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "kind", "dimension", "value", "period_start"),
    info={"tenant_rollup": True},
)

# Rolling active learners (WAU, MAU): learners active in the `window_days` days ending on `day`.
engagement_rolling = Table(
    "engagement_rolling",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("dimension", String(16), nullable=False),
    Column("value", String(256), nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("learners", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "dimension", "value", "window_days", "day"),
    info={"tenant_rollup": True},
)

# Retention cohorts: learners per (start type, return type, entry, measure, cohort, offset).
retention_counts = Table(
    "retention_counts",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("start_type", String(80), nullable=False),
    Column("return_type", String(80), nullable=False),
    Column("entry", String(16), nullable=False),
    Column("measure", String(16), nullable=False),
    Column("cohort", Date, nullable=False),
    Column("period_offset", Integer, nullable=False),
    Column("learners", Integer, nullable=False),
    PrimaryKeyConstraint(
        "tenant_id",
        "kind",
        "start_type",
        "return_type",
        "entry",
        "measure",
        "cohort",
        "period_offset",
    ),
    info={"tenant_rollup": True},
)

# Reads take one dimension's rows over a date range, across its values.
Index(
    "ix_engagement_counts_range",
    engagement_counts.c.tenant_id,
    engagement_counts.c.kind,
    engagement_counts.c.dimension,
    engagement_counts.c.period_start,
)
Index(
    "ix_engagement_rolling_range",
    engagement_rolling.c.tenant_id,
    engagement_rolling.c.dimension,
    engagement_rolling.c.day,
)

# Analytics rollups: funnels, content, items, outcomes (0010).

# Usage, metrics and funnels (docs/analytics-usage.md), all by UTC day. Tenant-level counters
# are added to at ingest (`x = x + excluded.x`); a one-learner refold subtracts the learner's
# share first (analytics/usage_projection.forget_learner_usage), so they are never deleted per
# learner (`tenant_rollup`). Marker tables keep their rows through such a refold, too.
usage_type_days = Table(
    "usage_type_days",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("day", Date, nullable=False),
    Column("type", String(80), nullable=False),
    Column("events", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "day", "type"),
    info={"tenant_rollup": True},
)

# One row per learner who did a type in a period (and breakdown group): inserted if new, and
# each new row adds one to usage_uniques. dim/value are "" for the type as a whole.
usage_learner_marks = Table(
    "usage_learner_marks",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("type", String(80), nullable=False),
    Column("dim", String(200), nullable=False),  # "", "platform" or "properties.<path>"
    Column("value", String(100), nullable=False),
    Column("period", String(16), nullable=False),  # day, week or month
    Column("start", Date, nullable=False),
    Column("learner_key", String(64), nullable=False),
    PrimaryKeyConstraint("tenant_id", "type", "dim", "value", "period", "start", "learner_key"),
    info={"tenant_rollup": True},
)

usage_uniques = Table(
    "usage_uniques",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("type", String(80), nullable=False),
    Column("dim", String(200), nullable=False),
    Column("period", String(16), nullable=False),
    Column("start", Date, nullable=False),
    Column("value", String(100), nullable=False),
    Column("learners", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "type", "dim", "period", "start", "value"),
    info={"tenant_rollup": True},
)

# A learner's first event of each type (min), for adoption.
usage_first_use = Table(
    "usage_first_use",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("type", String(80), nullable=False),
    Column("first_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "type"),
    Index("ix_usage_first_use_type", "tenant_id", "type", "first_at"),
)

# Numeric fields per (type, field, breakdown group, day): count, exact sum (whole units plus
# millionths, so order cannot change it), min and max; field "" counts the events themselves.
metric_days = Table(
    "metric_days",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("type", String(80), nullable=False),
    Column("field", String(200), nullable=False),
    Column("dim", String(200), nullable=False),
    Column("day", Date, nullable=False),
    Column("value", String(100), nullable=False),
    Column("week", Date, nullable=False),  # Monday of the day's ISO week
    Column("month", Date, nullable=False),  # first of the day's month
    Column("count", BigInteger, nullable=False),
    Column("sum_units", BigInteger, nullable=False),
    Column("sum_micros", BigInteger, nullable=False),
    Column("min", Float, nullable=True),
    Column("max", Float, nullable=True),
    PrimaryKeyConstraint("tenant_id", "type", "field", "dim", "day", "value"),
    info={"tenant_rollup": True},
)

# The same cells' log-spaced histograms (analytics/histograms.py), one row per bucket, kept per
# period (day, week and month starts) so a long range merges few rows at read time.
metric_buckets = Table(
    "metric_buckets",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("type", String(80), nullable=False),
    Column("field", String(200), nullable=False),
    Column("dim", String(200), nullable=False),
    Column("period", String(16), nullable=False),
    Column("start", Date, nullable=False),
    Column("value", String(100), nullable=False),
    Column("bucket", Integer, nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "type", "field", "dim", "period", "start", "value", "bucket"),
    info={"tenant_rollup": True},
)

# Funnel steps: per learner and step key ("<type>" and "<type>:<activity id>") the earliest
# FUNNEL_TIMES_KEPT occurrence times, epoch milliseconds, ascending. Keyed (and, on SQLite,
# stored: WITHOUT ROWID) by step first, so a funnel reads each step's rows in one range.
funnel_steps = Table(
    "funnel_steps",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("step", String(340), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("times", Json, nullable=False),
    PrimaryKeyConstraint("tenant_id", "step", "learner_key"),
    Index("ix_funnel_steps_learner", "tenant_id", "learner_key"),
    sqlite_with_rowid=False,
)

# Learning analytics (docs/analytics-learning.md). Per-learner folds first: each item's first
# graded attempt (min (time, id)) and attempt counts; each module's progress as sums and maxima
# over its items' learner_activities rows; each coaching meeting's earliest upload/outcome.
learner_item_attempts = Table(
    "learner_item_attempts",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("activity_id", String(256), nullable=False),
    Column("graded", Integer, nullable=False),  # attempts that were correct or not
    Column("correct", Integer, nullable=False),
    Column("first_at", Instant(), nullable=False),  # the first graded attempt
    Column("first_event", String(36), nullable=False),
    Column("first_score", Float, nullable=True),
    Column("first_correct", Integer, nullable=False),  # 1 or 0
    PrimaryKeyConstraint("tenant_id", "learner_key", "activity_id"),
)

learner_modules = Table(
    "learner_modules",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("module_id", String(256), nullable=False),
    Column("items_started", Integer, nullable=False),
    Column("required_done", Integer, nullable=False),  # required items completed
    Column("time_spent_ms", BigInteger, nullable=False),
    Column("last_item", String(256), nullable=False),  # item at the greatest (last_seen, event)
    Column("last_seen", Instant(), nullable=False),
    Column("last_event", String(36), nullable=False),
    PrimaryKeyConstraint("tenant_id", "learner_key", "module_id"),
)

learner_meetings = Table(
    "learner_meetings",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("meeting_id", String(256), nullable=False),
    Column("uploaded_at", Instant(), nullable=True),  # earliest meeting.uploaded
    Column("analyzed_at", Instant(), nullable=True),  # earliest meeting.analyzed
    Column("failed_at", Instant(), nullable=True),  # earliest meeting.failed
    PrimaryKeyConstraint("tenant_id", "learner_key", "meeting_id"),
    Index("ix_learner_meetings_uploaded", "tenant_id", "uploaded_at"),
)

# Tenant-level content rollups, added to by difference (learner's row before vs after a batch).
# No learner key: a one-learner refold subtracts the learner's share first, never deletes them.
content_stats = Table(
    "content_stats",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("activity_id", String(256), nullable=False),
    # "activity": from learner_activities rows; "module": a catalog module over its items.
    Column("level", String(16), nullable=False),
    Column("starts", Integer, nullable=False),  # learners with a row
    Column("completions", Integer, nullable=False),
    Column("scored", Integer, nullable=False),  # learners with a best score
    Column("score_micros", BigInteger, nullable=False),  # sum of best scores, in millionths
    Column("passed", Integer, nullable=False),  # best score >= pass mark at ingest
    PrimaryKeyConstraint("tenant_id", "activity_id", "level"),
    info={"tenant_rollup": True},
)

# Learner counts per (activity, kind, bucket): kinds "time" (an activity) and "module_time"
# bucket completers' time spent (log scale, analytics/content_buckets.py); "dropoff" counts, per
# module, the learners who started and did not complete it by the item they touched last.
content_buckets = Table(
    "content_buckets",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("activity_id", String(256), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("bucket", String(256), nullable=False),
    Column("learners", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "activity_id", "kind", "bucket"),
    info={"tenant_rollup": True},
)

# Counter rows that came to zero are deleted after each batch (so the tables hold the same rows
# whatever the arrival order); these partial indexes make finding them a probe, not a scan.
_ZERO_COUNTS = (
    "learners = 0 AND new_learners = 0 AND continuing = 0 AND events = 0 AND active_ms = 0 "
    "AND sessions = 0"
)
_ZERO_CONTENT_STATS = (
    "starts = 0 AND completions = 0 AND scored = 0 AND score_micros = 0 AND passed = 0"
)
for _table, _zero in (
    (engagement_counts, _ZERO_COUNTS),
    (engagement_rolling, "learners = 0"),
    (retention_counts, "learners = 0"),
    (content_stats, _ZERO_CONTENT_STATS),
    (content_buckets, "learners = 0"),
):
    Index(
        f"ix_{_table.name}_zero",
        _table.c.tenant_id,
        sqlite_where=text(_zero),
        postgresql_where=text(_zero),
    )

# Item analysis sums per item, added to by difference like content_stats. The rest score y of
# a learner at an item is their mean first-attempt score over their OTHER items, in millionths
# (integers, so sums are exact and order-free); x is 1 when the first attempt was correct.
item_stats = Table(
    "item_stats",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("activity_id", String(256), nullable=False),
    Column("learners", Integer, nullable=False),
    Column("graded", BigInteger, nullable=False),
    Column("correct", BigInteger, nullable=False),
    Column("first_correct", Integer, nullable=False),
    Column("first_score_micros", BigInteger, nullable=False),
    Column("pb_n", Integer, nullable=False),  # learners with a rest score
    Column("pb_x", BigInteger, nullable=False),
    Column("pb_y", BigInteger, nullable=False),
    Column("pb_xy", BigInteger, nullable=False),
    Column("pb_yy", BigInteger, nullable=False),  # < 1e12 per learner: room for 9M learners
    PrimaryKeyConstraint("tenant_id", "activity_id"),
    info={"tenant_rollup": True},
)

# Data quality: ingest outcomes per period (0011).
# Records of what ingest saw, added to per batch: NOT read models (duplicates and rejected
# events are not in the log, so `stride rebuild` could not recompute them). No learner key.
# Events per received UTC day and outcome; rows with a `path` count invalid events' errors.
ingest_outcomes = Table(
    "ingest_outcomes",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("day", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(16), nullable=False),  # "" unless rejected
    Column("path", String(100), nullable=False),  # "" on event counts
    Column("message", String(200), nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "day", "status", "reason", "path", "message"),
    sqlite_with_rowid=False,  # reads scan the key in order, with the counts in it
)

# Accepted events' timing: series "volume" per event hour (bucket 0); "delay" (log-spaced
# buckets of received_at - event time) and "band" (lateness bands) per received UTC day.
ingest_timing = Table(
    "ingest_timing",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("series", String(16), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("bucket", Integer, nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "series", "at", "bucket"),
    sqlite_with_rowid=False,  # reads scan the key in order, with the counts in it
)

# At-risk: fitted dropout-risk models (0012).

# The tenant's latest `stride fit risk`: a logistic model as JSON numbers (never a pickle), its
# held-out figures, and whether it met the AUC floor ("accepted") or not ("rejected").
risk_models = Table(
    "risk_models",
    metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("fitted_at", Instant(), nullable=False),
    Column("auc", Float, nullable=False),
    Column("brier", Float, nullable=False),
    Column("floor", Float, nullable=False),
    Column("examples", Integer, nullable=False),
    Column("learners", Integer, nullable=False),
    Column("positives", Integer, nullable=False),
    Column("model", Json, nullable=False),
    Column("evaluation", Json, nullable=False),
)

# xAPI Learning Record Store: statements (0013).

# One row per stored statement. `seq` is the store's order (the `more` paging cursor);
# `statement` is the JSON as stored, encrypted with a key derived from the tenant's secret
# (stride.xapi.sealing), so it is unreadable without the master key and removed by erasure
# with the learner (`learner_key`, the actor's pseudonym). Verbs and activities are indexed by
# a hash of their IRI. Not a read model: the statements are the record, not derived from it.
xapi_statements = Table(
    "xapi_statements",
    metadata,
    Column("seq", Sequence, primary_key=True, autoincrement=True),
    Column("tenant_id", String(36), nullable=False),
    Column("statement_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=True),
    Column("verb_key", String(32), nullable=False),
    Column("activity_key", String(32), nullable=True),
    Column("registration", String(36), nullable=True),
    Column("voids", String(36), nullable=True),  # a voiding statement's target
    # The statement a StatementRef object names (voiding statements included): queries match
    # a statement when the one it targets matches (store/xapi.py, query_statements).
    Column("refers_to", String(36), nullable=True),
    Column("voided", Boolean, nullable=False),
    Column("stored", Instant(), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("statement", Text, nullable=False),
    UniqueConstraint("tenant_id", "statement_id"),
    Index("ix_xapi_statements_learner", "tenant_id", "learner_key", "seq"),
    Index("ix_xapi_statements_verb", "tenant_id", "verb_key", "seq"),
    Index("ix_xapi_statements_activity", "tenant_id", "activity_key", "seq"),
    Index("ix_xapi_statements_registration", "tenant_id", "registration", "seq"),
    Index("ix_xapi_statements_stored", "tenant_id", "stored"),
    Index("ix_xapi_statements_voids", "tenant_id", "voids"),
    Index("ix_xapi_statements_tenant_seq", "tenant_id", "seq"),  # unfiltered pages
    Index(
        "ix_xapi_statements_refers",
        "tenant_id",
        "seq",
        sqlite_where=text("refers_to IS NOT NULL"),
        postgresql_where=text("refers_to IS NOT NULL"),
    ),
)

# Where each tenant's analytics projection stands in the log (analytics/projection_job.py):
# the engagement and usage rollups hold every event up to `seq`. On SQLite `revision` counts
# the deletions of the tenant's engagement and usage rows (triggers, migrations 0028, 0029).
analytics_cursors = Table(
    "analytics_cursors",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("revision", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("tenant_id"),
)

# Read models that `stride rebuild` recomputes, per capability (each adds its own tuple).
CORE_READ_MODELS: tuple[Table, ...] = (
    learner_stats,
    learner_activities,
    learner_days,
    learner_skills,
    learner_enrollments,
)
ACHIEVEMENT_READ_MODELS: tuple[Table, ...] = (
    learner_points,
    learner_achievements,
    learner_counters,
)
GOAL_READ_MODELS: tuple[Table, ...] = (learner_goals, learner_streak_freezes)
LEARNING_ANALYTICS_READ_MODELS: tuple[Table, ...] = (
    learner_item_attempts,
    learner_modules,
    learner_meetings,
    content_stats,
    content_buckets,
    item_stats,
)
READ_MODELS: tuple[Table, ...] = CORE_READ_MODELS + ACHIEVEMENT_READ_MODELS + GOAL_READ_MODELS
ENGAGEMENT_READ_MODELS: tuple[Table, ...] = (
    engagement_learner_periods,
    engagement_learner_spans,
    engagement_counts,
    engagement_rolling,
    retention_counts,
)
READ_MODELS += ENGAGEMENT_READ_MODELS
READ_MODELS += LEARNING_ANALYTICS_READ_MODELS
USAGE_ANALYTICS_READ_MODELS: tuple[Table, ...] = (
    usage_type_days,
    usage_learner_marks,
    usage_uniques,
    usage_first_use,
    metric_days,
    metric_buckets,
    funnel_steps,
)
READ_MODELS += USAGE_ANALYTICS_READ_MODELS

# xAPI Learning Record Store: State, Activity Profile and Agent Profile documents (0015).

# One row per document. `doc_key` is a SHA-256 of the document's full address (kind, activity,
# agent, registration, id), so an address of any length is one fixed-size key. The activity
# is kept as a hash of its IRI, the agent as its learner pseudonym (`learner_key`, NULL for
# activity profiles), so erasure removes a learner's state and agent profiles. `content` is the
# document as sent, encrypted with a key derived from the tenant's secret (like statements).
xapi_documents = Table(
    "xapi_documents",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("doc_key", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("activity_key", String(32), nullable=True),
    Column("learner_key", String(64), nullable=True),
    Column("registration", String(36), nullable=True),
    Column("document_id", Text, nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("updated", Instant(), nullable=False),
    Column("content", Text, nullable=False),
    PrimaryKeyConstraint("tenant_id", "doc_key"),
    Index("ix_xapi_documents_learner", "tenant_id", "learner_key", "activity_key"),
    Index("ix_xapi_documents_activity", "tenant_id", "activity_key", "kind"),
)

# Custom reports and their scheduled runs (0016).

# A tenant's saved report: what it shows (`definition`: period, metrics, breakdown, filters),
# when it runs (`cron`, UTC; null: on demand only) and where it goes (`delivery`: webhook URL
# or directory; null: stored only). A webhook delivery's signing secret is sealed apart.
report_definitions = Table(
    "report_definitions",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("id", String(36), nullable=False),
    Column("name", String(200), nullable=False),
    Column("definition", Json, nullable=False),
    Column("cron", String(200), nullable=True),
    Column("delivery", Json, nullable=True),
    Column("secret", Sealed(), nullable=True),
    Column("format", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", Instant(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
)

# One run of a report. The unique key claims a scheduled time exactly once, however many
# server processes tick; `status` is pending (rendering, or a delivery to retry at
# `next_attempt_at`), succeeded or failed. `output` is the rendered report.
report_runs = Table(
    "report_runs",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("id", String(36), nullable=False),
    Column("report_id", String(36), nullable=False),
    Column("trigger", String(16), nullable=False),  # schedule or manual
    Column("scheduled_for", Instant(), nullable=False),
    Column("started_at", Instant(), nullable=False),
    Column("finished_at", Instant(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Instant(), nullable=True),
    Column("error", String(500), nullable=True),
    Column("output", LargeBinary, nullable=True),
    Column("output_path", String(1024), nullable=True),
    Column("content_type", String(100), nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "report_id", "scheduled_for"),
    Index("ix_report_runs_report", "tenant_id", "report_id", "scheduled_for"),
    # Across tenants: the runner's scan for deliveries to retry.
    Index("ix_report_runs_due", "status", "next_attempt_at"),
)

# xAPI statement attachments (0017).

# The content of an attachment sent with a statement (multipart/mixed), one row per statement
# and SHA-2 digest, so a statement's attachments go with it: `learner_key` is the statement's
# actor, and erasing that learner removes them. `content` is encrypted with a key derived from
# the tenant's secret (stride.xapi.attachments); a file sent with two statements is kept twice.
xapi_attachments = Table(
    "xapi_attachments",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("statement_id", String(36), nullable=False),
    Column("sha2", String(128), nullable=False),
    Column("learner_key", String(64), nullable=True),
    Column("content_type", String(255), nullable=False),
    Column("content", Text, nullable=False),
    PrimaryKeyConstraint("tenant_id", "statement_id", "sha2"),
    Index("ix_xapi_attachments_learner", "tenant_id", "learner_key"),
)

# What GET /xapi/statements finds a statement by besides its own columns (0021): one row per
# stored statement (`seq`) and related activity or agent, keyed for an index range scan on
# (tenant_id, key, seq) in the order of the statements. Activities by the key of their IRI
# (stride.xapi.identifiers.iri_key): the object, the context activities, and those of a
# SubStatement. Agents by their pseudonymous learner key: the actor and an Agent/Group object
# (`direct`: what the plain `agent` filter matches), the authority, instructor and team, those
# of a SubStatement, and the members of every group among them. A related agent's rows carry
# its `learner_key`, so erasing that learner removes them (and only them: the statements of
# other actors stay). A trigger (0021) deletes the rows of other agents and activities with
# their statement (matched by seq and statement id); the actor's own go with its erasure.
xapi_related_activities = Table(
    "xapi_related_activities",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("statement_id", String(36), nullable=False),
    Column("activity_key", String(32), nullable=False),
    PrimaryKeyConstraint("tenant_id", "seq", "activity_key"),
    Index("ix_xapi_related_activities_key", "tenant_id", "activity_key", "seq"),
)

xapi_related_agents = Table(
    "xapi_related_agents",
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("statement_id", String(36), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("direct", Boolean, nullable=False),
    PrimaryKeyConstraint("tenant_id", "seq", "learner_key"),
    Index("ix_xapi_related_agents_key", "tenant_id", "learner_key", "seq"),
    Index("ix_xapi_related_agents_direct", "tenant_id", "learner_key", "direct", "seq"),
)
