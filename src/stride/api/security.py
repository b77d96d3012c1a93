"""HTTP hardening: security headers, CORS, and the order the protective middleware runs in."""

from __future__ import annotations

import time
from collections.abc import Collection

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stride.api.limits import BodySizeLimitMiddleware, BodyTooLarge, RateLimitMiddleware, too_large
from stride.api.rate_limit import RateLimiter
from stride.config import Settings

Header = tuple[bytes, bytes]

CORS_METHODS = ("GET", "POST", "PUT", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response; a header the route set itself is kept."""

    def __init__(
        self,
        app: ASGIApp,
        content_security_policy: str,
        hsts_seconds: int,
        same_origin_resources: bool,
        html_paths: Collection[str],
    ) -> None:
        self.app = app
        common: list[Header] = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if same_origin_resources:
            common.append((b"cross-origin-resource-policy", b"same-origin"))
        if hsts_seconds > 0:
            common.append((b"strict-transport-security", f"max-age={hsts_seconds}".encode()))
        csp = [(b"content-security-policy", content_security_policy.encode())]
        api = common + csp if content_security_policy else common
        # The interactive docs are HTML pulling scripts from a CDN: a JSON-only CSP breaks them.
        self._html = common
        self._html_paths = frozenset(html_paths)
        self._api = api
        # API answers are per caller and often personal data: no cache may keep them.
        self._v1 = [*api, (b"cache-control", b"no-store")]

    def _headers_for(self, path: str) -> list[Header]:
        if path.startswith("/v1/"):
            return self._v1
        return self._html if path in self._html_paths else self._api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in extra if header[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_http_hardening(app: FastAPI, settings: Settings) -> None:
    """Add the middleware. Starlette runs the last one added first, so the order below is
    innermost first: size limit, rate limit, CORS, security headers (outermost of these).

    Hence CORS answers preflights before any limit or auth; limits reject before routing and
    auth; every answer, the 413s, 429s and preflights included, gets the security headers.
    """
    app.add_exception_handler(BodyTooLarge, too_large)
    # Ingest and catalog bodies are checked against MAX_BODY_BYTES by their routes.
    large = max(settings.MAX_REQUEST_BYTES, settings.MAX_BODY_BYTES)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.MAX_REQUEST_BYTES,
        route_max_bytes={("POST", "/v1/events"): large, ("PUT", "/v1/catalog"): large},
    )
    if settings.RATE_LIMIT_PER_SECOND > 0:
        limiter = RateLimiter(
            settings.RATE_LIMIT_PER_SECOND, settings.RATE_LIMIT_BURST, time.monotonic
        )
        app.add_middleware(RateLimitMiddleware, limiter=limiter)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            # Browser clients need it to back off after a 429.
            expose_headers=("Retry-After",),
        )
    html_paths = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    app.add_middleware(
        SecurityHeadersMiddleware,
        content_security_policy=settings.CONTENT_SECURITY_POLICY,
        hsts_seconds=settings.HSTS_SECONDS,
        same_origin_resources=not settings.CORS_ORIGINS,
        html_paths=[path for path in html_paths if path],
    )
