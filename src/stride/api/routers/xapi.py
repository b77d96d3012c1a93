"""The xAPI Statement Resource (/xapi/statements) and /xapi/about; see docs/xapi.md.

Every response, errors included, carries X-Experience-API-Version and
X-Experience-API-Consistent-Through; every invalid input answers 400 (xAPI has no 422).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Coroutine
from datetime import timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from stride.api.body import media_type_of, read_body, read_json_body
from stride.api.deps import EngineDep, SettingsDep
from stride.api.problems import problem, status_for
from stride.api.responses import JSONBody
from stride.api.schemas.xapi import ERRORS, GET_DOC, POST_DOC, PUT_DOC, About
from stride.clock import utc_now
from stride.errors import (
    FieldError,
    PayloadTooLarge,
    PermissionDenied,
    StrideError,
    Unauthenticated,
)
from stride.events.validation import ValidationLimits
from stride.store.tenant_context import current_tenant
from stride.tenancy.keys import KEY_PREFIX
from stride.tenancy.roles import PERMISSIONS
from stride.tenancy.service import Principal, authenticate
from stride.tenancy.tokens import authenticate_token, looks_like_token
from stride.xapi.attachments import Contents, multipart_answer, read_multipart
from stride.xapi.credentials import CredentialCache
from stride.xapi.documents import etag, not_modified
from stride.xapi.errors import InvalidStatement
from stride.xapi.formats import accepted_languages
from stride.xapi.mapping import rfc3339
from stride.xapi.multipart import MIXED
from stride.xapi.preparation import XapiScope
from stride.xapi.query import more_token, parse_query, read_more_token
from stride.xapi.service import find_statements, get_statement, record_statements
from stride.xapi.validation import SUPPORTED_VERSIONS, UUID, V1, V2

VERSION_HEADER = "X-Experience-API-Version"
_VERSIONS = ((re.compile(r"^1\.0(?:\.\d+)?$"), V1), (re.compile(r"^2\.0(?:\.\d+)?$"), V2))
# Statuses xAPI names; anything else a client caused is a 400 Bad Request.
_XAPI_STATUSES = frozenset({400, 401, 403, 404, 409, 412, 413})


def negotiate(header: str | None) -> str | None:
    """The version to answer in: 1.0.x -> 1.0.3, 2.0.x -> 2.0.0; None when unsupported."""
    if header is None:
        return None
    for pattern, version in _VERSIONS:
        if pattern.match(header.strip()):
            return version
    return None


def _error_response(request: Request, exc: Exception) -> Response:
    path = request.url.path
    if isinstance(exc, StrideError):
        status = status_for(exc)
        if status < 500 and status not in _XAPI_STATUSES:
            status = 400
        headers = {"WWW-Authenticate": 'Basic realm="Stride xAPI"'} if status == 401 else None
        return problem(status, exc.code, exc.detail, path, exc.errors, headers=headers)
    if isinstance(exc, RequestValidationError):
        return problem(400, "invalid_statement", "The request has invalid fields.", path)
    assert isinstance(exc, StarletteHTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
    return problem(exc.status_code, code, str(exc.detail), path, headers=exc.headers)


def _without_body(response: Response) -> Response:
    """The answer to HEAD: GET's status and headers (Content-Length included), no body."""
    empty = Response(status_code=response.status_code, background=response.background)
    empty.raw_headers = list(response.raw_headers)
    return empty


def add_head_routes(router: APIRouter) -> None:
    """Answer HEAD wherever GET is answered, as xAPI requires of an LRS.

    Each HEAD route runs the GET endpoint (same checks, status and headers) and XapiRoute
    drops the body. They stay out of the OpenAPI document: `methods=["GET", "HEAD"]` on one
    route would list a second operation per resource there.
    """
    for route in list(router.routes):
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
            router.add_api_route(
                route.path,
                route.endpoint,
                methods=["HEAD"],
                name=f"{route.name}_head",
                response_model=route.response_model,
                status_code=route.status_code,
                include_in_schema=False,
            )


