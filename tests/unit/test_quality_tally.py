"""One ingest batch's data-quality tally (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from stride.analytics.lateness import AHEAD, delay_bucket
from stride.analytics.quality_tally import (
    BAND,
    DELAY,
    MAX_FIELDS_PER_BATCH,
    OTHER,
    VOLUME,
    normalized_path,
    tally_batch,
)
from stride.errors import FieldError

RECEIVED = datetime(2024, 6, 1, 10, 30, tzinfo=UTC)
MIDNIGHT = datetime(2024, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str | None = None
    errors: tuple[FieldError, ...] = ()


def test_outcomes_are_counted_per_status_and_reason_with_invalid_fields() -> None:
    outcomes = [
        Outcome("accepted"),
        Outcome("accepted"),
        Outcome("duplicate"),
        Outcome("conflict", None, (FieldError("id", "stored with other content"),)),
        Outcome("rejected", "invalid", (FieldError("skills[2]", "bad"), FieldError("type", "x"))),
        Outcome("rejected", "invalid", (FieldError("skills[0]", "bad"),)),
        Outcome("rejected", "pii", (FieldError("properties.mail", "holds personal data"),)),
        Outcome("rejected", "consent"),
    ]
    tally = tally_batch(RECEIVED, outcomes, [])
    assert tally.day == date(2024, 6, 1)
    assert dict(tally.outcomes) == {
        ("accepted", "", "", ""): 2,
        ("duplicate", "", "", ""): 1,
        ("conflict", "", "", ""): 1,
        ("rejected", "invalid", "", ""): 2,
        ("rejected", "pii", "", ""): 1,
        ("rejected", "consent", "", ""): 1,
        ("rejected", "invalid", "skills[]", "bad"): 2,
        ("rejected", "invalid", "type", "x"): 1,
    }
    assert not tally.timing


def test_accepted_events_fill_the_hour_the_delay_bucket_and_the_band() -> None:
    times = [RECEIVED - timedelta(seconds=30), RECEIVED - timedelta(days=3), RECEIVED]
    times.append(RECEIVED + timedelta(minutes=5))
    tally = tally_batch(RECEIVED, [], times)
    assert tally.timing[(VOLUME, datetime(2024, 6, 1, 10, tzinfo=UTC), 0)] == 3
    assert tally.timing[(VOLUME, datetime(2024, 5, 29, 10, tzinfo=UTC), 0)] == 1
    assert tally.timing[(DELAY, MIDNIGHT, delay_bucket(30))] == 1
    assert tally.timing[(DELAY, MIDNIGHT, 0)] == 1
    assert tally.timing[(DELAY, MIDNIGHT, delay_bucket(-300))] == 1
    bands = {b: n for (series, _, b), n in tally.timing.items() if series == BAND}
    assert bands == {0: 2, 3: 1, AHEAD: 1}


def test_field_paths_are_bounded() -> None:
    assert normalized_path("skills[12].id") == "skills[].id"
    assert normalized_path("result.score") == "result.score"
    assert len(normalized_path("x" * 500)) == 100


def test_names_the_sender_chose_are_not_kept() -> None:
    assert normalized_path("properties.bob@example.org[2]") == "properties.*"
    assert normalized_path("context.ana.lopez") == "context.*"
    assert normalized_path("properties") == "properties"
    assert normalized_path("ana@example.org", "unknown field") == "*"
    assert normalized_path("result.ana", "unknown field") == "result.*"
    many = [
        Outcome("rejected", "invalid", (FieldError(f"result.k{i}", f"reason {i}"),))
        for i in range(MAX_FIELDS_PER_BATCH + 5)
    ]
    tally = tally_batch(RECEIVED, many, [])
    paths = [key for key in tally.outcomes if key[2]]
    assert len(paths) == MAX_FIELDS_PER_BATCH + 1
    assert tally.outcomes[("rejected", "invalid", OTHER, "")] == 5
