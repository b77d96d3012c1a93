"""GET /xapi/statements parameters, parsed and checked (pure); `more` cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from stride.errors import FieldError
from stride.xapi.errors import InvalidStatement
from stride.xapi.formats import FORMATS
from stride.xapi.identifiers import agent_learner_id
from stride.xapi.mapping import parse_instant
from stride.xapi.validation import UUID, V1, _Checker

MAX_LIMIT = 500
PARAMETERS = frozenset(
    {
        "statementId",
        "voidedStatementId",
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
SINGLE_PARAMETERS = frozenset({"statementId", "voidedStatementId", "attachments", "format"})


@dataclass(frozen=True)
class StatementQuery:
    statement_id: str | None = None
    voided_statement_id: str | None = None
    agent: str | None = None  # the agent's learner id (its inverse functional identifier)
    related_agents: bool = False
    verb: str | None = None
    activity: str | None = None
    related_activities: bool = False
    registration: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = MAX_LIMIT
    format: str = "exact"
    ascending: bool = False
    after: int | None = None


def _bad(path: str, reason: str) -> InvalidStatement:
    return InvalidStatement("The query is not one xAPI allows.", [FieldError(path, reason)])


def _boolean(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise _bad(name, "must be true or false")
    return value == "true"


def _instant(params: Mapping[str, str], name: str) -> datetime | None:
    if name not in params:
        return None
    checker = _Checker(V1)
    checker.timestamp(params[name], name)
    instant = parse_instant(params[name]) if not checker.errors else None
    if instant is None:
        raise _bad(name, "must be an ISO 8601 date-time such as 2024-05-01T09:30:00Z")
    return instant


def parse_query(params: Mapping[str, str], after: int | None = None) -> StatementQuery:
    unknown = sorted(set(params) - PARAMETERS)
    if unknown:
        raise _bad(unknown[0], "is not a parameter of GET /xapi/statements")
    single = [k for k in ("statementId", "voidedStatementId") if k in params]
    if len(single) == 2:
        raise _bad("voidedStatementId", "send statementId or voidedStatementId, not both")
    if single and set(params) - SINGLE_PARAMETERS:
        extra = sorted(set(params) - SINGLE_PARAMETERS)[0]
        raise _bad(extra, f"cannot be combined with {single[0]}")
    for name in single:
        if not UUID.match(params[name]):
            raise _bad(name, "must be a UUID")
    form = params.get("format", "exact")
    if form not in FORMATS:
        raise _bad("format", "must be exact, ids or canonical")
    _boolean(params, "attachments")
    agent = None
    if "agent" in params:
        agent = _agent(params["agent"])
    checker = _Checker(V1)
    for name in ("verb", "activity"):
        if name in params:
            checker.iri(params[name], name)
    if "registration" in params:
        checker.uuid(params["registration"], "registration")
    if checker.errors:
        raise InvalidStatement("The query is not one xAPI allows.", checker.errors)
    limit_text = params.get("limit", "0")
    if not limit_text.isdigit() or len(limit_text) > 9:
        raise _bad("limit", "must be a whole number (0: as many as the LRS allows)")
    limit = int(limit_text)
    return StatementQuery(
        statement_id=params["statementId"].lower() if "statementId" in params else None,
        voided_statement_id=(
            params["voidedStatementId"].lower() if "voidedStatementId" in params else None
        ),
        agent=agent,
        related_agents=_boolean(params, "related_agents"),
        verb=params.get("verb"),
        activity=params.get("activity"),
        related_activities=_boolean(params, "related_activities"),
        registration=params["registration"].lower() if "registration" in params else None,
        since=_instant(params, "since"),
        until=_instant(params, "until"),
        limit=MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT),
        format=form,
        ascending=_boolean(params, "ascending"),
        after=after,
    )


def _agent(text: str) -> str:
    try:
        agent = json.loads(text)
    except ValueError:
        raise _bad("agent", "must be an Agent or identified Group as JSON") from None
    checker = _Checker(V1)
    checker.actor(agent, "agent")
    learner = agent_learner_id(agent)
    if checker.errors or learner is None:
        reasons = checker.errors or [FieldError("agent", "must name an agent or identified group")]
        raise InvalidStatement("The query is not one xAPI allows.", reasons)
    return learner


def more_token(params: Mapping[str, str], after: int) -> str:
    document = {"q": dict(params), "after": after}
    return base64.urlsafe_b64encode(orjson.dumps(document)).decode().rstrip("=")


def read_more_token(token: str) -> tuple[dict[str, str], int]:
    try:
        document: Any = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        params, after = document["q"], document["after"]
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError):
        raise _bad("more", "is not a cursor this LRS gave") from None
    valid = isinstance(params, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in params.items()
    )
    if not valid or not isinstance(after, int) or isinstance(after, bool):
        raise _bad("more", "is not a cursor this LRS gave")
    return params, after
