"""The Statement Resource: record statements (stored sealed, then ingested as events) and read
them back. Glue between the pure xAPI modules, the store and the ingest pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from stride.errors import Conflict, FieldError, NotFound
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import IngestReport, TenantScope, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store import xapi as repo
from stride.xapi.attachments import Contents, request_errors, store_attachments
from stride.xapi.comparison import comparison_form, content_hash
from stride.xapi.errors import InvalidStatement
from stride.xapi.formats import formatted
from stride.xapi.identifiers import agent_learner_id, iri_key
from stride.xapi.mapping import VOIDED_VERB, rfc3339, statement_to_event
from stride.xapi.query import StatementQuery
from stride.xapi.related import related_of
from stride.xapi.sealing import open_statement, seal_statement
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
class Recorded:
    ids: list[str]
    stored: int  # statements new to the store
    events: IngestReport | None


@dataclass(frozen=True)
class _Prepared:
    statement_id: str
    content_hash: str
    voids: str | None
    document: dict[str, Any]
    row: dict[str, Any]
    sent: dict[str, Any]  # the statement as the client sent it
    # Its index keys for related_activities / related_agents (stride.xapi.related), worked out
    # before the write transaction so the writer only stores them.
    activity_keys: list[str]
    agent_keys: list[tuple[str, bool]]  # (learner key, matched by the plain agent filter)


def record_statements(
    engine: Engine,
    scope: XapiScope,
    statements: Sequence[Any],
    version: str,
    limits: ValidationLimits,
    contents: Contents | None = None,
) -> Recorded:
    """Store a batch, all or nothing, with their events; return the ids in order.

    `contents` holds the attachment parts of a multipart/mixed request by sha2 (None: the
    request was application/json); see stride.xapi.attachments.

    Raises InvalidStatement (400) for an invalid statement or two statements with one id;
    Conflict (409) when an id is stored with other content. Statements already stored with the
    same content are left as they are.
    """
    errors = request_errors(list(statements), batch_errors(list(statements), version), contents)
    if errors:
        raise InvalidStatement("The batch holds statements that are not valid xAPI.", errors)
    now = limits.now
    prepared = [_prepare(scope, statement, version, now) for statement in statements]
    seen: set[str] = set()
    for index, item in enumerate(prepared):
        if item.statement_id in seen:
            raise InvalidStatement(
                "A batch holds two statements with the same id.",
                [FieldError(f"[{index}].id", "another statement of this batch has this id")],
            )
        seen.add(item.statement_id)
    inserted: set[str] = set()

    def store_statements(connection: Connection) -> None:
        inserted.clear()  # a group that failed is stored again, batch by batch
        inserted.update(_store_statements(connection, scope, prepared, seen, contents))

    # The statements and their events commit together: a statement is never stored without
    # its events folded, nor an event without the statement it came from.
    events = [e for p in prepared if (e := statement_to_event(p.document)) is not None]
    report = ingest_events(
        engine, scope.ingest_scope, events, limits, now, before_append=store_statements
    )
    return Recorded([p.statement_id for p in prepared], len(inserted), report if events else None)


def _store_statements(
    connection: Connection,
    scope: XapiScope,
    prepared: Sequence[_Prepared],
    ids: set[str],
    contents: Contents | None,
) -> set[str]:
    """Store the batch's statements that are new; the ids stored. Raises Conflict for an id
    stored with other content."""
    stored = repo.find_hashes(connection, scope.tenant_id, ids)
    _check_repeats(connection, scope, prepared, stored)
    fresh = [p for p in prepared if p.statement_id not in stored]
    targets = {p.voids for p in fresh if p.voids is not None}
    voiding = _voiding_targets(connection, scope.tenant_id, fresh, targets)
    late = repo.voided_by_stored(connection, scope.tenant_id, [p.statement_id for p in fresh])
    for item in fresh:
        # A voiding statement is never voided (xAPI Data 2.3.2): one that targets it is
        # stored, and voids nothing.
        voided = item.statement_id in targets or item.statement_id in late
        item.row["voided"] = voided and item.voids is None
    # In id order, so concurrent batches with shared ids take the index locks in one order.
    rows = sorted((p.row for p in fresh), key=lambda row: str(row["statement_id"]))
    inserted = repo.insert_statements(connection, rows)
    if len(inserted) < len(fresh):  # a concurrent request stored some of these ids first
        lost = [p for p in fresh if p.statement_id not in inserted]
        _check_repeats(connection, scope, lost, repo.find_hashes(connection, scope.tenant_id, ids))
    kept = [p for p in fresh if p.statement_id in inserted]
    store_attachments(
        connection, scope.learner_secret, [(p.row, p.document) for p in kept], contents
    )
    _index_related(connection, scope.tenant_id, kept)
    new_ids = {p.statement_id for p in fresh}
    repo.mark_voided(
        connection, scope.tenant_id, [t for t in targets if t not in new_ids and t not in voiding]
    )
    return set(inserted)


def _prepare(scope: XapiScope, statement: dict[str, Any], version: str, now: datetime) -> _Prepared:
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
    return _Prepared(
        statement_id,
        fingerprint,
        voids,
        document,
        row,
        statement,
        sorted({iri_key(i) for i in related.activities}),
        sorted(agent_keys.items()),
    )


def _index_related(connection: Connection, tenant_id: str, kept: Sequence[_Prepared]) -> None:
    """Index the newly stored statements under their related activities and agents, in the
    statements' transaction (stride.xapi.related; only keys are kept, never an identifier)."""
    seqs = repo.seqs_of(connection, tenant_id, [p.statement_id for p in kept])
    activities: list[tuple[str, int, str, str]] = []
    agents: list[tuple[str, int, str, str, bool]] = []
    for item in kept:
        head = (tenant_id, seqs[item.statement_id], item.statement_id)
        activities.extend((*head, key) for key in item.activity_keys)
        agents.extend((*head, key, direct) for key, direct in item.agent_keys)
    repo.insert_related(connection, activities, agents)


