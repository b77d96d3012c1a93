"""Read a JSON request body within size and media-type limits."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from stride.api.problems import BadRequest, UnsupportedMediaType
from stride.errors import PayloadTooLarge


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body; raises PayloadTooLarge past `max_bytes` without reading further."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"The body is larger than {max_bytes} bytes; send smaller batches.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(
                f"The body is larger than {max_bytes} bytes; send smaller batches."
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_body(request: Request, max_bytes: int) -> Any:
    """Parse the body; raises UnsupportedMediaType, PayloadTooLarge or BadRequest."""
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("Send the body as JSON with `Content-Type: application/json`.")
    body = await read_body(request, max_bytes)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from None
