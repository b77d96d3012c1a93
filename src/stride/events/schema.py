"""The validated shape of an incoming learning event (Pydantic v2)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stride.events.types import ACTIVITY_TYPES, is_known_event_type

MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 4096
MAX_SKILLS = 100
MAX_CONTEXT_EXTRA_KEYS = 20
MAX_PROPERTIES_DEPTH = 5
MAX_PROPERTIES_NODES = 500
MAX_PROPERTY_KEY_LENGTH = 128
MAX_DURATION_S = 7 * 24 * 3600

# RFC 3339 date-time: the offset (Z or ±hh:mm) is mandatory.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)

Identifier = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)]
Number = Annotated[float, Field(strict=False, allow_inf_nan=False)]

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
    score: Annotated[Number, Field(ge=0.0, le=1.0)] | None = None
    success: StrictBool | None = None
    completion: StrictBool | None = None
    duration_s: Annotated[Number, Field(ge=0.0, le=MAX_DURATION_S)] | None = None
    response: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH)] | None = None

    @field_validator("score", "duration_s", mode="before")
    @classmethod
    def _numbers_only(cls, value: Any) -> Any:
        # JSON numbers only: "0.5" or true must not slip through as a score.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError("must be a number")
        return value


ContextScalar = StrictStr | StrictInt | float | StrictBool | None


class Context(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    program: Identifier | None = None
    course: Identifier | None = None
    module: Identifier | None = None
    platform: Identifier | None = None
    attempt: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _bounded_extras(self) -> Context:
        extras = self.model_extra or {}
        if len(extras) > MAX_CONTEXT_EXTRA_KEYS:
            raise ValueError(f"context: at most {MAX_CONTEXT_EXTRA_KEYS} extra keys are allowed")
        for key, value in extras.items():
            if len(key) > MAX_PROPERTY_KEY_LENGTH:
                raise ValueError(
                    f"context: has a key longer than {MAX_PROPERTY_KEY_LENGTH} characters"
                )
            _check_scalar(value, f"context.{key}")
        return self


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

    id: UUID
    type: StrictStr
    learner: Identifier
    timestamp: AwareDatetime
    session: Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)] | None = None
    activity: Activity | None = None
    skills: Annotated[list[Identifier], Field(max_length=MAX_SKILLS)] | None = None
    result: Result | None = None
    context: Context | None = None
    properties: dict[str, Any] | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a UUID string")
        return value

    @field_validator("type")
    @classmethod
    def _type_is_known(cls, value: str) -> str:
        if not is_known_event_type(value):
            raise ValueError("unknown event type; use a documented type or custom.<name>")
        return value

    @field_validator("learner")
    @classmethod
    def _learner_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp_is_rfc3339(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _RFC3339.match(value):
            raise ValueError(
                "must be an RFC 3339 date-time with an offset, e.g. 2024-05-01T09:30:00Z"
            )
        return value

    @field_validator("timestamp")
    @classmethod
    def _timestamp_not_in_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        context = info.context or {}
        now: datetime = context.get("now") or datetime.now(UTC)
        skew: timedelta = context.get("max_future_skew", timedelta(hours=24))
        if value > now + skew:
            hours = skew.total_seconds() / 3600
            raise ValueError(f"lies more than {hours:g} h in the future")
        if value.year < 1970:
            raise ValueError("lies before 1970")
        return value.astimezone(UTC)

    @field_validator("properties")
    @classmethod
    def _properties_bounded(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            check_properties(value)
        return value
