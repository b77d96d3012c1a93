"""A batch of statements made ready to store, without the database: validated, given their
ids and stored time, sealed, keyed, and turned into Stride events.

Pure of the store, so a helper process of the server can do it while the writer stores other
batches (`prepare_statements_ahead`, run through stride.ingest.ahead).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from stride.errors import FieldError
from stride.events.validation import ValidationLimits
from stride.ingest.ahead import PreparedAhead, prepare_ahead
from stride.ingest.outcomes import TenantScope
from stride.privacy.pseudonym import learner_key
from stride.xapi.attachments import Contents, request_errors
from stride.xapi.comparison import content_hash
from stride.xapi.identifiers import agent_learner_id, iri_key
from stride.xapi.mapping import VOIDED_VERB, rfc3339, statement_to_event
from stride.xapi.related import related_of
from stride.xapi.sealing import seal_statement
from stride.xapi.validation import V1, batch_errors

STATEMENT_VERSION = {V1: "1.0.0"}  # what the LRS sets when a statement has no version


@dataclass(frozen=True)
class XapiScope:
    """The tenant, its secret (pseudonyms and the statement key) and who asserts statements."""

    tenant_id: str
    learner_secret: str
    authority: dict[str, Any]

    @property
    def ingest_scope(self) -> TenantScope:
        return TenantScope(self.tenant_id, self.learner_secret)


@dataclass(frozen=True)
class PreparedStatement:
    statement_id: str
    content_hash: str
    voids: str | None
    row: dict[str, Any]  # the statement's row, the document as stored sealed in it
    # Its index keys for related_activities / related_agents (stride.xapi.related), worked out
    # before the write transaction so the writer only stores them.
    activity_keys: list[str]
    agent_keys: list[tuple[str, bool]]  # (learner key, matched by the plain agent filter)


@dataclass(frozen=True)
class PreparedStatements:
    """A batch ready to store, or why it cannot be (`invalid`: the problem's title and fields)."""

    statements: list[PreparedStatement]
    events: list[dict[str, Any]]  # the Stride events of the statements that have one
    invalid: tuple[str, list[FieldError]] | None = None
    # The events prepared for the ingest pipeline under a policy document, when a helper
    # process had one to prepare them with.
    events_ahead: PreparedAhead | None = None


def prepare_statements(
    scope: XapiScope,
    statements: list[Any],
    version: str,
    now: datetime,
    contents: Contents | None,
) -> PreparedStatements:
    """Validate the batch and prepare each statement of it as stored at `now`.

    `contents` holds the attachment parts of a multipart/mixed request by sha2 (None: the
    request was application/json); see stride.xapi.attachments.
    """
    errors = request_errors(statements, batch_errors(statements, version), contents)
    if errors:
        return PreparedStatements(
            [], [], ("The batch holds statements that are not valid xAPI.", errors)
        )
    prepared: list[PreparedStatement] = []
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, statement in enumerate(statements):
        item, document = _prepare(scope, statement, version, now)
        if item.statement_id in seen:
            problem = [FieldError(f"[{index}].id", "another statement of this batch has this id")]
            return PreparedStatements(
                [], [], ("A batch holds two statements with the same id.", problem)
            )
        seen.add(item.statement_id)
        prepared.append(item)
        if (event := statement_to_event(document)) is not None:
            events.append(event)
    return PreparedStatements(prepared, events)


def prepare_statements_ahead(
    scope: XapiScope,
    statements: bytes,
    version: str,
    limits: ValidationLimits,
    document: dict[str, Any] | None,
) -> PreparedStatements:
    """`prepare_statements` for a JSON request (its statements as a JSON array), in a helper
    process; the events are prepared too under the policy `document` when there is one (None:
    the writer prepares them). JSON crosses the pipe several times faster than the same
    statements pickled."""
    prepared = prepare_statements(scope, orjson.loads(statements), version, limits.now, None)
    if prepared.invalid is not None or not prepared.events or document is None:
        return prepared
    events = prepare_ahead(scope.ingest_scope, prepared.events, limits, limits.now, document)
    return replace(prepared, events_ahead=events)


def _prepare(
    scope: XapiScope, statement: dict[str, Any], version: str, now: datetime
) -> tuple[PreparedStatement, dict[str, Any]]:
    """The statement prepared, and its document as stored."""
    fingerprint = content_hash(statement)
    statement_id = str(statement.get("id") or uuid.uuid4()).lower()
    # The column holds what the statement shows (milliseconds), so `since` set to a stored
    # value a client read leaves that statement out.
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    stored = rfc3339(now)
    document: dict[str, Any] = {"id": statement_id, **statement}
    document["id"] = statement_id
    document.setdefault("timestamp", stored)
    document["stored"] = stored
    document["authority"] = scope.authority
    document.setdefault("version", STATEMENT_VERSION.get(version, version))
    target = statement["object"]
    voids = None
    if statement["verb"]["id"] == VOIDED_VERB:
        voids = target["id"].lower()
    is_activity = target.get("objectType", "Activity") == "Activity"
    refers_to = target["id"].lower() if target.get("objectType") == "StatementRef" else None
    learner = agent_learner_id(statement["actor"])
    registration = (statement.get("context") or {}).get("registration")
    row = {
        "tenant_id": scope.tenant_id,
        "statement_id": statement_id,
        "learner_key": learner_key(scope.learner_secret, learner) if learner else None,
        "verb_key": iri_key(statement["verb"]["id"]),
        "activity_key": iri_key(target["id"]) if is_activity else None,
        "registration": registration.lower() if registration else None,
        "voids": voids,
        "refers_to": refers_to,
        "voided": False,
        "stored": now,
        "content_hash": fingerprint,
        "statement": seal_statement(scope.learner_secret, orjson.dumps(document)),
    }
    related = related_of(document)
    agent_keys = {learner_key(scope.learner_secret, i): d for i, d in related.agents.items()}
    prepared = PreparedStatement(
        statement_id,
        fingerprint,
        voids,
        row,
        sorted({iri_key(i) for i in related.activities}),
        sorted(agent_keys.items()),
    )
    return prepared, document
