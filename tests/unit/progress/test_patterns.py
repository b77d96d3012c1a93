from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stride.progress.patterns import activity_patterns

# Monday 1 January 2024
MONDAY = datetime(2024, 1, 1, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def test_counts_are_in_the_learners_local_time() -> None:
    # 23:30 UTC on Monday is 00:30 on Tuesday in Paris (UTC+1 in winter).
    result = activity_patterns([at(0, 23, 30)] * 20, [], "Europe/Paris")
    assert result.status == "ok"
    assert result.by_hour[0] == 20 and sum(result.by_hour) == 20
    assert result.by_weekday == (0, 20, 0, 0, 0, 0, 0)
    assert result.peak_hours == (0,)
    assert result.peak_weekdays == ("tuesday",)
    assert result.active_days == 1


def test_summer_time_is_applied() -> None:
    july = datetime(2024, 7, 1, 7, 0, tzinfo=UTC)  # 09:00 in Paris (UTC+2)
    result = activity_patterns([july] * 20, [], "Europe/Paris")
    assert result.by_hour[9] == 20


def test_peaks_need_a_tenth_of_events_and_stop_at_three() -> None:
    hours = [9] * 10 + [18] * 6 + [12] * 3 + [7] * 1
    result = activity_patterns([at(0, h) for h in hours], [], "UTC")
    # 7h holds 1 event of 20 (5%): no peak. Busiest first.
    assert result.peak_hours == (9, 18, 12)

    hours = [20] * 6 + [8] * 5 + [6] * 5 + [10] * 4
    result = activity_patterns([at(0, h) for h in hours], [], "UTC")
    # Ties (8 and 6) go to the earlier hour; 10h is fourth.
    assert result.peak_hours == (20, 6, 8)


def test_exactly_a_tenth_is_a_peak() -> None:
    # 3 of 30 is 10% exactly, although 0.1 * 30 > 3 in floating point.
    hours = [1] * 3 + [2] * 27
    assert activity_patterns([at(0, h) for h in hours], [], "UTC").peak_hours == (2, 1)


def test_weekday_peaks_are_named() -> None:
    days = [5] * 12 + [6] * 8  # Saturday, Sunday
    result = activity_patterns([at(d, 10) for d in days], [], "UTC")
    assert result.peak_weekdays == ("saturday", "sunday")


def test_few_events_give_counts_but_no_readings() -> None:
    result = activity_patterns([at(0, 9), at(7, 9), at(21, 9)], [600.0], "UTC")
    assert result.status == "not_enough_data"
    assert result.events == 3
    assert result.by_hour[9] == 3
    assert result.peak_hours == () and result.peak_weekdays == ()
    assert result.regularity is None
    # The session figures rest on their own count.
    assert (result.sessions, result.mean_session_minutes) == (1, 10.0)


def test_regularity_is_the_share_of_active_weeks() -> None:
    # Weeks 1, 2 and 4 of a 4-week span.
    stamps = [at(0, 9)] * 10 + [at(8, 9)] * 5 + [at(22, 9)] * 5
    result = activity_patterns(stamps, [], "UTC")
    assert (result.active_weeks, result.weeks_spanned) == (3, 4)
    assert result.regularity == 0.75
    assert result.active_days == 3


def test_weeks_are_local_weeks() -> None:
    # Sunday 7 January 23:30 UTC is Monday 8 January in Paris: the second week.
    stamps = [at(0, 9)] * 10 + [at(6, 23, 30)] * 10
    assert activity_patterns(stamps, [], "UTC").weeks_spanned == 1
    paris = activity_patterns(stamps, [], "Europe/Paris")
    assert (paris.weeks_spanned, paris.regularity) == (2, 1.0)


def test_one_week_says_nothing_about_regularity() -> None:
    result = activity_patterns([at(d, 9) for d in range(5)] * 4, [], "UTC")
    assert result.status == "ok"
    assert result.regularity is None


def test_session_minutes() -> None:
    result = activity_patterns([], [600.0, 1200.0, 3000.0], "UTC")
    assert result.sessions == 3
    assert result.mean_session_minutes == pytest.approx(80 / 3)
    assert result.median_session_minutes == 20.0
    empty = activity_patterns([], [], "UTC")
    assert empty.mean_session_minutes is None and empty.median_session_minutes is None


def test_nothing_at_all() -> None:
    result = activity_patterns([], [], "UTC")
    assert (result.events, result.status, result.active_days) == (0, "not_enough_data", 0)
    assert result.by_hour == (0,) * 24 and result.by_weekday == (0,) * 7
    assert (result.weeks_spanned, result.regularity) == (0, None)


def test_inputs_are_validated() -> None:
    with pytest.raises(ValueError):
        activity_patterns([], [], "Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        activity_patterns([datetime(2024, 1, 1)], [], "UTC")
    with pytest.raises(ValueError):
        activity_patterns([], [-1.0], "UTC")


@settings(max_examples=60)
@given(
    st.lists(
        st.datetimes(
            min_value=datetime(2023, 1, 1), max_value=datetime(2025, 1, 1), timezones=st.just(UTC)
        ),
        max_size=60,
    ),
    st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
def test_counts_add_up(stamps: list[datetime], zone: str) -> None:
    result = activity_patterns(stamps, [], zone)
    assert sum(result.by_hour) == sum(result.by_weekday) == result.events == len(stamps)
    assert len(result.peak_hours) <= 3
    for hour in result.peak_hours:
        assert result.by_hour[hour] * 10 >= result.events
    assert result.active_weeks <= result.weeks_spanned
    assert result.active_days <= len(stamps)
    assert result.regularity is None or 0.0 < result.regularity <= 1.0
    assert activity_patterns(list(reversed(stamps)), [], zone) == result
