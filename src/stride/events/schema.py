"""The validated shape of an incoming learning event (Pydantic v2)."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

from stride.events.types import ACTIVITY_TYPES, EVENT_TYPE_PATTERN

MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 4096
MAX_SKILLS = 100
MAX_CONTEXT_EXTRA_KEYS = 20
MAX_PROPERTIES_DEPTH = 5
MAX_PROPERTIES_NODES = 500
MAX_PROPERTY_KEY_LENGTH = 128
MAX_DURATION_S = 7 * 24 * 3600

# RFC 3339 date-time: the offset (Z or ±hh:mm) is mandatory.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)

Identifier = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]

ActivityType = Literal[
    "program", "course", "module", "lesson", "block", "exercise", "assessment", "meeting"
]
assert set(ActivityType.__args__) == set(ACTIVITY_TYPES)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Activity(_Strict):
    id: Identifier
    type: ActivityType


class Result(_Strict):
    # Strict numbers: an int is a number, but "0.5" and true are not.
    score: Annotated[Number, Field(ge=0.0, le=1.0)] | None = None
    success: StrictBool | None = None
    completion: StrictBool | None = None
    duration_s: Annotated[Number, Field(ge=0.0, le=MAX_DURATION_S)] | None = None
    response: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH)] | None = None


ContextText = Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH)]
ContextScalar = ContextText | StrictInt | Number | StrictBool | None


class Context(BaseModel):
    """Where the event happened; up to MAX_CONTEXT_EXTRA_KEYS more scalar keys are allowed."""

    model_config = ConfigDict(extra="allow", frozen=True)
    # Typing the extras makes pydantic-core check their values (the key count is checked after).
    __pydantic_extra__: dict[str, ContextScalar]

    program: Identifier | None = None
    course: Identifier | None = None
    module: Identifier | None = None
    platform: Identifier | None = None
    attempt: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None


def _check_scalar(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: must be a finite number")
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT_LENGTH:
            raise ValueError(f"{path}: longer than {MAX_TEXT_LENGTH} characters")
        return
    raise ValueError(f"{path}: must be a string, number, boolean or null")


def check_properties(value: Any, path: str = "properties", depth: int = 1) -> int:
    """Walk free-form properties; return the number of nodes, raise ValueError past a bound."""
    if depth > MAX_PROPERTIES_DEPTH:
        raise ValueError(f"{path}: nests deeper than {MAX_PROPERTIES_DEPTH} levels")
    if isinstance(value, dict):
        nodes = 1
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > MAX_PROPERTY_KEY_LENGTH:
                raise ValueError(
                    f"{path}: has a key longer than {MAX_PROPERTY_KEY_LENGTH} characters"
                )
            nodes += check_properties(item, f"{path}.{key}", depth + 1)
            if nodes > MAX_PROPERTIES_NODES:
                raise ValueError(f"{path}: properties hold more than {MAX_PROPERTIES_NODES} values")
        return nodes
    if isinstance(value, list):
        nodes = 1
        for index, item in enumerate(value):
            nodes += check_properties(item, f"{path}[{index}]", depth + 1)
            if nodes > MAX_PROPERTIES_NODES:
                raise ValueError(f"{path}: properties hold more than {MAX_PROPERTIES_NODES} values")
        return nodes
    _check_scalar(value, path)
    return 1


class Event(_Strict):
    """One learning event as a platform sends it."""

    id: Annotated[StrictStr, Field(pattern=UUID_PATTERN)]
    type: Annotated[StrictStr, Field(pattern=EVENT_TYPE_PATTERN)]
    learner: Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"\S")]
    timestamp: AwareDatetime
    session: Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)] | None = None
    activity: Activity | None = None
    skills: Annotated[list[Identifier], Field(max_length=MAX_SKILLS)] | None = None
    result: Result | None = None
    context: Context | None = None
    properties: dict[str, Any] | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp_is_rfc3339(cls, value: Any) -> Any:
        # pydantic would also take Unix numbers and other ISO 8601 forms; the contract is RFC 3339.
        if not isinstance(value, str) or not _RFC3339.match(value):
            raise ValueError(
                "must be an RFC 3339 date-time with an offset, e.g. 2024-05-01T09:30:00Z"
            )
        return value

    @field_validator("properties")
    @classmethod
    def _properties_bounded(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            check_properties(value)
        return value
