"""The text bulk writes for an instant on SQLite is the text SQLAlchemy's SQLite DateTime
writes for the same UTC instant, so rows written either way compare and sort alike, and it
reads back as the same instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from stride.store.codecs import SQLITE

SQLALCHEMY_TEXT = sqlite.DATETIME().bind_processor(sqlite.dialect())
assert SQLALCHEMY_TEXT is not None
encode, decode = SQLITE.into["instant"], SQLITE.out["instant"]

offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets
)


@given(instants)
def test_an_instant_is_written_as_sqlalchemy_writes_it(instant: datetime) -> None:
    utc = instant.astimezone(UTC)
    assert encode(instant) == SQLALCHEMY_TEXT(utc.replace(tzinfo=None))
    assert decode(encode(instant)) == utc


def test_whole_seconds_keep_their_six_zeros() -> None:
    assert encode(datetime(2026, 8, 2, 21, 28, 50, tzinfo=UTC)) == "2026-08-02 21:28:50.000000"
    assert encode(datetime(2026, 8, 2, 21, 28, 50, 1, tzinfo=UTC)) == "2026-08-02 21:28:50.000001"
    assert encode(None) is None


class _SubclassedDatetime(datetime):
    """What a library's own datetime type (pandas' Timestamp, say) looks like to the codec."""


def test_a_datetime_subclass_is_written_alike() -> None:
    instant = _SubclassedDatetime(2026, 8, 2, 21, 28, 50, 5, tzinfo=UTC)
    assert encode(instant) == "2026-08-02 21:28:50.000005"
