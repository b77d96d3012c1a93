"""Certification checks, issuance and reads: load the learner, call the pure parts, store."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from stride.catalog import Catalog
from stride.certificates import codes
from stride.certificates.credential import Issuer, build_credential, jwt_claims
from stride.certificates.eligibility import Eligibility, check_eligibility
from stride.certificates.events import append_certificate_event
from stride.certificates.keys import Rotation, issuing_key, rotate_issuing_key
from stride.certificates.requirements import Certification, certification_for
from stride.certificates.revocation import allocate_slot, lock_certificates, revoke
from stride.certificates.signing import decode, sign
from stride.errors import Conflict, FieldError, NotFound
from stride.ingest.mastery_projector import mastery_rules
from stride.learners.history import learner_activities_of
from stride.learners.profile_lookup import learner_profile
from stride.progress.completion import completion_tree
from stride.realtime.wakeup import log_appended
from stride.store import credentials as repo
from stride.store.catalogs import load_catalog
from stride.store.mastery import learner_skills_of
from stride.store.tenants import get_tenant
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal


@dataclass(frozen=True)
class CredentialView:
    """A stored credential with its decoded OpenBadgeCredential."""

    row: repo.CredentialRow
    credential: dict[str, Any]
    created: bool = False  # issued by this call, rather than an earlier valid one returned


def _view(row: repo.CredentialRow, created: bool = False) -> CredentialView:
    return CredentialView(row, decode(row.jwt).claims["vc"], created)


def _certification(
    connection: Connection, tenant_id: str, program_id: str
) -> tuple[Catalog, Certification]:
    stored = load_catalog(connection, tenant_id)
    found = certification_for(stored.catalog, program_id) if stored is not None else None
    if stored is None or found is None:
        raise NotFound(f"The catalog certifies no program {program_id!r} (`certifications`).")
    return stored.catalog, found


def get_eligibility(
    connection: Connection, tenant_id: str, learner_key: str, program_id: str, now: datetime
) -> Eligibility:
    """Whether the learner meets the program's certification, requirement by requirement.

    Raises NotFound for an unknown learner or a program without a certification.
    """
    learner_profile(connection, tenant_id, learner_key)
    catalog, certification = _certification(connection, tenant_id, program_id)
    activities = learner_activities_of(connection, tenant_id, learner_key)
    tree = completion_tree(catalog, program_id, activities, now=now)
    model = mastery_rules(connection, tenant_id).model
    skills = learner_skills_of(connection, tenant_id, learner_key)
    return check_eligibility(certification, tree, {m.skill_id: m.value(model) for m in skills})


def _current(rows: list[repo.CredentialRow], now: datetime) -> repo.CredentialRow | None:
    """The newest credential neither revoked nor expired."""
    valid = [
        r for r in rows if r.revoked_at is None and (r.valid_until is None or r.valid_until > now)
    ]
    return valid[-1] if valid else None


def issue_certificate(
    engine: Engine,
    principal: Principal,
    learner_key: str,
    program_id: str,
    base_url: str,
    now: datetime,
) -> CredentialView:
    """Issue the program's certificate to the learner, or return the one still valid.

    A learner holding a valid (unrevoked, unexpired) credential for the program gets that one
    back (`created` False) without a new check. Raises NotFound as `get_eligibility` does, and
    Conflict, naming each unmet requirement, when the learner is not eligible.
    """
    tenant_id = principal.tenant_id
    with write_transaction(engine) as connection:
        lock_certificates(connection, tenant_id)
        existing = _current(
            repo.learner_credentials(connection, tenant_id, learner_key, program_id), now
        )
        if existing is not None:
            return _view(existing)
        eligibility = get_eligibility(connection, tenant_id, learner_key, program_id, now)
        if not eligibility.eligible:
            raise Conflict(
                "The learner does not meet this certification's requirements yet.",
                [
                    FieldError(c.requirement, f"requires {c.required:g}, has {_shown(c.actual)}")
                    for c in eligibility.missing
                ],
            )
        row = _issue(connection, tenant_id, learner_key, program_id, base_url, now)
        append_certificate_event(
            connection,
            tenant_id=tenant_id,
            learner_key=learner_key,
            event_type="certificate.issued",
            credential_id=row.credential_id,
            program_id=program_id,
            at=now,
        )
        audit(
            connection,
            principal,
            "certificate.issue",
            f"credentials/{row.credential_id}",
            now=now,
            learner_key=learner_key,
            detail={"program": program_id},
        )
    log_appended(engine, tenant_id)  # committed: live streams may show it at once
    return _view(row, created=True)


def _shown(value: float | None) -> str:
    return "nothing yet" if value is None else f"{value:.4g}"


def _issue(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    program_id: str,
    base_url: str,
    now: datetime,
) -> repo.CredentialRow:
    tenant = get_tenant(connection, tenant_id)
    assert tenant is not None
    _, certification = _certification(connection, tenant_id, program_id)
    issued_at = now.replace(microsecond=0)  # what the credential's validFrom can say
    valid_until = (
        issued_at + timedelta(days=certification.valid_for_days)
        if certification.valid_for_days is not None
        else None
    )
    credential_id = str(uuid.uuid4())
    credential = build_credential(
        credential_id=credential_id,
        issuer=Issuer(tenant_id, tenant.name, base_url.rstrip("/")),
        certification=certification,
        learner_key=learner_key,
        salt=secrets.token_hex(16),
        valid_from=issued_at,
        valid_until=valid_until,
        slot=(slot := allocate_slot(connection, tenant_id, now)),
    )
    token = sign(jwt_claims(credential, issued_at), issuing_key(connection, tenant_id, now))
    row = repo.CredentialRow(
        tenant_id,
        credential_id,
        learner_key,
        program_id,
        issued_at,
        valid_until,
        token,
        _fresh_code(connection),
        slot.list_id,
        slot.index,
        None,
        None,
    )
    repo.insert_credential(connection, row)
    return row


def _fresh_code(connection: Connection) -> str:
    # 45 random bits: a collision is rare enough that retrying a few times always ends.
    for _ in range(8):
        code = codes.new_code()
        if not repo.code_taken(connection, code):
            return code
    raise Conflict("Could not draw an unused verification code; try again.")


def get_credential(
    connection: Connection, principal: Principal, credential_id: str
) -> CredentialView:
    """One credential of the caller's tenant; a learner token reads only its learner's.

    Raises NotFound (also for another learner's credential, so ids cannot be probed).
    """
    row = repo.get_credential(connection, principal.tenant_id, credential_id)
    if row is None or (
        principal.learner_key is not None and row.learner_key != principal.learner_key
    ):
        raise NotFound(f"This tenant has no credential {credential_id!r}.")
    return _view(row)


def revoke_credential(
    engine: Engine, principal: Principal, credential_id: str, reason: str, now: datetime
) -> CredentialView:
    """Revoke a credential through its status list and audit it; revoking again is a no-op."""
    with write_transaction(engine) as connection:
        row, changed = revoke(connection, principal.tenant_id, credential_id, reason, now)
        if changed:
            audit(
                connection,
                principal,
                "certificate.revoke",
                f"credentials/{credential_id}",
                now=now,
                learner_key=row.learner_key,
                detail={"reason": reason},
            )
    if changed:
        log_appended(engine, principal.tenant_id)  # committed: live streams may show it
    return _view(row)


def rotate_signing_key(engine: Engine, principal: Principal, now: datetime) -> Rotation:
    """Replace the tenant's issuing key and audit it. Credentials signed before keep verifying
    (the retired key stays in the JWKS); to withdraw them too, revoke them."""
    with write_transaction(engine) as connection:
        rotation = rotate_issuing_key(connection, principal.tenant_id, now)
        detail = {"kid": rotation.kid, "retired": rotation.retired}
        audit(connection, principal, "signing_key.rotate", "keys", now=now, detail=detail)
    return rotation


def list_credentials(connection: Connection, tenant_id: str) -> list[repo.CredentialRow]:
    return repo.tenant_credentials(connection, tenant_id)
