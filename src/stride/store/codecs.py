"""Column values to and from what each driver stores, for SQL that bypasses SQLAlchemy types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Date, Enum, Float, Integer, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from stride.store.tables import Instant

Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("Stride stores only aware datetimes")
    return value


def _instant_to_sqlite(value: datetime | None) -> str | None:
    # Exactly the naive-UTC text SQLAlchemy's SQLite DateTime writes, so old and new rows
    # compare and sort alike.
    if value is None:
        return None
    return _aware(value).astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _instant_from_sqlite(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _instant_to_postgresql(value: datetime | None) -> datetime | None:
    # timestamptz stores the instant whatever the offset it is sent with.
    return None if value is None else _aware(value)


def _instant_from_postgresql(value: datetime | None) -> datetime | None:
    # psycopg answers in the session time zone; Stride hands out UTC.
    return None if value is None else value.astimezone(UTC)


def _date_to_sqlite(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date_from_sqlite(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _json_dumps(value: Any) -> str:
    # Python None is JSON null, as with SQLAlchemy's JSON type (none_as_null=False).
    return orjson.dumps(value).decode()


def _json_from_sqlite(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


@dataclass(frozen=True)
class Codec:
    """How one dialect's driver takes (`*_in`) and gives back (`*_out`) Stride's value types.

    PostgreSQL JSON arrives parsed (the engine registers a loader) but leaves as text that the
    SQL casts to jsonb.
    """

    instant_in: Convert
    instant_out: Convert
    date_in: Convert
    date_out: Convert
    json_in: Convert
    json_out: Convert


SQLITE = Codec(
    _instant_to_sqlite,
    _instant_from_sqlite,
    _date_to_sqlite,
    _date_from_sqlite,
    _json_dumps,
    _json_from_sqlite,
)
POSTGRESQL = Codec(
    _instant_to_postgresql, _instant_from_postgresql, _same, _same, _json_dumps, _same
)
CODECS = {"sqlite": SQLITE, "postgresql": POSTGRESQL}


def codec_for(dialect: Dialect) -> Codec:
    return CODECS[dialect.name]


class UnsupportedType(Exception):
    """A column type the fast paths do not convert; callers fall back to SQLAlchemy."""


def column_kind(column_type: TypeEngine[Any], dialect: Dialect) -> str:
    """'instant', 'json', 'date', 'string' or 'number'; raises UnsupportedType otherwise."""
    column_type = column_type.dialect_impl(dialect)
    if isinstance(column_type, Instant):
        return "instant"
    if isinstance(column_type, JSON):
        return "json"
    # Date but not DateTime (which is not a Date subclass); Enum checks values, so it is not plain.
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, String) and not isinstance(column_type, Enum):
        return "string"
    if isinstance(column_type, Integer) or (
        isinstance(column_type, Float) and not column_type.asdecimal
    ):
        return "number"
    raise UnsupportedType(repr(column_type))


def encoder(kind: str, codec: Codec) -> Convert | None:
    """The conversion a value of `kind` needs on its way to the driver; None for none."""
    convert = {"instant": codec.instant_in, "date": codec.date_in, "json": codec.json_in}
    return _needed(convert.get(kind))


def decoder(kind: str, codec: Codec) -> Convert | None:
    """The conversion a value of `kind` needs on its way from the driver; None for none."""
    convert = {"instant": codec.instant_out, "date": codec.date_out, "json": codec.json_out}
    return _needed(convert.get(kind))


def _needed(convert: Convert | None) -> Convert | None:
    return None if convert is _same else convert
