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
    "consent:read": frozenset({Role.INSTRUCTOR, Role.ADMIN, Role.LEARNER}),
    "consent:write": frozenset({Role.ADMIN}),
    "catalog:read": frozenset(Role),
    "catalog:write": frozenset({Role.ADMIN}),
    "privacy:read": frozenset({Role.ADMIN}),
    "privacy:write": frozenset({Role.ADMIN}),
    "audit:read": frozenset({Role.ADMIN}),
}

# Roles an API key may be issued with (learner tokens are issued per learner instead).
KEY_ROLES = (Role.INGEST, Role.ANALYST, Role.INSTRUCTOR, Role.ADMIN)
