"""Reject oversized bodies (413) and callers over their rate (429) before routing and auth."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stride.api.problems import problem
from stride.api.rate_limit import RateLimiter, retry_after_seconds
from stride.errors import PayloadTooLarge
from stride.tenancy.keys import parse_key

# Probes and scrapes must keep answering while a client floods the API.
RATE_LIMIT_EXEMPT = frozenset({"/readyz", "/metrics"})


def is_rate_limit_exempt(path: str) -> bool:
    return path in RATE_LIMIT_EXEMPT or path.startswith("/health")


class BodyTooLarge(StarletteHTTPException):
    """A body without (or beyond) its Content-Length grew past the limit while being read."""

    # An HTTPException, because FastAPI turns anything else raised while it reads a body
    # into a 400; `too_large` (registered as its handler) renders it like a declared overflow.
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body is larger than {limit} bytes.")
        self.limit = limit


def too_large_response(limit: int, path: str) -> Response:
    return problem(413, PayloadTooLarge.code, f"The body is larger than {limit} bytes.", path)


async def too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyTooLarge)
    return too_large_response(exc.limit, request.url.path)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodySizeLimitMiddleware:
    """413 for a declared Content-Length over the limit, and for a body that grows past it."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, route_max_bytes: Mapping[tuple[str, str], int]
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (method, path) -> limit, for routes that take bigger bodies and check them themselves.
        self.route_max_bytes = dict(route_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.route_max_bytes.get((scope["method"], scope["path"]), self.max_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await too_large_response(limit, scope["path"])(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # Normally the app's handler renders it; this covers apps without one.
            if started:
                raise
            await too_large_response(limit, scope["path"])(scope, receive, send)


def bucket_key(scope: Scope) -> str:
    """The API key id of a well-shaped Bearer key (unverified: no database here), else the IP."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            parsed = parse_key(token.strip()) if scheme.lower() == "bearer" else None
            if parsed is not None:
                return f"key:{parsed[0]}"
            break
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class RateLimitMiddleware:
    """429 with `Retry-After` once a caller's token bucket is empty."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_rate_limit_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.take(bucket_key(scope))
        if wait == 0.0:
            await self.app(scope, receive, send)
            return
        seconds = retry_after_seconds(wait)
        response = problem(
            429,
            "rate_limited",
            f"Too many requests; wait {seconds} second{'s' if seconds != 1 else ''} "
            "before retrying.",
            scope["path"],
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)
