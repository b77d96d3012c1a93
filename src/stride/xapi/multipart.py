"""multipart/mixed bodies (RFC 2046) for statements with attachments: parse and render (pure).

Only what xAPI needs: the boundary parameter, parts of header lines and raw octets, no
nesting and no transfer decoding (xAPI sends attachment parts as binary). Lines end with
CRLF; a bare LF is tolerated, as some clients write them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message

from stride.errors import FieldError
from stride.xapi.errors import InvalidStatement

MIXED = "multipart/mixed"
_MAX_BOUNDARY = 70  # RFC 2046 section 5.1.1
_MAX_HEADER_BYTES = 8192


@dataclass(frozen=True)
class Part:
    headers: dict[str, str]  # names in lower case
    body: bytes


def _bad(reason: str, path: str = "(body)") -> InvalidStatement:
    return InvalidStatement(
        "The body is not a valid multipart/mixed document.", [FieldError(path, reason)]
    )


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def boundary_of(content_type: str) -> str:
    """The `boundary` parameter of a multipart Content-Type header; 400 when it has none."""
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary", header="content-type")
    if not isinstance(boundary, str) or not boundary or len(boundary) > _MAX_BOUNDARY:
        raise _bad("needs a boundary parameter of 1 to 70 characters", "Content-Type")
    return boundary


def _headers(block: bytes) -> dict[str, str]:
    if len(block) > _MAX_HEADER_BYTES:
        raise _bad("a part's headers are too long")
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("a part's headers are not UTF-8") from None
    headers: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        if line[0] in " \t" and last:  # folded header line
            headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or name != name.rstrip():
            raise _bad(f"a part has a header line that is not 'Name: value': {line[:60]!r}")
        last = name.strip().lower()
        headers[last] = value.strip()
    return headers


def _part(segment: bytes) -> Part:
    # After the delimiter: optional whitespace (transport padding), then the line break.
    line_end = segment.find(b"\n")
    if line_end < 0 or segment[:line_end].strip(b" \t\r"):
        raise _bad("a boundary line is followed by other text")
    rest = segment[line_end + 1 :]
    if rest.startswith(b"\r\n") or rest.startswith(b"\n"):  # no headers
        return Part({}, rest[2:] if rest.startswith(b"\r\n") else rest[1:])
    found = [(rest.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n") if sep in rest]
    if not found:
        raise _bad("a part has no empty line between its headers and its content")
    end, separator = min(found)
    return Part(_headers(rest[:end]), rest[end + len(separator) :])


def parse_multipart(body: bytes, boundary: str, max_parts: int) -> list[Part]:
    """The parts of `body`, in order; 400 for a body that is not multipart with `boundary`."""
    delimiter = b"\n--" + boundary.encode("latin-1")
    segments = (b"\n" + body).split(delimiter)
    if len(segments) < 2:
        raise _bad("holds no part starting with the boundary of the Content-Type header")
    if len(segments) - 1 > max_parts + 1:
        raise _bad(f"holds more than {max_parts} parts")
    *middle, last = segments[1:]
    if not last.startswith(b"--"):
        raise _bad("does not end with the closing boundary (--boundary--)")
    parts = []
    for segment in middle:
        if segment.startswith(b"--"):
            raise _bad("has parts after the closing boundary")
        part = _part(segment)
        # The line break before a delimiter belongs to the delimiter.
        content = part.body[:-1] if part.body.endswith(b"\r") else part.body
        parts.append(Part(part.headers, content))
    if not parts:
        raise _bad("holds no part")
    return parts


def render_multipart(parts: Sequence[tuple[Mapping[str, str], bytes]]) -> tuple[bytes, str]:
    """(body, Content-Type header) of a multipart/mixed document holding `parts` in order."""
    while True:
        boundary = "stride-" + secrets.token_hex(16)
        marker = boundary.encode()
        if not any(marker in body for _, body in parts):
            break
    chunks: list[bytes] = []
    for headers, body in parts:
        lines = [f"--{boundary}", *(f"{name}: {value}" for name, value in headers.items())]
        chunks.append(("\r\n".join(lines) + "\r\n\r\n").encode())
        chunks.append(body)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    # Unquoted: the boundary is a token, and some clients' parsers keep the quotes.
    return b"".join(chunks), f"{MIXED}; boundary={boundary}"
