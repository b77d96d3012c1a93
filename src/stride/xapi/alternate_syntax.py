"""The alternate request syntax of xAPI 1.0.3 (Communication 1.3), as an ASGI middleware.

Clients that cannot send PUT, DELETE or headers (old browsers' cross-domain requests) POST to
`/xapi/...?method=PUT` a form (application/x-www-form-urlencoded) holding the headers
(Authorization, X-Experience-API-Version, Content-Type, Content-Length, If-Match,
If-None-Match), the body as `content`, and the query parameters. The middleware rewrites such a
request into the ordinary one before routing, so every xAPI resource accepts it. `method` with
any other query parameter, on a method other than POST, or under xAPI 2.0 (which dropped the
syntax) is refused with 400.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stride.api.problems import problem
from stride.clock import utc_now
from stride.errors import FieldError
from stride.xapi.mapping import rfc3339

PREFIX = "/xapi/"
METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})
FORM = "application/x-www-form-urlencoded"
HEADER_FIELDS = frozenset(
    {
        "authorization",
        "x-experience-api-version",
        "content-type",
        "content-length",
        "if-match",
        "if-none-match",
    }
)
_BODY_HEADERS = frozenset({b"content-type", b"content-length"})


class AlternateSyntaxError(ValueError):
    def __init__(self, path: str, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.status = status


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _is_v2(version: str | None) -> bool:
    return version is not None and version.strip().startswith("2.")


def _check_request(scope: Scope, query: list[tuple[str, str]]) -> str:
    """The intended method; raises AlternateSyntaxError for a request xAPI does not allow."""
    if _is_v2(_header(scope, b"x-experience-api-version")):
        raise AlternateSyntaxError("method", "xAPI 2.0 has no alternate request syntax")
    if scope["method"] != "POST":
        raise AlternateSyntaxError("method", "the alternate request syntax is sent with POST")
    names = [name for name, _ in query]
    if names.count("method") > 1:
        raise AlternateSyntaxError("method", "is given more than once")
    extra = sorted(set(names) - {"method"})
    if extra:
        reason = "is not allowed in the query string with method=; send it as a form field"
        raise AlternateSyntaxError(extra[0], reason)
    method = dict(query)["method"].upper()
    if method not in METHODS:
        raise AlternateSyntaxError("method", "must be GET, PUT, POST or DELETE")
    content_type = _header(scope, b"content-type")
    if content_type is not None and content_type.split(";")[0].strip().lower() != FORM:
        raise AlternateSyntaxError("Content-Type", f"must be {FORM} with method=")
    return method


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=True) if text else []
    except (UnicodeDecodeError, ValueError):
        raise AlternateSyntaxError("(body)", f"must be a UTF-8 {FORM} form") from None
    names = [name.lower() for name, _ in fields]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise AlternateSyntaxError(repeated[0], "is given more than once")
    return fields


def rewrite(scope: Scope, method: str, body: bytes) -> tuple[Scope, bytes]:
    """The ordinary request the form stands for: (scope, body)."""
    headers: dict[bytes, bytes] = {}
    query: list[tuple[str, str]] = []
    content = b""
    has_content = False
    for name, value in _form(body):
        if name.lower() in HEADER_FIELDS:
            headers[name.lower().encode()] = value.encode("latin-1", "replace")
        elif name == "content":
            content, has_content = value.encode("utf-8"), True
        else:
            query.append((name, value))
    if _is_v2(headers.get(b"x-experience-api-version", b"").decode("latin-1")):
        raise AlternateSyntaxError("X-Experience-API-Version", "xAPI 2.0 has no alternate syntax")
    headers.pop(b"content-length", None)
    if has_content and b"content-type" not in headers and scope["path"] == "/xapi/statements":
        headers[b"content-type"] = b"application/json"
    if not has_content:
        headers.pop(b"content-type", None)
    kept = [(k, v) for k, v in scope["headers"] if k not in headers and k not in _BODY_HEADERS]
    new_headers = [*kept, *headers.items(), (b"content-length", str(len(content)).encode())]
    new_scope = {
        **scope,
        "method": method,
        "query_string": urlencode(query).encode("ascii"),
        "headers": new_headers,
    }
    return new_scope, content


class AlternateSyntaxMiddleware:
    """Turns `POST /xapi/...?method=X` with a form into the request it stands for."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if not any(name == "method" for name, _ in query):
            await self.app(scope, receive, send)
            return
        try:
            method = _check_request(scope, query)
            new_scope, content = rewrite(scope, method, await self._body(receive))
        except AlternateSyntaxError as exc:
            await self._refuse(scope, receive, send, exc)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": content, "more_body": False}

        await self.app(new_scope, replay, send)

    async def _body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise AlternateSyntaxError("(body)", f"is larger than {self.max_bytes} bytes", 413)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, exc: AlternateSyntaxError
    ) -> None:
        version = "2.0.0" if _is_v2(_header(scope, b"x-experience-api-version")) else "1.0.3"
        headers = {
            "X-Experience-API-Version": version,
            "X-Experience-API-Consistent-Through": rfc3339(utc_now()),
        }
        detail = "The request does not follow the xAPI alternate request syntax."
        code = "invalid_statement" if exc.status == 400 else "payload_too_large"
        errors = [FieldError(exc.path, exc.reason)]
        response = problem(exc.status, code, detail, scope["path"], errors, headers=headers)
        await response(scope, receive, send)
