"""The tenant's privacy policy, its PII figures, and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel

from stride.api.deps import EngineDep, learner_key_for, require
from stride.clock import utc_now
from stride.privacy.policy import PolicyDocument
from stride.privacy.policy_service import apply_policy, get_policy
from stride.store.audit import AuditFilter, query_audit
from stride.store.privacy import pii_findings_of
from stride.store.transactions import write_transaction
from stride.tenancy.audit import ReadAuditBuffer, audit_subject
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1", tags=["privacy"])


@router.get("/privacy/policy", response_model=PolicyDocument)
def get_privacy_policy(
    principal: Annotated[Principal, Depends(require("privacy:read"))], engine: EngineDep
) -> PolicyDocument:
    """Consent defaults per purpose, PII rules, raw-event retention, minimum group size."""
    with engine.connect() as connection:
        return get_policy(connection, principal.tenant_id).document


@router.put("/privacy/policy", response_model=PolicyDocument)
def put_privacy_policy(
    principal: Annotated[Principal, Depends(require("privacy:write"))],
    engine: EngineDep,
    document: Annotated[
        dict[str, Any],
        Body(
            description="The whole policy; omitted parts take their defaults.",
            examples=[PolicyDocument().model_dump(mode="json")],
        ),
    ],
) -> PolicyDocument:
    """Replace the policy (validated as a whole; nothing changes when any part is wrong)."""
    with write_transaction(engine) as connection:
        return apply_policy(connection, principal, document, utc_now()).document


class PiiDayPublic(BaseModel):
    day: date
    kind: str
    action: str
    count: int


class PiiFindingsPublic(BaseModel):
    totals: dict[str, int]  # "<kind>:<action>" -> findings
    days: list[PiiDayPublic]


@router.get("/privacy/pii-findings", response_model=PiiFindingsPublic)
def get_pii_findings(
    principal: Annotated[Principal, Depends(require("privacy:read"))],
    engine: EngineDep,
    since: Annotated[date | None, Query(description="First UTC day to include")] = None,
) -> PiiFindingsPublic:
    """Personal data found at ingest per day and kind, redacted or rejected."""
    with engine.connect() as connection:
        days = pii_findings_of(connection, principal.tenant_id, since)
    totals: dict[str, int] = {}
    for day in days:
        name = f"{day.kind}:{day.action}"
        totals[name] = totals.get(name, 0) + day.count
    return PiiFindingsPublic(totals=totals, days=[PiiDayPublic(**d.__dict__) for d in days])


class AuditEntryPublic(BaseModel):
    seq: int
    at: datetime
    key_id: str
    role: str
    action: str
    resource: str
    subject: str | None
    detail: dict[str, Any] | None


class AuditPagePublic(BaseModel):
    entries: list[AuditEntryPublic]
    next_after: int | None  # pass as `after` for the next page; None at the end


@router.get("/audit", response_model=AuditPagePublic)
def get_audit(
    request: Request,
    principal: Annotated[Principal, Depends(require("audit:read"))],
    engine: EngineDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    key_id: Annotated[str | None, Query(max_length=64)] = None,
    learner: Annotated[
        str | None, Query(max_length=256, description="The platform's learner id")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="With an offset, e.g. Z")] = None,
    until: Annotated[AwareDatetime | None, Query(description="With an offset, e.g. Z")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPagePublic:
    """Who did what, when, oldest first; filter by action, key, learner and time."""
    buffer: ReadAuditBuffer = request.app.state.read_audit
    buffer.flush()  # reads of the last half second are in the log before it is read
    subject = audit_subject(learner_key_for(principal, learner)) if learner else None
    where = AuditFilter(action, key_id, subject, since, until, after)
    with engine.connect() as connection:
        rows = query_audit(connection, principal.tenant_id, where, limit + 1)
    page = rows[:limit]
    entries = [
        AuditEntryPublic(**{k: v for k, v in row.__dict__.items() if k != "tenant_id"})
        for row in page
    ]
    more = len(rows) > limit
    return AuditPagePublic(entries=entries, next_after=page[-1].seq if more and page else None)
