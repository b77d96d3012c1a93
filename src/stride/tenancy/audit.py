"""Who did what to which learner, and when: the audit trail.

Changes (exports, erasures, consent, keys, catalog, policy) are written in the transaction
that makes them, so a change and its entry commit together. Reads of a learner's data by
staff are many and must not queue behind ingest for the SQLite write lock, so they go
through `ReadAuditBuffer`, which writes them in one transaction every half second.

The audit log never holds a learner key: `subject` is a one-way hash of it, so erasing a
learner removes everything that leads to them while the entries stay. Whoever holds the
raw id (and thus its learner key) can still find that learner's entries.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Engine

from stride.clock import utc_now
from stride.errors import NotFound
from stride.store.audit import AuditRow, append_audit
from stride.store.tenant_context import tenant_context
from stride.store.tenants import get_tenant
from stride.store.transactions import write_transaction
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal

log = structlog.get_logger()

# The actor recorded for operator commands run with the `stride` CLI (no API key).
CLI_PRINCIPAL_KEY_ID = "cli"


def operator_principal(connection: Connection, tenant_id: str) -> Principal:
    """The `stride` CLI acts as an admin of the tenant; the audit log records it as `cli`."""
    tenant = get_tenant(connection, tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant with id {tenant_id!r}; `stride tenants list` shows them.")
    return Principal(tenant.id, CLI_PRINCIPAL_KEY_ID, Role.ADMIN, tenant.learner_secret)


def audit_subject(learner_key: str) -> str:
    return hashlib.sha256(f"stride-audit:{learner_key}".encode()).hexdigest()[:32]


def audit_row(
    principal: Principal,
    action: str,
    resource: str,
    *,
    now: datetime,
    learner_key: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditRow:
    return AuditRow(
        tenant_id=principal.tenant_id,
        at=now,
        key_id=principal.key_id,
        role=principal.role.value,
        action=action,
        resource=resource,
        subject=audit_subject(learner_key) if learner_key is not None else None,
        detail=dict(detail) if detail is not None else None,
    )


def audit(
    connection: Connection,
    principal: Principal,
    action: str,
    resource: str,
    *,
    now: datetime,
    learner_key: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Record one entry in the caller's transaction."""
    append_audit(
        connection,
        [audit_row(principal, action, resource, now=now, learner_key=learner_key, detail=detail)],
    )


class ReadAuditBuffer:
    """Collects read entries and writes them in batches from a background thread."""

    def __init__(self, engine: Engine, interval_s: float = 0.5) -> None:
        self._engine = engine
        self._interval = interval_s
        self._pending: list[AuditRow] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(
        self, principal: Principal, action: str, resource: str, learner_key: str | None
    ) -> None:
        row = audit_row(principal, action, resource, now=utc_now(), learner_key=learner_key)
        with self._lock:
            self._pending.append(row)

    def flush(self) -> None:
        """Write what is pending now (also called before the audit log is read)."""
        with self._flushing:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return
            try:
                # Rows of several tenants, flushed from any request's thread: operator mode,
                # or Row-Level Security would refuse the other tenants' rows.
                with tenant_context(None), write_transaction(self._engine) as connection:
                    append_audit(connection, rows)
            except Exception:
                # Keep the entries for the next round rather than lose them.
                with self._lock:
                    self._pending[:0] = rows
                log.exception("audit flush failed; will retry", entries=len(rows))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stride-audit", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()
