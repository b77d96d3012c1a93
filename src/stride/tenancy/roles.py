"""Roles an API key can hold, and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INGEST = "ingest"
    ANALYST = "analyst"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"
    # Not a key's role: a learner's self-service token (tenancy/tokens.py), bound to one learner.
    LEARNER = "learner"


STAFF = frozenset({Role.INSTRUCTOR, Role.ADMIN})


# Who may do what; the API checks these by name so the table is the single source of truth.
# Analysts see aggregates only, never one learner's rows; a learner token reads its own.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "events:write": frozenset({Role.INGEST, Role.ADMIN}),
    "learners:read": frozenset({Role.INSTRUCTOR, Role.ADMIN, Role.LEARNER}),
    "learners:write": frozenset({Role.INGEST, Role.INSTRUCTOR, Role.ADMIN}),
    "learners:tokens": frozenset({Role.INSTRUCTOR, Role.ADMIN}),
    "learners:export": frozenset({Role.ADMIN, Role.LEARNER}),
    "learners:erase": frozenset({Role.ADMIN}),
    "learners:link": frozenset({Role.INSTRUCTOR, Role.ADMIN}),
    "consent:read": frozenset({Role.INSTRUCTOR, Role.ADMIN, Role.LEARNER}),
    "consent:write": frozenset({Role.ADMIN}),
    "catalog:read": frozenset(Role),
    "catalog:write": frozenset({Role.ADMIN}),
    "privacy:read": frozenset({Role.ADMIN}),
    "privacy:write": frozenset({Role.ADMIN}),
    "audit:read": frozenset({Role.ADMIN}),
    # A learner token reads its own certifications and credentials only.
    "certificates:read": frozenset({Role.INSTRUCTOR, Role.ADMIN, Role.LEARNER}),
    "certificates:issue": frozenset({Role.INSTRUCTOR, Role.ADMIN}),
    "certificates:revoke": frozenset({Role.ADMIN}),
    "certificates:keys": frozenset({Role.ADMIN}),
    "webhooks:read": frozenset({Role.ADMIN}),
    "webhooks:write": frozenset({Role.ADMIN}),
    # Aggregate boards (analysts too); one learner's own rank only for staff or that learner.
    "leaderboards:read": frozenset({Role.ANALYST, Role.INSTRUCTOR, Role.ADMIN, Role.LEARNER}),
    # Goals are set by the platform or by the learner through a self-service token.
    "goals:write": frozenset({Role.INGEST, Role.INSTRUCTOR, Role.ADMIN, Role.LEARNER}),
    # Marking an award celebrated: the UI, as staff or as the learner's own token.
    "achievements:write": frozenset({Role.INSTRUCTOR, Role.ADMIN, Role.LEARNER}),
    # Tenant aggregates (small groups withheld); lists of named learners are for staff only.
    "analytics:read": frozenset({Role.ANALYST, Role.INSTRUCTOR, Role.ADMIN}),
    "analytics:learners": frozenset({Role.INSTRUCTOR, Role.ADMIN}),
    "analytics:fit": frozenset({Role.ADMIN}),
    # xAPI statements as sent (actor identifiers included): one learner's rows, so staff only.
    "xapi:read": frozenset({Role.INSTRUCTOR, Role.ADMIN}),
    # Bulk exports of the log and read models: one row per learner (by pseudonymous key), so
    # staff only, like analytics:learners; every one audited.
    "exports:read": frozenset({Role.INSTRUCTOR, Role.ADMIN}),
    # Saved custom reports: their deliveries reach outside Stride, so admins only write them.
    "reports:write": frozenset({Role.ADMIN}),
}

# Roles an API key may be issued with (learner tokens are issued per learner instead).
KEY_ROLES = (Role.INGEST, Role.ANALYST, Role.INSTRUCTOR, Role.ADMIN)
