"""The State, Activity Profile and Agent Profile resources: documents stored sealed, keyed by
the activity's IRI hash and the agent's learner pseudonym. Glue between the pure rules
(stride.xapi.documents), the tenant's document key and the store."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine

from stride.errors import Conflict, NotFound, PayloadTooLarge
from stride.ingest.pipeline import TenantScope
from stride.privacy.pseudonym import learner_key
from stride.store import xapi_documents as repo
from stride.store.transactions import write_transaction
from stride.xapi.document_params import ID_PARAMETER, DocumentParams
from stride.xapi.documents import (
    JSON_MEDIA_TYPE,
    check_content,
    check_preconditions,
    etag,
    header_required,
    merge,
)
from stride.xapi.identifiers import agent_learner_id, iri_key

_INFO = b"stride xapi documents v1"  # its own key: documents and statements never share one


@lru_cache(maxsize=256)
def _box(tenant_secret: str) -> Fernet:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        bytes.fromhex(tenant_secret)
    )
    return Fernet(base64.urlsafe_b64encode(material))


@dataclass(frozen=True)
class Document:
    content: bytes
    content_type: str
    updated: datetime

    @property
    def etag(self) -> str:
        return etag(self.content)


@dataclass(frozen=True)
class DocumentWrite:
    """A PUT (replace) or POST (merge) of one document, with the request's preconditions."""

    content: bytes
    content_type: str
    merge: bool
    version: str
    if_match: str | None = None
    if_none_match: str | None = None


def _context(scope: TenantScope, params: DocumentParams) -> repo.DocumentContext:
    learner = agent_learner_id(params.agent) if params.agent is not None else None
    return repo.DocumentContext(
        kind=params.kind.value,
        activity_key=iri_key(params.activity_id) if params.activity_id is not None else None,
        learner_key=learner_key(scope.learner_secret, learner) if learner is not None else None,
        registration=params.registration,
    )


def _document_id(params: DocumentParams) -> str:
    assert params.document_id is not None, f"{ID_PARAMETER[params.kind]} is checked as required"
    return params.document_id


def _open(scope: TenantScope, stored: repo.StoredDocument) -> Document:
    content = _box(scope.learner_secret).decrypt(stored.sealed.encode())
    return Document(content, stored.content_type, stored.updated)


def write_document(
    engine: Engine,
    scope: TenantScope,
    params: DocumentParams,
    write: DocumentWrite,
    now: datetime,
    max_bytes: int,
) -> None:
    """Store (PUT) or merge (POST) one document.

    Raises InvalidDocumentRequest (400) for JSON that is not JSON or a merge xAPI forbids,
    PreconditionFailed (412), Conflict (409) for a PUT over a document unseen, and
    PayloadTooLarge (413) when a merge grows the document past `max_bytes`.
    """
    check_content(write.content, write.content_type)
    context, document_id = _context(scope, params), _document_id(params)
    with write_transaction(engine) as connection:
        stored = repo.get_document(connection, scope.tenant_id, context, document_id, True)
        current = _open(scope, stored) if stored is not None else None
        check_preconditions(
            current.etag if current is not None else None,
            write.if_match,
            write.if_none_match,
            is_put=not write.merge,
            header_required=header_required(params.kind, write.version),
        )
        content, content_type = write.content, write.content_type
        if write.merge and current is not None:
            content = merge(current.content, current.content_type, content, content_type)
            content_type = JSON_MEDIA_TYPE
            if len(content) > max_bytes:
                raise PayloadTooLarge(
                    f"The merged document would be larger than {max_bytes} bytes."
                )
        sealed = _box(scope.learner_secret).encrypt(content).decode()
        if stored is not None:
            repo.replace_document(
                connection, scope.tenant_id, context, document_id, content_type, sealed, now
            )
        elif not repo.insert_document(
            connection, scope.tenant_id, context, document_id, content_type, sealed, now
        ):
            raise Conflict("Another request stored this document at the same moment; retry.")


def get_document(engine: Engine, scope: TenantScope, params: DocumentParams) -> Document:
    """The document; raises NotFound."""
    context, document_id = _context(scope, params), _document_id(params)
    with engine.connect() as connection:
        stored = repo.get_document(connection, scope.tenant_id, context, document_id)
    if stored is None:
        raise NotFound(f"No document with {ID_PARAMETER[params.kind]} {document_id!r} here.")
    return _open(scope, stored)


def list_document_ids(
    engine: Engine, scope: TenantScope, params: DocumentParams
) -> tuple[list[str], datetime | None]:
    """The ids of the context's documents updated after `since`, and the latest update."""
    with engine.connect() as connection:
        found = repo.list_documents(
            connection, scope.tenant_id, _context(scope, params), params.since
        )
    ids = list(dict.fromkeys(document_id for document_id, _ in found))
    return ids, max((updated for _, updated in found), default=None)


def delete_documents(
    engine: Engine,
    scope: TenantScope,
    params: DocumentParams,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> None:
    """Delete one document (its preconditions checked), or every state document of the
    context when no stateId is given. Deleting what is not there is no error."""
    context = _context(scope, params)
    with write_transaction(engine) as connection:
        if params.document_id is None:
            repo.delete_documents(connection, scope.tenant_id, context)
            return
        if if_match is not None or if_none_match is not None:
            stored = repo.get_document(
                connection, scope.tenant_id, context, params.document_id, True
            )
            current = _open(scope, stored).etag if stored is not None else None
            check_preconditions(
                current, if_match, if_none_match, is_put=False, header_required=False
            )
        repo.delete_document(connection, scope.tenant_id, context, params.document_id)
