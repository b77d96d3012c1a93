"""Certificates: eligibility, issuance, reads and revocation, and the public verification side
(verify, issuer keys, status lists), which needs no API key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status

from stride.api.deps import EngineDep, SettingsDep, audited_learner_read, learner_key_for, require
from stride.api.schemas.certificates import (
    CredentialPublic,
    EligibilityPublic,
    JwksPublic,
    KeyRotationPublic,
    RevocationRequest,
    VerificationPublic,
    VerificationRequest,
)
from stride.certificates import service
from stride.certificates.credential import Issuer
from stride.certificates.keys import public_jwks
from stride.certificates.revocation import status_list_jwt
from stride.certificates.verification import verify_code, verify_token
from stride.clock import utc_now
from stride.config import Settings
from stride.errors import NotFound
from stride.store.tenants import get_tenant
from stride.tenancy.audit import ReadAuditBuffer
from stride.tenancy.roles import STAFF
from stride.tenancy.service import Principal

router = APIRouter(tags=["certificates"])

Reader = Annotated[Principal, Depends(audited_learner_read("certificates:read"))]
CredentialReader = Annotated[Principal, Depends(require("certificates:read"))]
Certifier = Annotated[Principal, Depends(require("certificates:issue"))]
Revoker = Annotated[Principal, Depends(require("certificates:revoke"))]
KeyKeeper = Annotated[Principal, Depends(require("certificates:keys"))]
LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]
ProgramId = Annotated[str, Path(min_length=1, max_length=256, description="A program id")]
CredentialId = Annotated[str, Path(min_length=1, max_length=36)]
TenantId = Annotated[str, Path(min_length=1, max_length=36)]
_JWT_MEDIA = "application/vc+jwt"
_ISSUE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": CredentialPublic, "description": "A valid credential already existed"},
    409: {"description": "Not eligible: `errors` lists each unmet requirement"},
}


def _base_url(request: Request, settings: Settings) -> str:
    return (settings.PUBLIC_URL or str(request.base_url)).rstrip("/")


@router.get("/v1/learners/{learner_id}/certifications/{program_id:path}")
def get_certification(
    learner_id: LearnerId, program_id: ProgramId, principal: Reader, engine: EngineDep
) -> EligibilityPublic:
    """Whether the learner may be certified in the program, and what is still missing."""
    key = learner_key_for(principal, learner_id)
    with engine.connect() as connection:
        found = service.get_eligibility(connection, principal.tenant_id, key, program_id, utc_now())
    return EligibilityPublic.of(found)


@router.post(
    "/v1/learners/{learner_id}/certifications/{program_id:path}",
    status_code=status.HTTP_201_CREATED,
    responses=_ISSUE_RESPONSES,
)
def issue_certification(
    learner_id: LearnerId,
    program_id: ProgramId,
    principal: Certifier,
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> CredentialPublic:
    """Issue the program's Open Badges 3.0 credential (a VC-JWT) to an eligible learner.

    A learner who still holds a valid one gets it back with 200 instead of a second one."""
    key = learner_key_for(principal, learner_id)
    base = _base_url(request, settings)
    view = service.issue_certificate(engine, principal, key, program_id, base, utc_now())
    if not view.created:
        response.status_code = status.HTTP_200_OK
    return CredentialPublic.of(view)


@router.get("/v1/credentials/{credential_id}")
def get_credential(
    credential_id: CredentialId, principal: CredentialReader, engine: EngineDep, request: Request
) -> CredentialPublic:
    """One credential of this tenant (a learner token: only its own learner's)."""
    with engine.connect() as connection:
        view = service.get_credential(connection, principal, credential_id)
    if principal.role in STAFF:  # a staff read of one learner's data, as on learner routes
        buffer: ReadAuditBuffer = request.app.state.read_audit
        buffer.record(
            principal, "learner.read", "/v1/credentials/{credential_id}", view.row.learner_key
        )
    return CredentialPublic.of(view)


@router.post("/v1/credentials/{credential_id}/revoke")
def revoke_credential(
    credential_id: CredentialId, body: RevocationRequest, principal: Revoker, engine: EngineDep
) -> CredentialPublic:
    """Revoke through the tenant's status list; revoking again changes nothing."""
    view = service.revoke_credential(engine, principal, credential_id, body.reason, utc_now())
    return CredentialPublic.of(view)


@router.post("/v1/credentials/keys/rotate")
def rotate_signing_key(principal: KeyKeeper, engine: EngineDep) -> KeyRotationPublic:
    """Retire the tenant's issuing key and make a new one (admin; audited). Credentials signed
    before keep verifying: the retired key stays in the JWKS. To withdraw them, revoke them."""
    rotation = service.rotate_signing_key(engine, principal, utc_now())
    return KeyRotationPublic(kid=rotation.kid, retired=rotation.retired)


@router.post("/v1/credentials/verify")
def verify_credential(body: VerificationRequest, engine: EngineDep) -> VerificationPublic:
    """Public, no key: verify any credential by its VC-JWT or its verification code.

    A code shows the one credential it stands for and nothing else."""
    with engine.connect() as connection:
        if body.code is not None:
            return VerificationPublic.of(verify_code(connection, body.code, utc_now()))
        assert body.jwt is not None
        return VerificationPublic.of(verify_token(connection, body.jwt, utc_now()))


@router.get("/v1/tenants/{tenant_id}/keys")
def get_issuer_keys(tenant_id: TenantId, engine: EngineDep, response: Response) -> JwksPublic:
    """Public: the issuer's Ed25519 public keys as a JWKS (empty before its first credential)."""
    with engine.connect() as connection:
        if get_tenant(connection, tenant_id) is None:
            raise NotFound("No such issuer.")
        response.headers["Cache-Control"] = "public, max-age=300"
        return JwksPublic(**public_jwks(connection, tenant_id))


@router.get(
    "/v1/status-lists/{tenant_id}/{list_id}",
    response_class=Response,
    responses={200: {"content": {_JWT_MEDIA: {"schema": {"type": "string"}}}}},
)
def get_status_list(
    tenant_id: TenantId,
    list_id: Annotated[int, Path(ge=0, le=1_000_000)],
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
) -> Response:
    """Public: the BitstringStatusListCredential (revocation) as a VC-JWT signed by the issuer."""
    with engine.connect() as connection:
        tenant = get_tenant(connection, tenant_id)
        if tenant is None:
            raise NotFound("No such issuer.")
        issuer = Issuer(tenant_id, tenant.name, _base_url(request, settings))
        token = status_list_jwt(connection, issuer, list_id, utc_now())
    # Short: a revocation must reach verifiers soon.
    return Response(token, media_type=_JWT_MEDIA, headers={"Cache-Control": "public, max-age=60"})
