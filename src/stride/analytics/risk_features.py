"""Engagement features of one learner as of a day, for the dropout-risk model (pure).

The same function serves `stride fit risk`, the at-risk endpoint and `bench/risk.py`, so the
benchmark measures exactly what Stride runs. Only entries dated on or before `as_of` count:
a feature never sees the future of the day it describes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

NEVER_ACTIVE_DAYS = 120  # days since last activity of a learner with none: "a long time"
RECENT_SCORES = 5  # the score trend's window


@dataclass(frozen=True, slots=True)
class ActiveDay:
    day: date
    events: int
    minutes: float


@dataclass(frozen=True, slots=True)
class LearnerHistory:
    """What the read models (or a benchmark's data) know about one learner in one program."""

    enrolled_on: date
    days: Sequence[ActiveDay]  # one per active day, any order
    scores: Sequence[tuple[date, float]] = ()  # scored attempts, 0..1
    done: Sequence[date] = ()  # days on which planned items were completed (or submitted)
    planned: Sequence[date] = ()  # days by which items are planned to be done


FEATURE_NAMES: tuple[str, ...] = (
    "days_since_active",
    "inactive_share_14d",
    "active_days",
    "active_share_14d",
    "active_share_28d",
    "weekly_active_trend",
    "events",
    "events_14d",
    "events_trend",
    "minutes",
    "late_start_days",
    "scores",
    "score_mean",
    "score_last",
    "score_trend",
    "no_score",
    "items_done",
    "items_missed",
    "pace_ratio",
    "days_enrolled",
)


def _log(value: float) -> float:
    return math.log1p(max(value, 0.0))


def _slope(values: Sequence[float]) -> float:
    """Least-squares slope per step; 0 for fewer than two values."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def _activity_features(days: Sequence[ActiveDay], enrolled_on: date, as_of: date) -> list[float]:
    ago = sorted((as_of - d.day).days for d in days if d.day <= as_of)
    events = {(as_of - d.day).days: d.events for d in days if d.day <= as_of}
    enrolled_for = max((as_of - enrolled_on).days, 0)
    since = ago[0] if ago else min(NEVER_ACTIVE_DAYS, enrolled_for + 1)
    # Active days in each of the last four weeks, oldest first.
    weeks = [sum(1 for a in ago if 7 * w <= a < 7 * (w + 1)) for w in (3, 2, 1, 0)]
    recent = sum(n for a, n in events.items() if a < 14)
    before = sum(n for a, n in events.items() if 14 <= a < 28)
    first = max(ago) if ago else 0
    minutes = sum(d.minutes for d in days if d.day <= as_of)
    return [
        _log(since),
        min(since, 14) / 14,
        _log(len(ago)),
        sum(1 for a in ago if a < 14) / 14,
        sum(1 for a in ago if a < 28) / 28,
        _slope(weeks),
        _log(sum(events.values())),
        _log(recent),
        _log(recent) - _log(before),
        _log(minutes),
        _log(enrolled_for - first) if ago else _log(enrolled_for),
    ]


def score_features(scores: Sequence[tuple[date, float]], as_of: date) -> list[float]:
    known = [s for day, s in sorted(scores, key=lambda p: p[0]) if day <= as_of]
    if not known:
        # A neutral value; `no_score` lets the model tell "unknown" from "average".
        return [0.0, 0.5, 0.5, 0.0, 1.0]
    return [
        _log(len(known)),
        sum(known) / len(known),
        known[-1],
        _slope(known[-RECENT_SCORES:]),
        0.0,
    ]


def pace_features(
    done: Sequence[date], planned: Sequence[date], enrolled_on: date, as_of: date
) -> list[float]:
    done_by = sum(1 for d in done if d <= as_of)
    due_by = sum(1 for d in planned if d <= as_of)
    return [
        _log(done_by),
        _log(max(due_by - done_by, 0)),
        min(done_by / due_by, 2.0) if due_by else 1.0,
        _log((as_of - enrolled_on).days),
    ]


def risk_features(history: LearnerHistory, as_of: date) -> list[float]:
    """The learner's features as of the end of `as_of`, in FEATURE_NAMES order."""
    return [
        *_activity_features(history.days, history.enrolled_on, as_of),
        *score_features(history.scores, as_of),
        *pace_features(history.done, history.planned, history.enrolled_on, as_of),
    ]


def activity_feature_matrix(
    totals: NDArray[np.int64], minutes: NDArray[np.float64], enrolled_for: NDArray[np.int64]
) -> NDArray[np.float64]:
    """The activity features (the first 11 of FEATURE_NAMES) of many learners at once, from
    their days already summed: `totals` has one row per learner of (active days, days since the
    first and since the last active day, active days 21-27, 14-20, 7-13 and 0-6 days ago,
    events, events 0-13 and 14-27 days ago), all as of the as-of day; `minutes` their study
    minutes and `enrolled_for` the days from enrolment to the as-of day (negative is 0).

    Equal to `risk_features` on the same days, up to floating-point rounding (tested)."""
    t = totals.astype(np.float64).reshape(-1, 10)
    days, first, last, weeks = t[:, 0], t[:, 1], t[:, 2], t[:, 3:7]
    events, recent, before = t[:, 7], t[:, 8], t[:, 9]
    enrolled = np.maximum(enrolled_for.astype(np.float64), 0.0)
    active = days > 0
    since = np.where(active, last, np.minimum(NEVER_ACTIVE_DAYS, enrolled + 1))
    steps = np.arange(4) - 1.5  # the slope's x, centred
    slope = ((weeks - weeks.mean(axis=1, keepdims=True)) * steps).sum(axis=1) / 5.0
    shares = weeks.sum(axis=1)
    columns = [
        _log_array(since),
        np.minimum(since, 14) / 14,
        _log_array(days),
        (weeks[:, 2] + weeks[:, 3]) / 14,
        np.where(active, shares, 0.0) / 28,
        slope,
        _log_array(events),
        _log_array(recent),
        _log_array(recent) - _log_array(before),
        _log_array(minutes.astype(np.float64)),
        _log_array(np.where(active, enrolled - first, enrolled)),
    ]
    return np.column_stack(columns) if len(t) else np.zeros((0, 11))


def _log_array(values: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = np.log1p(np.maximum(values, 0.0))
    return result


def feature_matrix(rows: Sequence[tuple[LearnerHistory, date]]) -> NDArray[np.float64]:
    """One row of features per (history, as-of day)."""
    matrix = np.array([risk_features(h, as_of) for h, as_of in rows], dtype=np.float64)
    return matrix.reshape(len(rows), len(FEATURE_NAMES))


def linear_plan(enrolled_on: date, target_on: date | None, items: int) -> tuple[date, ...]:
    """Due days of `items` items spread evenly from enrolment to the target date (the plan
    Stride's pace view draws); none without a target."""
    if target_on is None or items <= 0:
        return ()
    span = max((target_on - enrolled_on).days, 0)
    return tuple(
        date.fromordinal(enrolled_on.toordinal() + span * (i + 1) // items) for i in range(items)
    )