def _check_repeats(
    connection: Connection,
    scope: XapiScope,
    prepared: Sequence[_Prepared],
    stored: dict[str, tuple[str, str | None]],
) -> None:
    for item in prepared:
        found = stored.get(item.statement_id)
        if (
            found is not None
            and found[0] != item.content_hash
            and not _same_as_stored(connection, scope, item)
        ):
            raise Conflict(
                f"A statement with id {item.statement_id} is already stored with other content."
            )


def _same_as_stored(connection: Connection, scope: XapiScope, item: _Prepared) -> bool:
    """Whether the stored statement of this id is the same statement after all: the hash
    leaves out only some of what the comparison ignores (stride.xapi.comparison), and a stored
    hash may come from earlier rules."""
    row = repo.get_statement(connection, scope.tenant_id, item.statement_id)
    if row is None:
        return False
    stored, sent = comparison_form(orjson.loads(_open(scope, row))), comparison_form(item.sent)
    if "timestamp" not in sent:  # the stored one may have got its stored time as timestamp
        stored.pop("timestamp", None)
    return stored == sent


def _voiding_targets(
    connection: Connection, tenant_id: str, fresh: Sequence[_Prepared], targets: set[str]
) -> set[str]:
    """The targets that are voiding statements themselves (in the batch or stored), which are
    not voided. A target not stored yet is allowed (the spec asks the LRS not to refuse it):
    it is voided when it arrives, unless it is a voiding statement."""
    if not targets:
        return set()
    in_batch = {p.statement_id: p.voids for p in fresh}
    stored = repo.find_hashes(connection, tenant_id, [t for t in targets if t not in in_batch])
    return {
        target
        for target in targets
        if (in_batch[target] if target in in_batch else stored.get(target, ("", None))[1])
    }


def _open(scope: XapiScope, row: repo.StoredStatement) -> bytes:
    return open_statement(scope.learner_secret, row.sealed)


def _render(scope: XapiScope, row: repo.StoredStatement, form: str, languages: list[str]) -> bytes:
    document = _open(scope, row)
    if form == "exact" and b'"contextActivities"' not in document:
        return document  # as stored, without parsing it
    return orjson.dumps(formatted(orjson.loads(document), form, languages))


def get_statement(
    engine: Engine, scope: XapiScope, query: StatementQuery, languages: list[str]
) -> tuple[bytes, datetime]:
    """One statement by statementId (not voided) or voidedStatementId (voided only)."""
    wanted = query.statement_id or query.voided_statement_id
    assert wanted is not None
    with engine.connect() as connection:
        row = repo.get_statement(connection, scope.tenant_id, wanted)
    if row is None or row.voided != (query.voided_statement_id is not None):
        raise NotFound(f"No statement with id {wanted} here.")
    return _render(scope, row, query.format, languages), row.stored


def find_statements(
    engine: Engine, scope: XapiScope, query: StatementQuery, languages: list[str]
) -> tuple[list[bytes], int | None]:
    """A page of statements and the cursor of the next page (None when this is the last)."""
    where = repo.StatementFilter(
        learner_key=learner_key(scope.learner_secret, query.agent) if query.agent else None,
        related_agents=query.related_agents,
        verb_key=iri_key(query.verb) if query.verb else None,
        activity_key=iri_key(query.activity) if query.activity else None,
        related_activities=query.related_activities,
        registration=query.registration,
        since=query.since,
        until=query.until,
        ascending=query.ascending,
        after=query.after,
    )
    with engine.connect() as connection:
        rows = repo.query_statements(connection, scope.tenant_id, where, query.limit + 1)
    page, more = rows[: query.limit], len(rows) > query.limit
    documents = [_render(scope, row, query.format, languages) for row in page]
    return documents, page[-1].seq if more and page else None
