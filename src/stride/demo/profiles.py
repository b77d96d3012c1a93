"""Synthetic demo learners: where they live, when and how often they study, when they quit."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Rough mix of a global online course audience, heaviest in Europe, the Americas and India.
TIME_ZONES: tuple[tuple[str, float], ...] = (
    ("Europe/Paris", 16),
    ("Europe/London", 10),
    ("Europe/Berlin", 7),
    ("America/New_York", 14),
    ("America/Los_Angeles", 7),
    ("America/Sao_Paulo", 7),
    ("Asia/Kolkata", 10),
    ("Asia/Tokyo", 6),
    ("Asia/Singapore", 5),
    ("Australia/Sydney", 5),
    ("Africa/Lagos", 4),
    ("UTC", 9),
)
# Typical study times: before work, lunch break, evening, late evening.
_HOURS: tuple[tuple[float, float], ...] = ((7.5, 25), (12.5, 15), (19.5, 40), (21.5, 20))
DROPOUT_RATE = 0.32
REGULAR_RATE = 0.08


@dataclass(frozen=True, slots=True)
class DemoLearner:
    """The fixed traits of one synthetic learner; days count from the start of the window."""

    id: str
    timezone: str
    preferred_hour: float
    weekday_rate: float
    weekend_rate: float
    aptitude: float
    start_day: int
    stop_day: int | None
    regular: bool

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def demo_learner_ids(learners: int) -> list[str]:
    """The ids the generator gives its learners, in order."""
    return [learner_id(index) for index in range(learners)]


def learner_id(index: int) -> str:
    return f"learner-{index + 1:04d}"


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def _rhythm(rng: random.Random, regular: bool) -> tuple[float, float]:
    """Chance of studying on a weekday and on a weekend day."""
    if regular:
        return rng.uniform(0.96, 0.995), rng.uniform(0.9, 0.98)
    engagement = 0.2 + 0.7 * rng.betavariate(2.2, 2.0)
    style = rng.random()
    if style < 0.55:
        return engagement, engagement * 0.3
    if style < 0.75:
        return engagement * 0.35, min(0.95, engagement * 1.6)
    return engagement, engagement


def _span(rng: random.Random, days: int, regular: bool) -> tuple[int, int | None]:
    """First active day, and the day a drop-out stops (None: still active at the end)."""
    late = rng.random() < 0.4
    start = rng.randint(5, max(5, int(days * 0.8))) if late else rng.randint(0, 5)
    start = min(start, max(0, days - 1))
    latest_stop = days - 8
    if regular or rng.random() >= DROPOUT_RATE or latest_stop <= start + 2:
        return start, None
    return start, rng.randint(start + 2, latest_stop)


def draw_learner(rng: random.Random, index: int, days: int) -> DemoLearner:
    """Draw a learner's traits from their own random stream."""
    timezone = _weighted(rng, TIME_ZONES)
    hour = rng.choices([h for h, _ in _HOURS], [w for _, w in _HOURS])[0] + rng.gauss(0.0, 0.7)
    regular = rng.random() < REGULAR_RATE
    weekday, weekend = _rhythm(rng, regular)
    start, stop = _span(rng, days, regular)
    aptitude = rng.gauss(0.0, 0.5)
    return DemoLearner(
        learner_id(index), timezone, hour, weekday, weekend, aptitude, start, stop, regular
    )


def studies_on(learner: DemoLearner, rng: random.Random, day_index: int, day: date) -> bool:
    if day_index < learner.start_day or (learner.stop_day and day_index >= learner.stop_day):
        return False
    rate = learner.weekend_rate if day.weekday() >= 5 else learner.weekday_rate
    return rng.random() < rate


def session_start(learner: DemoLearner, rng: random.Random, day: date, hour: float) -> datetime:
    """A session's start on a local day, near `hour` but kept within the day."""
    jittered = min(23.0, max(5.0, hour + rng.gauss(0.0, 0.8)))
    midnight = datetime.combine(day, time(0), tzinfo=learner.zone)
    seconds = round(jittered * 3600 + rng.randint(0, 59))
    # UTC at once: aware datetimes sharing a zone compare by wall time, wrong across DST.
    return (midnight + timedelta(seconds=seconds)).astimezone(UTC)


def window_days(learner: DemoLearner, start: datetime, end: datetime) -> list[date]:
    """The learner's local calendar days that overlap the window."""
    first = start.astimezone(learner.zone).date()
    last = end.astimezone(learner.zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
