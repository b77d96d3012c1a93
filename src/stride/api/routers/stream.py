"""Live streams: a learner's changes and a tenant's feed as Server-Sent Events, and both over a
WebSocket (docs/streams.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, WebSocket
from starlette.responses import StreamingResponse

from stride.api.deps import LearnerReader, learner_key_for, require
from stride.realtime.broker import Subscription
from stride.realtime.framing import SSE_HEADERS, SSE_MEDIA_TYPE, parse_last_event_id, sse_frames
from stride.realtime.hub import StreamHub
from stride.realtime.websocket import serve_websocket
from stride.tenancy.service import Principal

router = APIRouter(tags=["streams"])

LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", max_length=40, description="Resume after this message id"),
]
Staff = Annotated[Principal, Depends(require("analytics:read"))]

_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`text/event-stream`: `id:`, `event:` and JSON `data:` per message",
        "content": {SSE_MEDIA_TYPE: {}},
    }
}


def _hub(request: Request) -> StreamHub:
    hub: StreamHub = request.app.state.streams
    return hub


async def _stream(
    request: Request, tenant_id: str, learner_key: str | None, last_event_id: str | None
) -> StreamingResponse:
    after = parse_last_event_id(last_event_id)
    hub = _hub(request)
    subscription = await hub.subscribe(tenant_id, learner_key)
    return StreamingResponse(
        _frames(hub, subscription, after), media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS
    )


async def _frames(
    hub: StreamHub, subscription: Subscription, after: int | None
) -> AsyncIterator[bytes]:
    try:
        async for frame in sse_frames(hub.stream(subscription, after)):
            yield frame
    finally:
        hub.broker.unsubscribe(subscription)


@router.get(
    "/v1/learners/{learner_id}/stream",
    response_class=StreamingResponse,
    responses=_STREAM_DOC,
    summary="A learner's changes, live (Server-Sent Events)",
)
async def learner_stream(
    request: Request,
    learner_id: LearnerId,
    principal: LearnerReader,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    key = learner_key_for(principal, learner_id)
    return await _stream(request, principal.tenant_id, key, last_event_id)


@router.get(
    "/v1/stream",
    response_class=StreamingResponse,
    responses=_STREAM_DOC,
    summary="The tenant's feed, live (Server-Sent Events), for staff dashboards",
)
async def tenant_stream(
    request: Request, principal: Staff, last_event_id: LastEventId = None
) -> StreamingResponse:
    return await _stream(request, principal.tenant_id, None, last_event_id)


@router.websocket("/v1/ws")
async def websocket_stream(websocket: WebSocket) -> None:
    """The same messages over a WebSocket; the first message authenticates."""
    await serve_websocket(websocket, websocket.app.state.streams, websocket.app.state.read_audit)
