"""Forecasts: when a learner will finish at their recent pace, and where a skill is heading."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

OK = "ok"
COMPLETE = "complete"
NOT_ENOUGH_DATA = "not_enough_data"
BEYOND_HORIZON = "beyond_horizon"

# Past five years a forecast of study time is fiction; say so instead of giving a date.
HORIZON_DAYS = 5 * 365 + 1
# Simulated days are drawn in blocks that double up to this size: most forecasts finish
# within weeks, and drawing the whole horizon for each of them would waste memory.
_FIRST_BLOCK = 32
_MAX_BLOCK = 512
# A learner's own pace is read only once they have completed this much estimated work, and
# kept within these bounds: one long-forgotten tab open should not quadruple a forecast.
MIN_PACE_EVIDENCE_MINUTES = 60.0
PACE_BOUNDS = (0.25, 4.0)


def pace_factor(spent_minutes: float, completed_estimated_minutes: float) -> float:
    """How long this learner takes per estimated minute: time spent / estimates of work done.

    Catalog estimates are for a typical learner; forecasting with them as they stand was
    early by about half the distance to the finish in the demo backtest (bench/forecast.py).
    1.0 (trust the catalog) until MIN_PACE_EVIDENCE_MINUTES of estimated work is complete.
    """
    if not (math.isfinite(spent_minutes) and spent_minutes >= 0.0):
        raise ValueError(f"spent_minutes must be finite and >= 0, got {spent_minutes}")
    if not math.isfinite(completed_estimated_minutes):
        raise ValueError("completed_estimated_minutes must be finite")
    if completed_estimated_minutes < MIN_PACE_EVIDENCE_MINUTES:
        return 1.0
    low, high = PACE_BOUNDS
    return min(high, max(low, spent_minutes / completed_estimated_minutes))


@dataclass(frozen=True, slots=True)
class CompletionForecast:
    """Finishing dates at the recent pace; day 1 of the forecast is the day after `today`.

    `remaining_minutes` are the catalog's estimates; the forecast needs `pace_factor` times
    as many minutes of study (see pace_factor).

    status: "ok"; "complete" (nothing remains); "not_enough_data" (fewer active days than
    asked for); "beyond_horizon" (a date lies past `horizon_date`: that date is None).
    `low_date`..`high_date` is the `interval` (80%) range of the simulated finishing day,
    widened to contain `expected_date` when the simulated days are too lopsided to.
    """

    status: str
    expected_date: date | None
    low_date: date | None
    high_date: date | None
    horizon_date: date
    interval: float
    minutes_per_day: float | None
    active_day_share: float | None
    active_days: int
    based_on_days: int
    remaining_minutes: float
    pace_factor: float


def forecast_completion(
    remaining_minutes: float,
    daily_minutes: Sequence[float],
    today: date,
    *,
    pace_factor: float = 1.0,
    interval: float = 0.8,
    min_active_days: int = 5,
    simulations: int = 2000,
    seed: int = 0,
    horizon_days: int = HORIZON_DAYS,
) -> CompletionForecast:
    """`daily_minutes`: active minutes on each recent day, zero-filled, oldest first.

    The expected finishing day is remaining x pace_factor / mean daily minutes (zero days
    included), rounded up. The interval comes from a bootstrap: each simulated future day
    repeats one observed day at random, so both the pace and its irregularity carry over.
    """
    if not math.isfinite(remaining_minutes):
        raise ValueError(f"remaining_minutes must be finite, got {remaining_minutes}")
    if not 0.0 < interval < 1.0:
        raise ValueError(f"interval must lie in (0, 1), got {interval}")
    if not (math.isfinite(pace_factor) and pace_factor > 0.0):
        raise ValueError(f"pace_factor must be finite and > 0, got {pace_factor}")
    if simulations < 1 or min_active_days < 1 or horizon_days < 1:
        raise ValueError("simulations, min_active_days and horizon_days must be at least 1")
    days = np.asarray(daily_minutes, dtype=np.float64)
    if not bool(np.all(np.isfinite(days) & (days >= 0.0))):
        raise ValueError("daily minutes must be finite and >= 0")

    active = int(np.count_nonzero(days))
    mean = float(np.mean(days)) if days.size else None
    horizon = today + timedelta(days=horizon_days)

    def result(
        status: str,
        expected: int | None = None,
        low: int | None = None,
        high: int | None = None,
    ) -> CompletionForecast:
        def on(day: int | None) -> date | None:
            return today + timedelta(days=day) if day is not None else None

        return CompletionForecast(
            status=status,
            expected_date=on(expected),
            low_date=on(low),
            high_date=on(high),
            horizon_date=horizon,
            interval=interval,
            minutes_per_day=mean,
            active_day_share=active / days.size if days.size else None,
            active_days=active,
            based_on_days=int(days.size),
            remaining_minutes=remaining_minutes,
            pace_factor=pace_factor,
        )

    if remaining_minutes <= 0.0:
        return result(COMPLETE)
    if active < min_active_days or not mean:
        return result(NOT_ENOUGH_DATA)

    study_minutes = remaining_minutes * pace_factor
    # A hair of tolerance: 100 / (300 / 3) must round up to 1 day, not 2.
    expected = max(1, math.ceil(study_minutes / mean - 1e-9))
    rng = np.random.default_rng(seed)
    finish = _finishing_days(study_minutes, days, simulations, horizon_days, rng)
    tail = (1.0 - interval) / 2.0
    low = int(np.quantile(finish, tail, method="lower"))
    high = int(np.quantile(finish, 1.0 - tail, method="higher"))
    if expected > horizon_days:
        beyond_low = low if low <= horizon_days else None
        return result(BEYOND_HORIZON, low=beyond_low)
    low, high = min(low, expected), max(high, expected)
    if high > horizon_days:
        return result(BEYOND_HORIZON, expected, low)
    return result(OK, expected, low, high)


def _finishing_days(
    remaining: float,
    days: NDArray[np.float64],
    simulations: int,
    horizon: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Per simulation, the 1-based day on which the cumulative minutes reach `remaining`.

    A simulation still short of it after `horizon` days finishes on day horizon + 1.
    """
    finish = np.full(simulations, horizon + 1, dtype=np.int64)
    done = np.zeros(simulations)
    pending = np.arange(simulations)
    day, block = 0, _FIRST_BLOCK
    while pending.size and day < horizon:
        block = min(block, horizon - day)
        cumulative = done[pending, None] + np.cumsum(
            rng.choice(days, size=(pending.size, block)), axis=1
        )
        reached = cumulative >= remaining
        finished = reached.any(axis=1)
        finish[pending[finished]] = day + 1 + reached[finished].argmax(axis=1)
        done[pending] = cumulative[:, -1]
        pending = pending[~finished]
        day += block
        block = min(2 * block, _MAX_BLOCK)
    return finish


