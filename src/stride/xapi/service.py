"""The Statement Resource: record statements (stored sealed, then ingested as events) and read
them back. Glue between the pure xAPI modules, the store and the ingest pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from stride.errors import Conflict, NotFound
from stride.events.validation import ValidationLimits
from stride.ingest.ahead import unpickle
from stride.ingest.pipeline import HELPED_FROM_EVENTS, IngestReport, helpers_for, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store import xapi as repo
from stride.xapi.attachments import Contents, store_attachments
from stride.xapi.comparison import comparison_form
from stride.xapi.errors import InvalidStatement
from stride.xapi.formats import formatted
from stride.xapi.identifiers import iri_key
from stride.xapi.preparation import (
    PreparedStatement,
    PreparedStatements,
    XapiScope,
    prepare_statements,
    prepare_statements_ahead,
)
from stride.xapi.query import StatementQuery
from stride.xapi.sealing import open_statement


@dataclass(frozen=True)
class Recorded:
    ids: list[str]
    stored: int  # statements new to the store
    events: IngestReport | None


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
    batch = list(statements)
    prepared = None
    if contents is None and len(batch) >= HELPED_FROM_EVENTS:
        prepared = _prepared_by_helper(engine, scope, batch, version, limits)
    if prepared is None:
        prepared = prepare_statements(scope, batch, version, limits.now, contents)
    if prepared.invalid is not None:
        raise InvalidStatement(*prepared.invalid)
    sent = {p.statement_id: s for p, s in zip(prepared.statements, batch, strict=True)}
    inserted: set[str] = set()

    def store_statements(connection: Connection) -> None:
        inserted.clear()  # a group that failed is stored again, batch by batch
        inserted.update(_store_statements(connection, scope, prepared.statements, sent, contents))

    # The statements and their events commit together: a statement is never stored without
    # its events folded, nor an event without the statement it came from.
    report = ingest_events(
        engine,
        scope.ingest_scope,
        prepared.events,
        limits,
        limits.now,
        before_append=store_statements,
        ahead=prepared.events_ahead,
    )
    ids = [p.statement_id for p in prepared.statements]
    return Recorded(ids, len(inserted), report if prepared.events else None)


def _prepared_by_helper(
    engine: Engine, scope: XapiScope, batch: list[Any], version: str, limits: ValidationLimits
) -> PreparedStatements | None:
    """The batch prepared, events included, by a helper process of the server (validating,
    sealing and keying statements is most of what a request costs the server's own process);
    None when there is none or it failed."""
    helping = helpers_for(engine, scope.tenant_id)
    if helping is None:
        return None
    pool, document = helping
    statements = orjson.dumps(batch)
    answer = pool.run_now(prepare_statements_ahead, scope, statements, version, limits, document)
    prepared = unpickle(answer) if answer is not None else None
    return prepared if isinstance(prepared, PreparedStatements) else None


def _store_statements(
    connection: Connection,
    scope: XapiScope,
    prepared: Sequence[PreparedStatement],
    sent: dict[str, dict[str, Any]],
    contents: Contents | None,
) -> set[str]:
    """Store the batch's statements that are new; the ids stored. Raises Conflict for an id
    stored with other content. `sent` holds each statement as the client sent it, by id."""
    stored = repo.find_hashes(connection, scope.tenant_id, sent.keys())
    _check_repeats(connection, scope, prepared, sent, stored)
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
        now_stored = repo.find_hashes(connection, scope.tenant_id, sent.keys())
        _check_repeats(connection, scope, lost, sent, now_stored)
    kept = [p for p in fresh if p.statement_id in inserted]
    store_attachments(
        connection, scope.learner_secret, [(p.row, sent[p.statement_id]) for p in kept], contents
    )
    _index_related(connection, scope.tenant_id, kept)
    new_ids = {p.statement_id for p in fresh}
    repo.mark_voided(
        connection, scope.tenant_id, [t for t in targets if t not in new_ids and t not in voiding]
    )
    return set(inserted)


def _index_related(
    connection: Connection, tenant_id: str, kept: Sequence[PreparedStatement]
) -> None:
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
    prepared: Sequence[PreparedStatement],
    sent: dict[str, dict[str, Any]],
    stored: dict[str, tuple[str, str | None]],
) -> None:
    for item in prepared:
        found = stored.get(item.statement_id)
        if (
            found is not None
            and found[0] != item.content_hash
            and not _same_as_stored(connection, scope, item.statement_id, sent[item.statement_id])
        ):
            raise Conflict(
                f"A statement with id {item.statement_id} is already stored with other content."
            )


def _same_as_stored(
    connection: Connection, scope: XapiScope, statement_id: str, statement: dict[str, Any]
) -> bool:
    """Whether the stored statement of this id is the same as `statement` (as sent) after
    all: the hash leaves out only some of what the comparison ignores (stride.xapi.comparison),
    and a stored hash may come from earlier rules."""
    row = repo.get_statement(connection, scope.tenant_id, statement_id)
    if row is None:
        return False
    stored, sent = comparison_form(orjson.loads(_open(scope, row))), comparison_form(statement)
    if "timestamp" not in sent:  # the stored one may have got its stored time as timestamp
        stored.pop("timestamp", None)
    return stored == sent


def _voiding_targets(
    connection: Connection, tenant_id: str, fresh: Sequence[PreparedStatement], targets: set[str]
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
