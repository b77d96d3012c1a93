"""How messages travel: Server-Sent Events frames, WebSocket text frames, `Last-Event-ID`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from stride.errors import InvalidInput
from stride.realtime.messages import Message

SSE_MEDIA_TYPE = "text/event-stream"
HEARTBEAT_FRAME = b": heartbeat\n\n"
# Proxies must pass each frame on at once (nginx buffers responses unless told otherwise).
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
MAX_EVENT_ID = 2**63 - 1


def sse_frame(message: Message) -> bytes:
    """`id:` (when the message stands for a log seq), `event:` and one `data:` line of JSON."""
    head = f"id: {message.id}\n" if message.id is not None else ""
    data = orjson.dumps(message.body())
    return f"{head}event: {message.type}\n".encode() + b"data: " + data + b"\n\n"


async def sse_frames(messages: AsyncIterator[Message | None]) -> AsyncIterator[bytes]:
    """Frames for a stream's messages; None (a heartbeat due) becomes a comment line."""
    # Sent first so clients (and proxies) see the stream open before the first message.
    yield b": stream open\n\n"
    async for message in messages:
        yield HEARTBEAT_FRAME if message is None else sse_frame(message)


def ws_text(message: Message) -> str:
    return orjson.dumps(message.body()).decode()


def heartbeat_body() -> dict[str, Any]:
    return {"type": "heartbeat"}


def parse_last_event_id(value: Any) -> int | None:
    """A client's `Last-Event-ID` (a log seq); None when absent or empty. Raises InvalidInput."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput("Last-Event-ID must be a message id (a whole number).")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        number = int(value.strip())
    else:
        raise InvalidInput("Last-Event-ID must be a message id (a whole number).")
    if not 0 <= number <= MAX_EVENT_ID:
        raise InvalidInput("Last-Event-ID must be a message id (a whole number).")
    return number
