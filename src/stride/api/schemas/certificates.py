"""Schemas of the certificate API: eligibility, credentials, revocation and verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stride.certificates.eligibility import Eligibility
from stride.certificates.service import CredentialView
from stride.certificates.verification import Verification, VerificationResult


class RequirementPublic(BaseModel):
    requirement: str = Field(
        description="e.g. `module:<id>.completion`, `mastery:<skill>`, `hours`"
    )
    required: float
    actual: float | None = Field(description="None when there is nothing to measure yet")
    met: bool


class EligibilityPublic(BaseModel):
    program_id: str
    eligible: bool
    requirements: list[RequirementPublic]
    missing: list[RequirementPublic]

    @classmethod
    def of(cls, found: Eligibility) -> EligibilityPublic:
        def public(checks: tuple[Any, ...]) -> list[RequirementPublic]:
            return [RequirementPublic(**c.__dict__) for c in checks]

        return cls(
            program_id=found.program_id,
            eligible=found.eligible,
            requirements=public(found.requirements),
            missing=public(found.missing),
        )


class CredentialPublic(BaseModel):
    credential_id: str
    program_id: str
    issued_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    verification_code: str
    jwt: str = Field(description="The signed VC-JWT (EdDSA); hand this to the learner")
    credential: dict[str, Any] = Field(description="The OpenBadgeCredential the JWT carries")

    @classmethod
    def of(cls, view: CredentialView) -> CredentialPublic:
        row = view.row
        return cls(
            credential_id=row.credential_id,
            program_id=row.program_id,
            issued_at=row.issued_at,
            valid_until=row.valid_until,
            revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason,
            verification_code=row.verification_code,
            jwt=row.jwt,
            credential=view.credential,
        )


class RevocationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class VerificationRequest(BaseModel):
    """Exactly one of `jwt` and `code`."""

    model_config = ConfigDict(extra="forbid")

    jwt: str | None = Field(default=None, min_length=1, max_length=32_768)
    code: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.jwt is None) == (self.code is None):
            raise ValueError("send exactly one of `jwt` and `code`")
        return self


class VerificationPublic(BaseModel):
    result: VerificationResult
    reason: str
    credential: dict[str, Any] | None = Field(
        description="The decoded credential when there is one (also when it does not verify)"
    )

    @classmethod
    def of(cls, found: Verification) -> VerificationPublic:
        return cls(result=found.result, reason=found.reason, credential=found.credential)


class KeyRotationPublic(BaseModel):
    kid: str = Field(description="The key that signs new credentials from now on")
    retired: list[str] = Field(
        description="Keys it replaces; still published, so what they signed still verifies"
    )


class JwksPublic(BaseModel):
    keys: list[dict[str, Any]]
