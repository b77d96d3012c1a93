"""xAPI documents (State, Activity Profile, Agent Profile): ETags, preconditions, JSON merge.

Pure. The LRS keeps each document as the bytes it was sent with their content type; a POST
of a JSON object onto a stored JSON object merges their top-level properties. Concurrency
follows xAPI 1.0.3 (Communication 3.1) and 2.0 (IEEE 9274.1.1, 4.1.4): If-Match and
If-None-Match are honoured on every write, and a PUT onto an existing document without either
header is refused (409) for profiles, and under 2.0 for state documents too.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

import orjson

from stride.errors import Conflict, InvalidInput, PreconditionFailed
from stride.xapi.validation import V2

JSON_MEDIA_TYPE = "application/json"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class DocumentKind(StrEnum):
    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


class InvalidDocumentRequest(InvalidInput):
    """A document request xAPI does not allow: bad parameters, or a merge it forbids (400)."""

    code = "invalid_xapi_request"


def etag(content: bytes) -> str:
    """The strong entity tag of a document: its SHA-1 in lowercase hex, quoted (xAPI 3.1)."""
    return '"' + hashlib.sha1(content, usedforsecurity=False).hexdigest() + '"'


def _tags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque tag) per entry of an If-Match / If-None-Match list; `*` stays `*`."""
    tags = []
    for part in header.split(","):
        item = part.strip()
        weak = item.startswith(("W/", "w/"))
        item = item[2:] if weak else item
        if item:
            # Quotes are required by RFC 9110, but some xAPI clients send the bare hex.
            tags.append((weak, item if item == "*" else '"' + item.strip('"').lower() + '"'))
    return tags


def not_modified(current: str, if_none_match: str | None) -> bool:
    """Whether a GET's If-None-Match names the current ETag (weak comparison, RFC 9110 13.1.2):
    the answer is then 304 Not Modified, without the content."""
    if if_none_match is None:
        return False
    return any(tag in ("*", current) for _, tag in _tags(if_none_match))


def check_preconditions(
    current: str | None,
    if_match: str | None,
    if_none_match: str | None,
    *,
    is_put: bool,
    header_required: bool,
) -> None:
    """Raise PreconditionFailed when a sent precondition fails against the document's current
    ETag (None: no document), and Conflict when a PUT would overwrite a document unseen.

    If-Match uses the strong comparison (a weak tag never matches); If-None-Match the weak one.
    """
    if if_match is not None:
        tags = _tags(if_match)
        matched = current is not None and any(
            tag == "*" or (not weak and tag == current) for weak, tag in tags
        )
        if not matched:
            raise PreconditionFailed(
                "If-Match does not hold: the document changed or does not exist; "
                "GET it again and send its current ETag."
            )
    if (
        if_none_match is not None
        and current is not None
        and any(tag in ("*", current) for _, tag in _tags(if_none_match))
    ):
        raise PreconditionFailed("If-None-Match does not hold: the document exists.")
    unseen = if_match is None and if_none_match is None
    if is_put and header_required and current is not None and unseen:
        raise Conflict(
            "The document exists, so the If-Match header is required: GET the document "
            "to check its current state, then PUT with If-Match set to its ETag."
        )


def header_required(kind: DocumentKind, version: str) -> bool:
    """Whether a PUT onto an existing document of `kind` must carry a precondition."""
    return kind is not DocumentKind.STATE or version == V2


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    return media_type(content_type) == JSON_MEDIA_TYPE


def check_content(content: bytes, content_type: str) -> None:
    """A document declared as JSON must be JSON (xAPI: content type and content must agree)."""
    if is_json(content_type):
        try:
            orjson.loads(content)
        except orjson.JSONDecodeError:
            raise InvalidDocumentRequest(
                "The document is declared application/json but is not valid JSON."
            ) from None


def _json_object(content: bytes, which: str) -> dict[str, Any]:
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise InvalidDocumentRequest(
            f"The {which} document is not a JSON object, so POST cannot merge; "
            "PUT replaces a document whole."
        )
    return value


def merge(stored: bytes, stored_type: str, posted: bytes, posted_type: str) -> bytes:
    """The stored JSON object with the posted object's top-level properties set on it.

    Raises InvalidDocumentRequest (400) unless both documents are application/json objects.
    """
    if not (is_json(stored_type) and is_json(posted_type)):
        raise InvalidDocumentRequest(
            "POST merges only an application/json document into a stored application/json "
            "document; PUT replaces a document whole."
        )
    merged = _json_object(stored, "stored")
    merged.update(_json_object(posted, "posted"))
    return orjson.dumps(merged)
