"""Exceptions of the Stride SDK (independent of the server's own error classes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field of a request, as the server reported it."""

    path: str
    reason: str


class StrideSDKError(Exception):
    """Base of every error the SDK raises on purpose."""


class StrideAPIError(StrideSDKError):
    """The server answered with an error (an RFC 9457 problem+json body when it could)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        code: str | None = None,
        errors: list[FieldProblem] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code
        self.errors = errors or []
        self.body = body


class StrideConnectionError(StrideSDKError):
    """The server could not be reached (connection refused, timeout, ...)."""


class QueueFull(StrideSDKError):
    """`track()` was called while `max_queue` events were waiting to be delivered."""


class ClientClosed(StrideSDKError):
    """The client was used after `close()`."""
