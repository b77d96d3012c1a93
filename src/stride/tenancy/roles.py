"""Roles an API key can hold, and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INGEST = "ingest"
    ANALYST = "analyst"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


# Who may do what; the API checks these by name so the table is the single source of truth.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "events:write": frozenset({Role.INGEST, Role.ADMIN}),
    "learners:read": frozenset({Role.ANALYST, Role.INSTRUCTOR, Role.ADMIN}),
    "learners:write": frozenset({Role.INGEST, Role.INSTRUCTOR, Role.ADMIN}),
    "catalog:read": frozenset(Role),
    "catalog:write": frozenset({Role.ADMIN}),
}