@dataclass(frozen=True, slots=True)
class SkillProjection:
    """Expected P(mastery) after `attempts_in_horizon` more attempts, and when it crosses.

    `limit` is where P(mastery) settles with endless practice (learn / (learn + forget)).
    `attempts_to_threshold` is 0 when already there and None when it is never reached;
    `days_to_threshold` is None also when no attempts per day are expected, or when at that
    pace it would take longer than HORIZON_DAYS (five years).
    """

    p_mastery: float
    projected_p_mastery: float
    horizon_days: int
    attempts_in_horizon: float
    limit: float
    threshold: float
    attempts_to_threshold: int | None
    days_to_threshold: int | None


def skill_projection(
    p_mastery: float,
    learn: float,
    forget: float,
    attempts_per_day: float,
    *,
    horizon_days: int = 30,
    threshold: float = 0.95,
) -> SkillProjection:
    """Project BKT's P(mastery) forward without knowing the answers to come.

    Under BKT the posterior is a martingale: averaged over the answers the model itself
    predicts, updating on an answer leaves P(mastery) unchanged. So in expectation each
    attempt applies only the transition p' = p (1 - forget) + (1 - p) learn, whose closed
    form after n attempts is p_n = s + (p - s) r^n, with s = learn / (learn + forget) and
    r = 1 - learn - forget. That lets n be fractional (attempts per day x days).
    """
    for name, value in (("p_mastery", p_mastery), ("learn", learn), ("forget", forget)):
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    if not (math.isfinite(attempts_per_day) and attempts_per_day >= 0.0):
        raise ValueError(f"attempts_per_day must be >= 0, got {attempts_per_day}")
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be >= 0, got {horizon_days}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")

    n = attempts_per_day * horizon_days
    needed = _attempts_to_reach(p_mastery, learn, forget, threshold)
    if needed is None:
        days = None
    elif needed == 0:
        days = 0
    else:
        pace = needed / attempts_per_day if attempts_per_day > 0 else math.inf
        days = math.ceil(pace) if pace <= HORIZON_DAYS else None
    return SkillProjection(
        p_mastery=p_mastery,
        projected_p_mastery=expected_mastery(p_mastery, learn, forget, n),
        horizon_days=horizon_days,
        attempts_in_horizon=n,
        limit=learn / (learn + forget) if learn + forget > 0 else p_mastery,
        threshold=threshold,
        attempts_to_threshold=needed,
        days_to_threshold=days,
    )


