"""The WebSocket transport, `/v1/ws`: the same messages as the SSE streams, as JSON text frames.

The client authenticates with its first message, never in the URL (URLs end up in logs):
`{"token": "<API key or learner token>", "learner": "<id or null>", "last_event_id": N}`.
`learner` null opens the tenant's feed (permission analytics:read), an id that learner's
stream (learners:read; a learner token opens its own only). Stride answers `{"type":
"ready"}` once subscribed; a refusal is an `error` message, then the socket closes with
4400, 4401 or 4403.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from stride.clock import utc_now
from stride.errors import InvalidInput, PermissionDenied, StrideError, Unauthenticated
from stride.privacy.pseudonym import learner_key
from stride.realtime.framing import heartbeat_body, parse_last_event_id, ws_text
from stride.realtime.hub import StreamHub
from stride.realtime.messages import DROPPED
from stride.store.aliases import canonical_key
from stride.tenancy.audit import ReadAuditBuffer
from stride.tenancy.roles import PERMISSIONS, STAFF
from stride.tenancy.service import Principal, authenticate
from stride.tenancy.tokens import authenticate_token, looks_like_token

HELLO_TIMEOUT_S = 10.0
MAX_CREDENTIAL = 4096
MAX_LEARNER_ID = 256
CLOSE_DROPPED = 1013  # "try again later": the client fell behind; reconnect and resume


@dataclass(frozen=True)
class Hello:
    token: str
    learner: str | None
    last_event_id: int | None


def parse_hello(raw: Any) -> Hello:
    """The first message's fields; raises InvalidInput for anything else."""
    if not isinstance(raw, Mapping):
        raise InvalidInput('The first message must be {"token": ..., "learner": ...}.')
    token, learner = raw.get("token"), raw.get("learner")
    if not isinstance(token, str) or not 0 < len(token) <= MAX_CREDENTIAL:
        raise InvalidInput('The first message needs "token": an API key or learner token.')
    if learner is not None and (
        not isinstance(learner, str) or not 0 < len(learner) <= MAX_LEARNER_ID
    ):
        raise InvalidInput('"learner" must be a learner id (1 to 256 characters) or null.')
    return Hello(token, learner, parse_last_event_id(raw.get("last_event_id")))


def authorize(engine: Engine, hello: Hello) -> tuple[Principal, str | None]:
    """The caller and the learner key of the stream it may open (None: the tenant's feed).

    Raises Unauthenticated or PermissionDenied, as the HTTP streams answer 401 and 403.
    """
    with engine.connect() as connection:
        if looks_like_token(hello.token):
            principal = authenticate_token(connection, hello.token, utc_now())
        else:
            principal = authenticate(connection, hello.token)
    permission = "analytics:read" if hello.learner is None else "learners:read"
    if principal.role not in PERMISSIONS[permission]:
        raise PermissionDenied(f"A key with role {principal.role.value!r} may not open this.")
    if hello.learner is None:
        return principal, None
    with engine.connect() as connection:
        key = canonical_key(
            connection, principal.tenant_id, learner_key(principal.learner_secret, hello.learner)
        )
        own = principal.learner_key
        if own is not None and key != canonical_key(connection, principal.tenant_id, own):
            raise PermissionDenied("This learner token may read only its own learner's data.")
    return principal, key


def _close_code(error: StrideError) -> int:
    if isinstance(error, Unauthenticated):
        return 4401
    return 4403 if isinstance(error, PermissionDenied) else 4400


async def serve_websocket(
    websocket: WebSocket, hub: StreamHub, audit_buffer: ReadAuditBuffer
) -> None:
    """Authenticate the first message, then stream until either side ends it."""
    await websocket.accept()
    try:
        raw = await asyncio.wait_for(websocket.receive_json(), HELLO_TIMEOUT_S)
        hello = parse_hello(raw)
        principal, key = await run_in_threadpool(authorize, hub.engine, hello)
    except (WebSocketDisconnect, TimeoutError):
        await _close_quietly(websocket, 1000)
        return
    except (StrideError, ValueError, KeyError, TypeError) as error:
        failure = error if isinstance(error, StrideError) else InvalidInput("Not JSON.")
        await websocket.send_json({"type": "error", "detail": failure.detail})
        await _close_quietly(websocket, _close_code(failure))
        return
    if key is not None and principal.role in STAFF:
        audit_buffer.record(principal, "learner.read", "/v1/ws", key)
    subscription = await hub.subscribe(principal.tenant_id, key)
    await websocket.send_json({"type": "ready", "learner_key": key})
    try:
        messages = hub.stream(subscription, hello.last_event_id)
        code = await _pump_until_closed(websocket, messages)
    finally:
        hub.broker.unsubscribe(subscription)
    await _close_quietly(websocket, code)


async def _pump_until_closed(websocket: WebSocket, messages: Any) -> int:
    async def pump() -> int:
        async for message in messages:
            if message is None:
                await websocket.send_json(heartbeat_body())
                continue
            await websocket.send_text(ws_text(message))
            if message.type == DROPPED:
                return CLOSE_DROPPED
        return 1000

    async def watch() -> int:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            continue  # clients send nothing after their first message; ignore what they do
        return 1000

    tasks = [asyncio.ensure_future(pump()), asyncio.ensure_future(watch())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        first = done.pop()
        return first.result() if first.exception() is None else 1011
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await messages.aclose()


async def _close_quietly(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(RuntimeError):  # already closed by the client
        await websocket.close(code)
