"""Revocation through per-tenant Bitstring Status Lists: slots, revoking, the published list.

The bits live in `credential_status_lists`, which holds no learner key, so a bit set before a
learner's erasure stays set after their credential rows are gone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from stride.certificates import status_list
from stride.certificates.credential import Issuer, Slot, jwt_claims, utc_text
from stride.certificates.events import append_certificate_event
from stride.certificates.keys import signing_key_of
from stride.certificates.signing import sign
from stride.errors import NotFound
from stride.store import credentials as repo
from stride.store.locks import lock_learners

ERASED = "the learner's data was erased"
# Not a learner key (those are 64 hex digits): one lock per tenant for its lists and codes.
_CERTIFICATES_LOCK = "~certificates"


def lock_certificates(connection: Connection, tenant_id: str) -> None:
    """Serialize a tenant's issuances and revocations (PostgreSQL; SQLite's writer is alone)."""
    lock_learners(connection, tenant_id, [_CERTIFICATES_LOCK])


def allocate_slot(connection: Connection, tenant_id: str, now: datetime) -> Slot:
    """The next free entry of the tenant's newest list; a full list opens the next one.

    Entries are handed out in order and never reused, so an erased learner's set bit can never
    come to stand for someone else's credential.
    """
    last = repo.last_status_list(connection, tenant_id)
    if last is None or last.next_index >= status_list.LIST_SIZE:
        list_id = 0 if last is None else last.list_id + 1
        repo.insert_status_list(
            connection, repo.StatusListRow(tenant_id, list_id, status_list.empty_list(), 1, now)
        )
        return Slot(list_id, 0)
    repo.save_status_list(
        connection,
        repo.StatusListRow(tenant_id, last.list_id, last.bits, last.next_index + 1, now),
    )
    return Slot(last.list_id, last.next_index)


def set_revoked(
    connection: Connection, row: repo.CredentialRow, reason: str, now: datetime
) -> None:
    """Set the credential's bit and mark its row revoked (idempotent)."""
    found = repo.get_status_list(connection, row.tenant_id, row.list_id, for_update=True)
    # Written with the credential, so only a damaged database lacks it; an erasure must not
    # fail on that, and a credential without its list never verifies as valid anyway.
    if found is not None and row.status_index < status_list.LIST_SIZE:
        bits = status_list.set_bit(found.bits, row.status_index)
        repo.save_status_list(
            connection,
            repo.StatusListRow(found.tenant_id, found.list_id, bits, found.next_index, now),
        )
    repo.mark_revoked(connection, row.tenant_id, row.credential_id, now, reason)


def revoke_learner_credentials(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> int:
    """Revoke every credential of the learner before an erasure; returns how many.

    Runs in the erasure's transaction. No `certificate.revoked` event: the erasure deletes the
    learner's events anyway.
    """
    lock_certificates(connection, tenant_id)
    revoked = 0
    for row in repo.learner_credentials(connection, tenant_id, learner_key):
        if row.revoked_at is None:
            set_revoked(connection, row, ERASED, now)
            revoked += 1
    return revoked


def revoke(
    connection: Connection, tenant_id: str, credential_id: str, reason: str, now: datetime
) -> tuple[repo.CredentialRow, bool]:
    """Revoke one credential; (its row, whether this call revoked it). Raises NotFound."""
    lock_certificates(connection, tenant_id)
    row = repo.get_credential(connection, tenant_id, credential_id)
    if row is None:
        raise NotFound(f"This tenant has no credential {credential_id!r}.")
    if row.revoked_at is not None:
        return row, False
    set_revoked(connection, row, reason, now)
    append_certificate_event(
        connection,
        tenant_id=tenant_id,
        learner_key=row.learner_key,
        event_type="certificate.revoked",
        credential_id=credential_id,
        program_id=row.program_id,
        at=now,
        properties={"reason": reason},
    )
    updated = repo.get_credential(connection, tenant_id, credential_id)
    assert updated is not None
    return updated, True


def status_list_jwt(connection: Connection, issuer: Issuer, list_id: int, now: datetime) -> str:
    """The BitstringStatusListCredential of a list as a VC-JWT signed with the active key.

    Signed on each request (an Ed25519 signature costs microseconds), valid from the list's
    last change. Raises NotFound for a list the tenant does not have.
    """
    found = repo.get_status_list(connection, issuer.tenant_id, list_id)
    key = signing_key_of(connection, issuer.tenant_id)
    if found is None or key is None:
        raise NotFound("This tenant has no such status list.")
    credential = status_list.status_list_credential(
        issuer.status_list_url(list_id), issuer.id, found.bits, utc_text(found.updated_at)
    )
    return sign(jwt_claims(credential, now), key)
