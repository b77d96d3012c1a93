"""Query parameters of the document, /xapi/activities and /xapi/agents resources (pure).

Every parameter is checked as xAPI types it (IRI, Agent as JSON, UUID, timestamp); an unknown
parameter, a missing required one or a bad value raises InvalidDocumentRequest (400).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stride.errors import FieldError
from stride.xapi.documents import DocumentKind, InvalidDocumentRequest
from stride.xapi.mapping import parse_instant
from stride.xapi.validation import _Checker

# The parameter naming a document within its context, and the context's own parameters.
ID_PARAMETER = {
    DocumentKind.STATE: "stateId",
    DocumentKind.ACTIVITY_PROFILE: "profileId",
    DocumentKind.AGENT_PROFILE: "profileId",
}
_CONTEXT = {
    DocumentKind.STATE: ("activityId", "agent", "registration"),
    DocumentKind.ACTIVITY_PROFILE: ("activityId",),
    DocumentKind.AGENT_PROFILE: ("agent",),
}


@dataclass(frozen=True)
class DocumentParams:
    """Where a document request points: the context, and one document id or none (all)."""

    kind: DocumentKind
    activity_id: str | None = None
    agent: dict[str, Any] | None = None
    registration: str | None = None
    document_id: str | None = None
    since: datetime | None = None


def _bad(path: str, reason: str) -> InvalidDocumentRequest:
    return InvalidDocumentRequest("The request is not one xAPI allows.", [FieldError(path, reason)])


def _only(params: Mapping[str, str], allowed: set[str], required: tuple[str, ...]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise _bad(unknown[0], "is not a parameter of this request")
    for name in required:
        if name not in params:
            raise _bad(name, "is required")


def parse_agent(text: str, version: str) -> dict[str, Any]:
    """The `agent` parameter: an Agent (not a Group) with exactly one identifier."""
    try:
        agent = json.loads(text)
    except ValueError:
        raise _bad("agent", "must be an Agent as JSON") from None
    checker = _Checker(version)
    checker.agent(agent, "agent")
    if checker.errors:
        raise InvalidDocumentRequest("The request is not one xAPI allows.", checker.errors)
    assert isinstance(agent, dict)
    return agent


def parse_activity_id(text: str, version: str) -> str:
    checker = _Checker(version)
    checker.iri(text, "activityId")
    if checker.errors:
        raise InvalidDocumentRequest("The request is not one xAPI allows.", checker.errors)
    return text


def _since(text: str, version: str) -> datetime:
    checker = _Checker(version)
    checker.timestamp(text, "since")
    instant = None if checker.errors else parse_instant(text)
    if instant is None:
        raise _bad("since", "must be an ISO 8601 date-time such as 2024-05-01T09:30:00Z")
    return instant


def parse_document_params(
    kind: DocumentKind, method: str, params: Mapping[str, str], version: str
) -> DocumentParams:
    """The request's parameters for `method` (GET, PUT, POST, DELETE) on a `kind` resource.

    PUT and POST need the document id; GET without it lists ids (`since` allowed only then);
    DELETE without it deletes every state document of the context (profiles need the id).
    """
    id_name = ID_PARAMETER[kind]
    context = _CONTEXT[kind]
    required = tuple(name for name in context if name != "registration")
    allowed = {*context, id_name}
    if method == "GET" and id_name not in params:
        allowed.add("since")
    if method in ("PUT", "POST") or (method == "DELETE" and kind is not DocumentKind.STATE):
        required += (id_name,)
    _only(params, allowed, required)
    document_id = params.get(id_name)
    if document_id is not None and (not document_id or "\x00" in document_id):
        raise _bad(id_name, "must be a non-empty string without NUL characters")
    registration = params.get("registration")
    if registration is not None:
        checker = _Checker(version)
        checker.uuid(registration, "registration")
        if checker.errors:
            raise InvalidDocumentRequest("The request is not one xAPI allows.", checker.errors)
    return DocumentParams(
        kind=kind,
        activity_id=(
            parse_activity_id(params["activityId"], version) if "activityId" in params else None
        ),
        agent=parse_agent(params["agent"], version) if "agent" in params else None,
        registration=registration.lower() if registration is not None else None,
        document_id=document_id,
        since=_since(params["since"], version) if "since" in params else None,
    )


def parse_single(params: Mapping[str, str], name: str) -> str:
    """The one required parameter of GET /xapi/activities (activityId) or /xapi/agents."""
    _only(params, {name}, (name,))
    return params[name]
