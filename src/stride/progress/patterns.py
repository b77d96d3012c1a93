"""When a learner learns: hours and weekdays in their own time zone, session lengths, regularity."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OK = "ok"
NOT_ENOUGH_DATA = "not_enough_data"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_PEAKS = 3
# A peak must hold at least this share of all events: with activity spread evenly, no
# hour (1/24 each) is a peak, and a weekday (1/7 each) only just is.
PEAK_SHARE = Fraction(1, 10)  # exact: 3 of 30 events is 10%, though 0.1 * 30 > 3


@dataclass(frozen=True, slots=True)
class Patterns:
    """Counts are facts and always filled; the readings below `min_events` are None / empty.

    `sessions` is how many durations the session minutes rest on; they are None without any.
    `regularity` is the share of calendar weeks (Monday to Sunday, local time) from the first
    to the last event's week that hold any event; None when those span fewer than 2 weeks.
    """

    events: int
    status: str
    by_hour: tuple[int, ...]  # 24 counts, local hour 0..23
    by_weekday: tuple[int, ...]  # 7 counts, Monday first
    peak_hours: tuple[int, ...]
    peak_weekdays: tuple[str, ...]
    sessions: int
    mean_session_minutes: float | None
    median_session_minutes: float | None
    active_days: int
    active_weeks: int
    weeks_spanned: int
    regularity: float | None


def activity_patterns(
    timestamps: Sequence[datetime],
    session_durations_s: Sequence[float],
    timezone: str,
    *,
    min_events: int = 20,
) -> Patterns:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {timezone!r}") from error
    if any(t.utcoffset() is None for t in timestamps):
        raise ValueError("timestamps must be timezone-aware")
    for duration in session_durations_s:
        if not (math.isfinite(duration) and duration >= 0):
            raise ValueError(f"session durations must be >= 0 seconds, got {duration}")

    local = [t.astimezone(zone) for t in timestamps]
    by_hour = [0] * 24
    by_weekday = [0] * 7
    for moment in local:
        by_hour[moment.hour] += 1
        by_weekday[moment.weekday()] += 1
    days = {moment.date() for moment in local}
    weeks = {_monday(day) for day in days}
    spanned = (max(weeks) - min(weeks)).days // 7 + 1 if weeks else 0
    minutes = [d / 60.0 for d in session_durations_s]
    enough = len(local) >= min_events
    return Patterns(
        events=len(local),
        status=OK if enough else NOT_ENOUGH_DATA,
        by_hour=tuple(by_hour),
        by_weekday=tuple(by_weekday),
        peak_hours=_peaks(by_hour) if enough else (),
        peak_weekdays=tuple(WEEKDAYS[i] for i in _peaks(by_weekday)) if enough else (),
        sessions=len(minutes),
        mean_session_minutes=statistics.fmean(minutes) if minutes else None,
        median_session_minutes=statistics.median(minutes) if minutes else None,
        active_days=len(days),
        active_weeks=len(weeks),
        weeks_spanned=spanned,
        regularity=len(weeks) / spanned if enough and spanned >= 2 else None,
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _peaks(counts: Sequence[int]) -> tuple[int, ...]:
    """Up to MAX_PEAKS busiest slots holding PEAK_SHARE of events, busiest first.

    Ties go to the earlier slot (hour or weekday).
    """
    total = sum(counts)
    ranked = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    return tuple(i for i in ranked[:MAX_PEAKS] if counts[i] > 0 and counts[i] >= PEAK_SHARE * total)
