"""A learner's consent per purpose, and self-service tokens for the learner."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, status
from pydantic import BaseModel, Field

from stride.api.deps import EngineDep, audited_learner_read, learner_key_for, require
from stride.clock import utc_now
from stride.errors import NotFound
from stride.privacy import consent as consent_service
from stride.store.tenants import get_tenant
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal
from stride.tenancy.tokens import DEFAULT_TTL, MAX_TTL, issue_learner_token

router = APIRouter(prefix="/v1/learners", tags=["privacy"])

LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]


class PurposeConsentPublic(BaseModel):
    purpose: str
    granted: bool
    source: str = Field(description='"learner" (their own answer) or "policy" (the default)')
    changed_at: datetime | None


class ConsentChangePublic(BaseModel):
    purpose: str
    granted: bool
    changed_at: datetime
    changed_by: str


class ConsentPublic(BaseModel):
    purposes: list[PurposeConsentPublic]
    history: list[ConsentChangePublic]


def _public(view: consent_service.ConsentView) -> ConsentPublic:
    return ConsentPublic(
        purposes=[PurposeConsentPublic(**p.__dict__) for p in view.purposes],
        history=[ConsentChangePublic(**c.__dict__) for c in view.history],
    )


@router.get("/{learner_id}/consent", response_model=ConsentPublic)
def get_consent(
    learner_id: LearnerId,
    principal: Annotated[Principal, Depends(audited_learner_read("consent:read"))],
    engine: EngineDep,
) -> ConsentPublic:
    """Consent per purpose (the learner's answer, or the tenant's default) and its history."""
    key = learner_key_for(principal, learner_id)
    with engine.connect() as connection:
        return _public(consent_service.get_consent(connection, principal.tenant_id, key))


_CONSENT_EXAMPLE = {"analytics": True, "personalization": False, "research": False}


@router.put("/{learner_id}/consent", response_model=ConsentPublic)
def put_consent(
    learner_id: LearnerId,
    principal: Annotated[Principal, Depends(require("consent:write"))],
    engine: EngineDep,
    changes: Annotated[
        dict[str, Any],
        Body(
            description="Purposes to true (consents) or false (withdraws); any subset of "
            "analytics, personalization, leaderboard, research.",
            examples=[_CONSENT_EXAMPLE],
        ),
    ],
) -> ConsentPublic:
    """Record the learner's answers; they apply to the next request at once."""
    parsed = consent_service.parse_consent_changes(changes)
    key = learner_key_for(principal, learner_id)
    with write_transaction(engine) as connection:
        view = consent_service.set_consent(connection, principal, key, parsed, utc_now())
    return _public(view)


class TokenRequest(BaseModel):
    ttl_seconds: int = Field(
        default=int(DEFAULT_TTL.total_seconds()), ge=1, le=int(MAX_TTL.total_seconds())
    )


class TokenPublic(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime
    scope: str = Field(description="What the token may do: read this learner's own data")


@router.post(
    "/{learner_id}/tokens", response_model=TokenPublic, status_code=status.HTTP_201_CREATED
)
def post_token(
    learner_id: LearnerId,
    principal: Annotated[Principal, Depends(require("learners:tokens"))],
    engine: EngineDep,
    body: TokenRequest | None = None,
) -> TokenPublic:
    """A short-lived signed token that reads only this learner's own data (self-service)."""
    ttl = timedelta(seconds=(body or TokenRequest()).ttl_seconds)
    key = learner_key_for(principal, learner_id)
    now = utc_now()
    with write_transaction(engine) as connection:
        tenant = get_tenant(connection, principal.tenant_id)
        if tenant is None:  # deleted under the caller's feet
            raise NotFound("This tenant no longer exists.")
        issued = issue_learner_token(tenant.id, tenant.signing_key, key, now, ttl)
        audit(
            connection,
            principal,
            "token.issue",
            "learner/token",
            now=now,
            learner_key=key,
            detail={"expires_at": issued.expires_at.isoformat()},
        )
    return TokenPublic(token=issued.token, expires_at=issued.expires_at, scope="learner:read-own")