def expected_mastery(p: float, learn: float, forget: float, n: float) -> float:
    """E[P(mastery)] after n attempts (n >= 0, possibly fractional)."""
    rate = learn + forget
    if rate == 0.0 or n == 0:
        return p
    s = learn / rate
    if rate <= 1.0:
        # r^n as exp(n log1p(-rate)): exact where 1 - rate would round to 1 (tiny rates).
        shrink = math.exp(n * math.log1p(-rate)) if rate < 1.0 else 0.0
        value = s + (p - s) * shrink
    else:
        # learn + forget > 1 makes P(mastery) swing around s at each attempt: a fractional
        # power of a negative r has no meaning, so interpolate between whole attempts.
        r = 1.0 - rate
        whole = math.floor(n)
        below = s + (p - s) * math.pow(r, whole)
        above = s + (p - s) * math.pow(r, whole + 1)
        value = below + (above - below) * (n - whole)
    return min(1.0, max(0.0, value))


# Beyond this many attempts the answer is "never" for any practical purpose.
_MAX_ATTEMPTS = 1_000_000


def _attempts_to_reach(p: float, learn: float, forget: float, threshold: float) -> int | None:
    if p >= threshold:
        return 0
    rate = learn + forget
    if rate == 0.0:
        return None
    s, r = learn / rate, 1.0 - rate
    if r < 0.0:
        # Oscillating, shrinking by |r| per attempt: a few hundred steps settle it.
        for n in range(1, 2001):
            if expected_mastery(p, learn, forget, n) >= threshold:
                return n
        return None
    if r == 0.0:
        return 1 if s >= threshold else None
    if s <= threshold or p >= s:
        # Monotone towards s, which lies at or below the threshold (reached only in the limit).
        return None
    # s - (s - p) r^n >= threshold  <=>  n >= log((s - threshold) / (s - p)) / log(r)
    estimate = math.log((s - threshold) / (s - p)) / math.log1p(-rate)
    if estimate > _MAX_ATTEMPTS:
        return None
    n = max(1, math.ceil(estimate))
    # The logarithms may be off by one attempt in floating point; settle it on p_n itself.
    while n > 1 and expected_mastery(p, learn, forget, n - 1) >= threshold:
        n -= 1
    while expected_mastery(p, learn, forget, n) < threshold:
        n += 1
    return n
