"""Errors raised by Stride's services, independent of HTTP or the CLI.

StrideError
├── NotFound
├── Conflict
├── InvalidInput
│   └── InvalidEvent
├── PayloadTooLarge
├── Unauthenticated
├── PermissionDenied
│   └── ConsentRequired
└── ConfigurationError
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of the input: a dotted path and the reason."""

    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


class StrideError(Exception):
    """Base of every error Stride raises on purpose."""

    code = "error"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(StrideError):
    """The thing asked for does not exist in this tenant."""

    code = "not_found"


class Conflict(StrideError):
    """The request contradicts what is already stored."""

    code = "conflict"


class PreconditionFailed(Conflict):
    """An If-Match or If-None-Match precondition of the request does not hold (HTTP 412)."""

    code = "precondition_failed"


class InvalidInput(StrideError):
    """The input is well-formed but breaks a rule; `errors` names the fields."""

    code = "invalid_input"


class InvalidEvent(InvalidInput):
    """An event failed validation."""

    code = "invalid_event"


class PayloadTooLarge(StrideError):
    """The request carries more data or more events than allowed."""

    code = "payload_too_large"


class Unauthenticated(StrideError):
    """No API key, or one Stride does not know."""

    code = "unauthenticated"


class PermissionDenied(StrideError):
    """The key is valid but its role may not do this."""

    code = "permission_denied"


class ConsentRequired(PermissionDenied):
    """The learner has not consented to the purpose this would serve."""

    code = "consent_required"


class ConfigurationError(StrideError):
    """The operator's configuration is missing or wrong (e.g. no master key)."""

    code = "configuration_error"
