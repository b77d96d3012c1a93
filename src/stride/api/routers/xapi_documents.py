"""xAPI State, Activity Profile and Agent Profile resources; /xapi/activities and /xapi/agents.

Auth, version negotiation and the xAPI response headers come from the Statement Resource's
route class (stride.api.routers.xapi); see docs/xapi.md.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from stride.api.body import read_body
from stride.api.deps import EngineDep, SettingsDep
from stride.api.responses import JSONBody
from stride.api.routers.xapi import Reader, Writer, XapiRoute, _xapi_caller, add_head_routes
from stride.clock import utc_now
from stride.errors import PayloadTooLarge
from stride.ingest.pipeline import TenantScope
from stride.learners.aliases import known_ids
from stride.tenancy.service import Principal
from stride.xapi.activity_service import describe_activity
from stride.xapi.agents import person_of
from stride.xapi.document_params import (
    ID_PARAMETER,
    DocumentParams,
    parse_activity_id,
    parse_agent,
    parse_document_params,
    parse_single,
)
from stride.xapi.document_service import (
    DocumentWrite,
    delete_documents,
    get_document,
    list_document_ids,
    write_document,
)
from stride.xapi.documents import (
    DEFAULT_CONTENT_TYPE,
    DocumentKind,
    InvalidDocumentRequest,
    not_modified,
)
from stride.xapi.identifiers import agent_learner_id, agent_of_learner_id

# Activity definitions are catalogue data: any key of the tenant may read them.
CatalogReader = Annotated[Principal, Depends(_xapi_caller("catalog:read"))]
Handler = Callable[..., Coroutine[Any, Any, Response]]

router = APIRouter(tags=["xapi"], route_class=XapiRoute)

PATHS = {
    DocumentKind.STATE: "/xapi/activities/state",
    DocumentKind.ACTIVITY_PROFILE: "/xapi/activities/profile",
    DocumentKind.AGENT_PROFILE: "/xapi/agents/profile",
}
_PARAMETER_DOC = {
    "activityId": "The activity's IRI",
    "agent": 'An Agent as JSON, e.g. {"mbox": "mailto:ana@example.com"}',
    "registration": "A registration UUID",
    "stateId": "The state document's id (absent: all documents of the context)",
    "profileId": "The profile document's id (absent on GET: the ids)",
    "since": "GET without an id: only ids of documents updated after this instant",
}
_CONTEXT_DOC = {
    DocumentKind.STATE: ("activityId", "agent", "registration", "stateId", "since"),
    DocumentKind.ACTIVITY_PROFILE: ("activityId", "profileId", "since"),
    DocumentKind.AGENT_PROFILE: ("agent", "profileId", "since"),
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid parameters, version header, or a merge xAPI forbids"},
    401: {"description": "Missing or unknown credentials (HTTP Basic or Bearer)"},
    403: {"description": "The key's role may not do this"},
    409: {"description": "PUT over an existing document without If-Match or If-None-Match"},
    412: {"description": "If-Match or If-None-Match does not hold"},
    413: {"description": "The document is too large"},
}


def _query(name: str) -> dict[str, Any]:
    schema = {"type": "string", "format": "date-time"} if name == "since" else {"type": "string"}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": _PARAMETER_DOC[name],
    }


def _scope(principal: Principal) -> TenantScope:
    return TenantScope(principal.tenant_id, principal.learner_secret)


def _params(request: Request, kind: DocumentKind) -> DocumentParams:
    version: str = request.state.xapi_version
    method = "GET" if request.method == "HEAD" else request.method  # HEAD is GET, bodiless
    return parse_document_params(kind, method, request.query_params, version)


async def _write(
    request: Request, principal: Principal, engine: Engine, limit: int, kind: DocumentKind
) -> Response:
    params = _params(request, kind)
    try:
        content = await read_body(request, limit)
    except PayloadTooLarge:
        raise PayloadTooLarge(f"A document may hold at most {limit} bytes.") from None
    content_type = request.headers.get("content-type") or DEFAULT_CONTENT_TYPE
    if len(content_type) > 255:
        raise InvalidDocumentRequest("The Content-Type header is longer than 255 characters.")
    write = DocumentWrite(
        content,
        content_type,
        merge=request.method == "POST",
        version=request.state.xapi_version,
        if_match=request.headers.get("if-match"),
        if_none_match=request.headers.get("if-none-match"),
    )
    scope = _scope(principal)
    await run_in_threadpool(write_document, engine, scope, params, write, utc_now(), limit)
    return Response(status_code=204)


def _document_routes(kind: DocumentKind) -> None:
    path, id_name = PATHS[kind], ID_PARAMETER[kind]
    parameters = [_query(name) for name in _CONTEXT_DOC[kind]]

    async def put(
        request: Request, principal: Writer, engine: EngineDep, settings: SettingsDep
    ) -> Response:
        return await _write(request, principal, engine, settings.MAX_REQUEST_BYTES, kind)

    async def get(request: Request, principal: Writer, engine: EngineDep) -> Response:
        params, scope = _params(request, kind), _scope(principal)
        if params.document_id is None:
            ids, latest = await run_in_threadpool(list_document_ids, engine, scope, params)
            headers = (
                {} if latest is None else {"Last-Modified": format_datetime(latest, usegmt=True)}
            )
            return JSONBody(ids, headers=headers)
        document = await run_in_threadpool(get_document, engine, scope, params)
        headers = {
            "Content-Type": document.content_type,
            "ETag": document.etag,
            "Last-Modified": format_datetime(document.updated, usegmt=True),
        }
        if not_modified(document.etag, request.headers.get("if-none-match")):
            return Response(status_code=304, headers=headers)
        return Response(document.content, headers=headers)

    async def delete(request: Request, principal: Writer, engine: EngineDep) -> Response:
        params = _params(request, kind)
        if_match, if_none_match = (request.headers.get(h) for h in ("if-match", "if-none-match"))
        scope = _scope(principal)
        await run_in_threadpool(delete_documents, engine, scope, params, if_match, if_none_match)
        return Response(status_code=204)

    body = {"required": True, "content": {"*/*": {"schema": {"type": "string"}}}}
    methods: list[tuple[str, Handler, str]] = [
        ("PUT", put, f"Store a document under {id_name} (replacing it)"),
        ("POST", put, f"Store a document under {id_name}, merging JSON objects"),
        ("GET", get, f"One document by {id_name}, or the ids of the context's documents"),
        ("DELETE", delete, f"Delete a document by {id_name}"),
    ]
    for method, handler, summary in methods:
        extra: dict[str, Any] = {"parameters": parameters}
        if method in ("PUT", "POST"):
            extra["requestBody"] = body
        router.add_api_route(
            path,
            handler,
            methods=[method],
            name=f"xapi_{kind.value}_{method.lower()}",
            status_code=200 if method == "GET" else 204,
            summary=summary,
            openapi_extra=extra,
            responses=_ERRORS,
        )


for _kind in PATHS:
    _document_routes(_kind)


@router.get(
    "/xapi/activities",
    summary="The Activity object with the richest definition stored",
    openapi_extra={"parameters": [_query("activityId")]},
    responses=_ERRORS,
)
async def get_activity(request: Request, principal: CatalogReader, engine: EngineDep) -> Response:
    version: str = request.state.xapi_version
    activity_id = parse_activity_id(parse_single(request.query_params, "activityId"), version)
    activity = await run_in_threadpool(describe_activity, engine, _scope(principal), activity_id)
    return JSONBody(activity)


@router.get(
    "/xapi/agents",
    summary="The Person object of an Agent",
    openapi_extra={"parameters": [_query("agent")]},
    responses=_ERRORS,
)
async def get_person(request: Request, principal: Reader, engine: EngineDep) -> Response:
    version: str = request.state.xapi_version
    agent = parse_agent(parse_single(request.query_params, "agent"), version)
    linked = await run_in_threadpool(_linked_agents, engine, principal, agent)
    return JSONBody(person_of([agent, *linked]))


def _linked_agents(engine: Engine, principal: Principal, agent: dict[str, Any]) -> list[Any]:
    """The agents of the learner's other ids (its aliases, docs/privacy.md)."""
    learner_id = agent_learner_id(agent)
    if learner_id is None:
        return []
    with engine.connect() as connection:
        ids = known_ids(connection, principal.tenant_id, principal.learner_secret, learner_id)
    return [a for a in map(agent_of_learner_id, ids[1:]) if a is not None]


add_head_routes(router)
