"""Column values to and from what each driver carries, for SQL that bypasses SQLAlchemy types."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Literal

import orjson
from sqlalchemy import JSON, Boolean, Date, Enum, Float, Integer, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from stride.store.tables import Instant

Convert = Callable[[Any], Any]
Kind = Literal["instant", "date", "json", "string", "integer", "float", "boolean"]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("Stride stores only aware datetimes")  # as the Instant type does
    return value


# SQLite: values are bound one by one (executemany), so they take the stored form here.


def _instant_to_sqlite(value: datetime | None) -> str | None:
    # Exactly the naive-UTC text SQLAlchemy's SQLite DateTime writes, so old and new rows
    # compare and sort alike: "YYYY-MM-DD HH:MM:SS.ffffff". Taken from orjson's RFC 3339
    # ('"YYYY-MM-DDTHH:MM:SS[.ffffff]Z"', no fraction when it is 0): half the time of
    # isoformat(" ", "microseconds"), and a batch encodes several instants per event.
    if value is None:
        return None
    if value.tzinfo is not UTC:  # Stride's own instants are UTC already: skip the conversion
        value = _aware(value).astimezone(UTC)  # type: ignore[union-attr]
    if type(value) is not datetime:  # orjson writes datetime itself only, not a subclass
        return value.isoformat(" ", "microseconds")[:-6]
    text = orjson.dumps(value, option=orjson.OPT_UTC_Z)
    if value.microsecond:
        return f"{text[1:11].decode()} {text[12:27].decode()}"
    return f"{text[1:11].decode()} {text[12:20].decode()}.000000"


def _instant_from_sqlite(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:  # parsing an offset is several times cheaper than replace(tzinfo=UTC)
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # text written with an offset by some other tool
        return datetime.fromisoformat(value).astimezone(UTC)


# Dates repeat (days and period starts of the rows a batch reads and writes): remembered.
@lru_cache(maxsize=4096)
def _date_to_sqlite(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@lru_cache(maxsize=4096)
def _date_from_sqlite(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _json_to_sqlite(value: Any) -> str:
    # Python None is JSON null, as with SQLAlchemy's JSON type (none_as_null=False).
    return orjson.dumps(value).decode()


def _json_from_sqlite(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


def _boolean_from_sqlite(value: int | None) -> bool | None:
    # Stored as 0/1 (a Python bool binds as an int, so nothing is needed on the way in).
    return None if value is None else bool(value)


# PostgreSQL: a batch travels as ONE JSON document (see bulk); orjson writes datetimes as
# RFC 3339 with their offset and dates as ISO text, which the SQL casts back exactly.


def _float_to_json(value: float | None) -> float | str | None:
    # JSON has no NaN or infinities (orjson would write null); float8 reads them from text.
    return value if value is None or math.isfinite(value) else str(value)


def _instant_from_postgresql(value: datetime | None) -> datetime | None:
    # psycopg answers in the session time zone; Stride hands out UTC.
    return None if value is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Codec:
    """What one dialect needs done to values of each kind on the way in and out (None: nothing).

    PostgreSQL JSON columns come back parsed: the engine registers orjson as psycopg's loader.
    """

    into: dict[Kind, Convert]
    out: dict[Kind, Convert]


SQLITE = Codec(
    into={"instant": _instant_to_sqlite, "date": _date_to_sqlite, "json": _json_to_sqlite},
    out={
        "instant": _instant_from_sqlite,
        "date": _date_from_sqlite,
        "json": _json_from_sqlite,
        "boolean": _boolean_from_sqlite,
    },
)
POSTGRESQL = Codec(
    into={"instant": _aware, "float": _float_to_json},
    out={"instant": _instant_from_postgresql},
)
CODECS = {"sqlite": SQLITE, "postgresql": POSTGRESQL}


def codec_for(dialect: Dialect) -> Codec:
    return CODECS[dialect.name]


class UnsupportedType(Exception):
    """A column type the fast paths do not convert; callers fall back to SQLAlchemy."""


def column_kind(column_type: TypeEngine[Any], dialect: Dialect) -> Kind:
    """The kind of value a column holds; raises UnsupportedType for any other type."""
    column_type = column_type.dialect_impl(dialect)
    if isinstance(column_type, Instant):
        return "instant"
    if isinstance(column_type, JSON):
        return "json"
    # Date but not DateTime (not a Date subclass); Enum checks its values, so it is not plain.
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, String) and not isinstance(column_type, Enum):
        return "string"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, Float) and not column_type.asdecimal:
        return "float"
    if isinstance(column_type, Boolean):
        return "boolean"
    raise UnsupportedType(repr(column_type))