class XapiRoute(APIRoute):
    """Checks the version header first, answers errors itself, and adds xAPI's headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        needs_version = not self.path.endswith("/about")

        async def route(request: Request) -> Response:
            header = request.headers.get(VERSION_HEADER)
            version = negotiate(header)
            request.state.xapi_version = version or V1
            try:
                if version is None and needs_version:
                    raise InvalidStatement(
                        f"Send the header {VERSION_HEADER} with a version this LRS speaks: "
                        f"{', '.join(SUPPORTED_VERSIONS)}."
                        + ("" if header is None else f" {header[:40]!r} is not one.")
                    )
                response = await handle(request)
            except (StrideError, RequestValidationError, StarletteHTTPException) as exc:
                response = _error_response(request, exc)
            response.headers[VERSION_HEADER] = version or V1
            response.headers["X-Experience-API-Consistent-Through"] = rfc3339(utc_now())
            return _without_body(response) if request.method == "HEAD" else response

        return route


router = APIRouter(tags=["xapi"], route_class=XapiRoute)


def _cache(request: Request) -> CredentialCache[Principal]:
    cache: CredentialCache[Principal] | None = getattr(request.app.state, "xapi_credentials", None)
    if cache is None:
        cache = request.app.state.xapi_credentials = CredentialCache()
    return cache


def _api_key(request: Request) -> str:
    """The API key behind `Authorization: Basic base64(<key id>:<secret>)` or `Bearer <key>`."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential:
        return credential
    if scheme.lower() == "basic" and credential:
        try:
            decoded = base64.b64decode(credential, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("The Basic credentials are not base64 of id:secret.") from None
        key_id, colon, secret = decoded.partition(":")
        if colon and key_id and secret:
            return f"{KEY_PREFIX}_{key_id}_{secret}"
    raise Unauthenticated(
        "Send HTTP Basic credentials (the API key's id as user, its secret as password) "
        "or `Authorization: Bearer <key>`."
    )


def _verify(engine: Engine, credential: str) -> Principal:
    with engine.connect() as connection:
        if looks_like_token(credential):
            return authenticate_token(connection, credential, utc_now())
        return authenticate(connection, credential)


async def _principal(request: Request, engine: Engine) -> Principal:
    """The caller, from the cache when it was verified lately (no thread hop, no query)."""
    credential = _api_key(request)
    if looks_like_token(credential):  # learner tokens expire: never cached
        return await run_in_threadpool(_verify, engine, credential)
    cache = _cache(request)
    cached = cache.peek(credential)
    if cached is not None:
        return cached
    return await run_in_threadpool(
        cache.get_or_verify, credential, lambda: _verify(engine, credential)
    )


def _xapi_caller(permission: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    allowed = PERMISSIONS[permission]

    async def check(request: Request, engine: EngineDep) -> Principal:
        principal = await _principal(request, engine)
        if principal.role not in allowed:
            raise PermissionDenied(
                f"A key with role {principal.role.value!r} may not do this; "
                f"it needs one of: {', '.join(sorted(r.value for r in allowed))}."
            )
        # In the request's task, so the endpoint's threads (copied contexts) see it: every
        # transaction of the request then runs under Row-Level Security for this tenant.
        current_tenant.set(principal.tenant_id)
        return principal

    return check


Writer = Annotated[Principal, Depends(_xapi_caller("events:write"))]
Reader = Annotated[Principal, Depends(_xapi_caller("xapi:read"))]


def _scope(request: Request, principal: Principal) -> XapiScope:
    authority = {
        "objectType": "Agent",
        "account": {"homePage": str(request.base_url).rstrip("/"), "name": principal.key_id},
    }
    return XapiScope(principal.tenant_id, principal.learner_secret, authority)


def _limits(settings: Any) -> ValidationLimits:
    return ValidationLimits(utc_now(), timedelta(hours=settings.MAX_FUTURE_SKEW_HOURS))


@router.get("/xapi/about", response_model=About, summary="The xAPI versions this LRS speaks")
async def about() -> About:
    return About(version=list(SUPPORTED_VERSIONS))


@router.post(
    "/xapi/statements",
    summary="Store xAPI statements",
    openapi_extra=POST_DOC,
    responses=ERRORS,
)
async def post_statements(
    request: Request, principal: Writer, engine: EngineDep, settings: SettingsDep
) -> Response:
    body, contents = await _read_statements(request, settings)
    statements = body if isinstance(body, list) else [body]
    if len(statements) > settings.MAX_BATCH_EVENTS:
        raise PayloadTooLarge(f"Send at most {settings.MAX_BATCH_EVENTS} statements at once.")
    if request.query_params:
        raise InvalidStatement(
            "POST /xapi/statements takes no query parameters here.",
            [FieldError(next(iter(request.query_params)), "is not accepted")],
        )
    recorded = await run_in_threadpool(
        record_statements,
        engine,
        _scope(request, principal),
        statements,
        request.state.xapi_version,
        _limits(settings),
        contents,
    )
    return JSONBody(recorded.ids)


@router.put(
    "/xapi/statements",
    status_code=204,
    summary="Store one xAPI statement under its id",
    openapi_extra=PUT_DOC,
    responses=ERRORS,
)
async def put_statement(
    request: Request, principal: Writer, engine: EngineDep, settings: SettingsDep
) -> Response:
    statement_id = request.query_params.get("statementId")
    if statement_id is None or not UUID.match(statement_id):
        raise InvalidStatement(
            "PUT /xapi/statements needs statementId.",
            [FieldError("statementId", "is required and must be a UUID")],
        )
    extra = sorted(set(request.query_params) - {"statementId"})
    if extra:
        raise InvalidStatement("Unknown parameter.", [FieldError(extra[0], "is not accepted")])
    statement, contents = await _read_statements(request, settings)
    if not isinstance(statement, dict):
        raise InvalidStatement("PUT takes one statement.", [FieldError("(body)", "not an object")])
    sent_id = statement.get("id")
    if sent_id is not None and (
        not isinstance(sent_id, str) or sent_id.lower() != statement_id.lower()
    ):
        raise InvalidStatement(
            "The statement's id differs from statementId.",
            [FieldError("id", "must equal the statementId parameter")],
        )
    statement = {**statement, "id": statement_id}
    await run_in_threadpool(
        record_statements,
        engine,
        _scope(request, principal),
        [statement],
        request.state.xapi_version,
        _limits(settings),
        contents,
    )
    return Response(status_code=204)


@router.get(
    "/xapi/statements", summary="Read xAPI statements", openapi_extra=GET_DOC, responses=ERRORS
)
async def get_statements(request: Request, principal: Reader, engine: EngineDep) -> Response:
    params = dict(request.query_params)
    after = None
    if "more" in params:
        params, after = read_more_token(request.query_params["more"])
    query = parse_query(params, after)
    scope = _scope(request, principal)
    languages = accepted_languages(request.headers.get("accept-language"))
    if query.statement_id or query.voided_statement_id:
        document, stored = await run_in_threadpool(get_statement, engine, scope, query, languages)
        headers = {"Last-Modified": format_datetime(stored, usegmt=True)}
        # A statement never changes; its rendering (format, language) is in the tag.
        headers["ETag"] = etag(document + params.get("attachments", "false").encode())
        if not_modified(headers["ETag"], request.headers.get("if-none-match")):
            return Response(status_code=304, headers=headers)
        return await _answer(engine, scope, params, document, [document], headers)
    documents, cursor = await run_in_threadpool(find_statements, engine, scope, query, languages)
    more = "" if cursor is None else f"{request.url.path}?more={more_token(params, cursor)}"
    body = b'{"statements":[' + b",".join(documents) + b'],"more":"' + more.encode() + b'"}'
    return await _answer(engine, scope, params, body, documents, {})


async def _read_statements(request: Request, settings: Any) -> tuple[Any, Contents | None]:
    """The JSON body; for multipart/mixed, the statements part and the attachment contents."""
    if media_type_of(request) != MIXED:
        return await read_json_body(request, settings.MAX_BODY_BYTES), None
    body = await read_body(request, settings.MAX_BODY_BYTES)
    return read_multipart(request.headers["content-type"], body, settings.MAX_BATCH_EVENTS)


async def _answer(
    engine: Engine,
    scope: XapiScope,
    params: dict[str, str],
    body: bytes,
    documents: list[bytes],
    headers: dict[str, str],
) -> Response:
    """JSON; with attachments=true, multipart/mixed with the attachments' contents after it."""
    if params.get("attachments") != "true":
        return Response(body, media_type="application/json", headers=headers)
    content, content_type = await run_in_threadpool(
        multipart_answer, engine, scope.tenant_id, scope.learner_secret, body, documents
    )
    return Response(content, media_type=content_type, headers=headers)


add_head_routes(router)
