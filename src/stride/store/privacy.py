"""Repository for tenant privacy policies, learner consents and PII finding counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from stride.store.tables import consent_history, learner_consents, pii_findings, tenant_policies
from stride.store.upsert import upsert_rows


def load_policy_document(connection: Connection, tenant_id: str) -> dict[str, Any] | None:
    row = connection.execute(
        select(tenant_policies.c.document).where(tenant_policies.c.tenant_id == tenant_id)
    ).first()
    return dict(row.document) if row else None


def save_policy_document(
    connection: Connection, tenant_id: str, document: dict[str, Any], now: datetime
) -> None:
    upsert_rows(
        connection,
        tenant_policies,
        [{"tenant_id": tenant_id, "document": document, "updated_at": now}],
    )


@dataclass(frozen=True)
class ConsentRow:
    purpose: str
    granted: bool
    changed_at: datetime


@dataclass(frozen=True)
class ConsentChange:
    purpose: str
    granted: bool
    changed_at: datetime
    changed_by: str


def consents_of(connection: Connection, tenant_id: str, learner_key: str) -> list[ConsentRow]:
    rows = connection.execute(
        select(
            learner_consents.c.purpose, learner_consents.c.granted, learner_consents.c.changed_at
        )
        .where(
            learner_consents.c.tenant_id == tenant_id,
            learner_consents.c.learner_key == learner_key,
        )
        .order_by(learner_consents.c.purpose)
    )
    return [ConsentRow(r.purpose, r.granted, r.changed_at) for r in rows]


def consent_answers(
    connection: Connection, tenant_id: str, learner_keys: Iterable[str], purpose: str
) -> dict[str, bool]:
    """The learners' recorded answers for one purpose (learners without one are absent)."""
    keys = sorted(set(learner_keys))
    if not keys:
        return {}
    rows = connection.execute(
        select(learner_consents.c.learner_key, learner_consents.c.granted).where(
            learner_consents.c.tenant_id == tenant_id,
            learner_consents.c.purpose == purpose,
            learner_consents.c.learner_key.in_(keys),
        )
    )
    return {r.learner_key: r.granted for r in rows}


def record_consents(
    connection: Connection, tenant_id: str, learner_key: str, changes: list[ConsentChange]
) -> None:
    if not changes:
        return
    upsert_rows(
        connection,
        learner_consents,
        [
            {
                "tenant_id": tenant_id,
                "learner_key": learner_key,
                "purpose": c.purpose,
                "granted": c.granted,
                "changed_at": c.changed_at,
            }
            for c in changes
        ],
    )
    connection.execute(
        consent_history.insert(),
        [{"tenant_id": tenant_id, "learner_key": learner_key, **c.__dict__} for c in changes],
    )


def consent_history_of(
    connection: Connection, tenant_id: str, learner_key: str
) -> list[ConsentChange]:
    rows = connection.execute(
        select(consent_history)
        .where(
            consent_history.c.tenant_id == tenant_id,
            consent_history.c.learner_key == learner_key,
        )
        .order_by(consent_history.c.seq)
    )
    return [ConsentChange(r.purpose, r.granted, r.changed_at, r.changed_by) for r in rows]


def add_pii_findings(
    connection: Connection, tenant_id: str, day: date, counts: Mapping[tuple[str, str], int]
) -> None:
    """Add (kind, action) -> count to the day's figures."""
    if not counts:
        return
    table = pii_findings
    # `count` is also a method of Row, hence the label.
    existing = {
        (r.kind, r.action): r.n
        for r in connection.execute(
            select(table.c.kind, table.c.action, table.c.count.label("n")).where(
                table.c.tenant_id == tenant_id, table.c.day == day
            )
        )
    }
    upsert_rows(
        connection,
        table,
        [
            {
                "tenant_id": tenant_id,
                "day": day,
                "kind": kind,
                "action": action,
                "count": existing.get((kind, action), 0) + n,
            }
            for (kind, action), n in sorted(counts.items())
        ],
    )


@dataclass(frozen=True)
class PiiDay:
    day: date
    kind: str
    action: str
    count: int


def pii_findings_of(
    connection: Connection, tenant_id: str, since: date | None = None
) -> list[PiiDay]:
    table = pii_findings
    query = select(table.c.day, table.c.kind, table.c.action, table.c.count.label("n")).where(
        table.c.tenant_id == tenant_id
    )
    if since is not None:
        query = query.where(pii_findings.c.day >= since)
    rows = connection.execute(
        query.order_by(pii_findings.c.day, pii_findings.c.kind, pii_findings.c.action)
    )
    return [PiiDay(r.day, r.kind, r.action, r.n) for r in rows]
