"""Map errors to RFC 9457 problem+json responses: one class -> status table, registered once."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from stride.api.responses import ProblemBody
from stride.errors import (
    ConfigurationError,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    StrideError,
    Unauthenticated,
)
from stride.events.validation import field_path

log = structlog.get_logger()

STATUS_BY_ERROR: dict[type[StrideError], int] = {
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    InvalidInput: 422,
    PayloadTooLarge: 413,
    Unauthenticated: 401,
    PermissionDenied: 403,
    # The operator's setup is wrong (e.g. the master key): not the client's doing.
    ConfigurationError: 503,
}


class BadRequest(StrideError):
    """The request body cannot be parsed."""

    code = "malformed_request"


class UnsupportedMediaType(StrideError):
    """The request body is not JSON."""

    code = "unsupported_media_type"


STATUS_BY_ERROR.update({BadRequest: 400, UnsupportedMediaType: 415})


def status_for(error: StrideError) -> int:
    # Walk the MRO so a subclass (InvalidEvent) maps like its parent (InvalidInput).
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def problem(
    status: int,
    code: str,
    detail: str,
    instance: str,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:stride:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if errors:
        body["errors"] = [error.as_dict() for error in errors]
    if extra:
        body.update(extra)
    return ProblemBody(body, status_code=status, headers=headers)


async def _stride_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StrideError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, exc.code, exc.detail, request.url.path, exc.errors, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(field_path(tuple(error["loc"])), str(error["msg"])) for error in exc.errors()
    ]
    return problem(
        422, "invalid_input", "The request has invalid fields.", request.url.path, errors
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
    return problem(exc.status_code, code, str(exc.detail), request.url.path, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path)
    return problem(500, "internal_error", "Stride hit an unexpected error.", request.url.path)


# Seconds a client should wait before retrying while the database is away.
DATABASE_RETRY_AFTER_S = 2
# SQLite's operational errors that mean "busy, try again" (others are bugs: a 500).
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def _database_is_away(exc: Exception) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    assert isinstance(exc, OperationalError)
    if exc.connection_invalidated or "sqlite" not in type(exc.orig).__module__:
        return True  # PostgreSQL: lost connection, server shutting down or refusing, ...
    return any(busy in str(exc.orig) for busy in _SQLITE_BUSY)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """503 with Retry-After while the database cannot be reached or stays locked; the pool
    checks connections before use (pool_pre_ping), so service resumes once it is back."""
    if not _database_is_away(exc):
        return await _unexpected_error(request, exc)
    log.warning("database_unavailable", path=request.url.path, error=str(exc).splitlines()[0])
    return problem(
        503,
        "database_unavailable",
        "The database is unavailable for a moment; retry the request later.",
        request.url.path,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StrideError, _stride_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
