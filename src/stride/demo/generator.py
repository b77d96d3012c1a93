"""Deterministic synthetic learning activity, as a course platform would send it."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from stride.demo.curriculum import (
    EXERCISES_BEFORE,
    MODULES,
    PLATFORM,
    PROGRAM,
    SKILLS,
    Activity,
    Module,
)
from stride.demo.profiles import (
    DemoLearner,
    demo_learner_ids,
    draw_learner,
    session_start,
    studies_on,
    window_days,
)

__all__ = ["demo_learner_ids", "demo_learners", "generate_demo_events"]

Event = dict[str, Any]
Timed = tuple[datetime, int, Event]  # (instant, learner index, event): merge order

SECOND = timedelta(seconds=1)
MAX_SESSION_STEPS = 12  # with session and cascade events, sessions hold 3 to 20 events
TARGET_WEEKS = (8, 10, 12, 16)  # the target dates learners set when they enroll
PASS_SHIFT = math.log(0.7 / 0.3)  # success <=> score >= 0.7, the usual pass mark
SECOND_SESSION_RATE = 0.25
REVIEW_RATE = 0.15  # steps spent practising finished material instead of moving on
ALUMNI_REST_RATE = 0.6  # learners who finished the program come back less often


def _learner_seeds(seed: int, learners: int) -> list[int]:
    # One independent stream per learner: a learner's activity does not depend on the others.
    master = random.Random(seed)
    return [master.getrandbits(64) for _ in range(learners)]


def demo_learners(seed: int, learners: int = 500, days: int = 90) -> list[DemoLearner]:
    """The learners `generate_demo_events` simulates with the same arguments (e.g. time zones)."""
    seeds = _learner_seeds(seed, learners)
    return [draw_learner(random.Random(s), index, days) for index, s in enumerate(seeds)]


def generate_demo_events(
    seed: int, learners: int = 500, days: int = 90, *, end: datetime
) -> Iterator[Event]:
    """Raw events of `learners` learners over the `days` days before `end`, in time order."""
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end must be an aware datetime")
    if learners < 0 or days < 1:
        raise ValueError("learners must be >= 0 and days >= 1")
    end = end.astimezone(UTC)
    start = end - timedelta(days=days)
    streams = [
        _LearnerRun(random.Random(s), index, days, start, end).events()
        for index, s in enumerate(_learner_seeds(seed, learners))
    ]
    # Ties at one instant go by learner index; a learner's own events never tie.
    return (event for _, _, event in heapq.merge(*streams))


def _uuid4(bits: int) -> str:
    """str(uuid.UUID(int=bits, version=4)), without building a UUID for every event."""
    bits = (bits & _UUID_CLEAR) | _UUID_SET
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant
_CONTEXTS: dict[str, dict[str, Any]] = {}


def _context(activity: Activity) -> dict[str, Any]:
    """A fresh copy of the activity's context, so callers may change the events they get."""
    context = _CONTEXTS.get(activity.id)
    if context is None:
        context = _CONTEXTS[activity.id] = {**dict(activity.context), "platform": PLATFORM}
    return context.copy()


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class _LearnerRun:
    """One learner working through the curriculum in order, session by session."""

    def __init__(
        self, rng: random.Random, index: int, days: int, start: datetime, end: datetime
    ) -> None:
        self.rng, self.index = rng, index
        self.learner = draw_learner(rng, index, days)
        self.zone = self.learner.zone
        self.start, self.end = start, end
        self.ability = {s: self.learner.aptitude + rng.gauss(0.0, 0.6) for s in SKILLS}
        self.attempts: dict[str, int] = {}
        self.module = self.item = self.sessions = 0
        self.item_started = self.finished = False
        self.session_id = ""
        self.clock = start - timedelta(days=1)
        self.out: list[Timed] = []

    def events(self) -> Iterator[Timed]:
        for day_index, day in enumerate(window_days(self.learner, self.start, self.end)):
            for begin in self._day_sessions(day_index, day):
                if begin < self.start:
                    continue
                session = self._session(begin)
                if session[-1][0] > self.end:
                    return  # later sessions would lie after `end` too
                yield from session

    def _day_sessions(self, day_index: int, day: date) -> list[datetime]:
        if not studies_on(self.learner, self.rng, day_index, day):
            return []
        if self.finished and self.rng.random() < ALUMNI_REST_RATE:
            return []
        hour = self.learner.preferred_hour
        starts = [session_start(self.learner, self.rng, day, hour)]
        if self.rng.random() < SECOND_SESSION_RATE:
            later = hour + self.rng.uniform(3.0, 6.0)
            starts.append(session_start(self.learner, self.rng, day, later))
        return starts

    def _session(self, begin: datetime) -> list[Timed]:
        self.sessions += 1
        self.session_id = f"{self.learner.id}-s{self.sessions:04d}"
        self.out = []
        # A session never overlaps the previous one: push it back after a break.
        begin = self._emit("session.started", max(begin, self.clock + timedelta(minutes=20)))
        t = self._enrol(begin) if self.sessions == 1 else begin
        budget = self.rng.randint(1, MAX_SESSION_STEPS)
        while len(self.out) <= budget:
            t = self._step(t + self._pause())
        ended = max(t + self._pause(), self.clock + SECOND)
        self._emit("session.ended", ended, result={"duration_s": (ended - begin).total_seconds()})
        return self.out

    def _pause(self) -> timedelta:
        return timedelta(seconds=self.rng.randint(10, 90))

    def _work(self, t: datetime, low: int, high: int) -> tuple[datetime, float]:
        """When a piece of work started at `t` ends, and how many seconds it took."""
        seconds = self.rng.randint(low, high)
        return t + timedelta(seconds=seconds), float(seconds)

    def _enrol(self, t: datetime) -> datetime:
        target = t.astimezone(self.zone).date() + timedelta(weeks=self.rng.choice(TARGET_WEEKS))
        t = self._emit(
            "enrollment.created",
            t + SECOND,
            PROGRAM,
            properties={"target_date": target.isoformat()},
        )
        # A weekly habit goal, as a learner sets one when she starts.
        goal: dict[str, Any]
        if self.rng.random() < 0.5:
            minutes = 15 * self.rng.randint(4, 20)  # one to five hours a week
            goal = {"goal_id": "weekly", "kind": "weekly_minutes", "target": minutes}
        else:
            goal = {
                "goal_id": "weekly",
                "kind": "sessions_per_week",
                "target": self.rng.randint(2, 6),
            }
        return self._emit("goal.set", t + SECOND, properties=goal)

    def _step(self, t: datetime) -> datetime:
        if self.finished or (self.module > 0 and self.rng.random() < REVIEW_RATE):
            return self._review(t)
        module = MODULES[self.module]
        item = module.items[self.item]
        if not self.item_started:
            if self.item == 0:
                t = self._open_module(module, t)
            t = self._emit("activity.started", t, item) + self._pause()
            self.item_started = True
        if item.practised:
            return self._practise(item, t, complete=True)
        return self._study(item, t)

    def _review(self, t: datetime) -> datetime:
        """Re-attempt an exercise of a module already completed, for practice."""
        item = self.rng.choice(EXERCISES_BEFORE[self.module])
        t = self._emit("activity.started", t, item)
        return self._practise(item, t + self._pause(), complete=False)

    def _open_module(self, module: Module, t: datetime) -> datetime:
        if self.module == 0:
            t = self._emit("activity.started", t, PROGRAM)
        if module.first_in_course:
            t = self._emit("activity.started", t, module.course)
            if self.rng.random() < 0.3:  # some set a deadline for the course's first module
                due = t.astimezone(self.zone).date() + timedelta(days=self.rng.randint(7, 28))
                goal = {
                    "goal_id": f"finish-{module.activity.id}",
                    "kind": "module_by_date",
                    "module": module.activity.id,
                    "due": due.isoformat(),
                }
                t = self._emit("goal.set", t, properties=goal)
        return self._emit("activity.started", t, module.activity)

    def _study(self, item: Activity, t: datetime) -> datetime:
        # Lessons and blocks report progress in a few segments, each with its own time.
        for _ in range(self.rng.randint(0, 2)):
            t, seconds = self._work(t, 60, 420)
            t = self._emit("activity.progressed", t, item, result={"duration_s": seconds})
        t, seconds = self._work(t, 60, 420)
        result = {"completion": True, "duration_s": seconds}
        t = self._emit("activity.completed", t, item, result=result)
        # Reading prepares for the module's assessment a little.
        for skill in MODULES[self.module].items[-1].skills:
            self.ability[skill] += 0.05
        return self._advance(t)

    def _practise(self, item: Activity, t: datetime, *, complete: bool) -> datetime:
        attempt = self.attempts[item.id] = self.attempts.get(item.id, 0) + 1
        success, score = self._outcome(item)
        assessment = item.type == "assessment"
        t, seconds = self._work(t, *((600, 1800) if assessment else (60, 600)))
        kind = "assessment.submitted" if assessment else "exercise.attempted"
        result = {"score": score, "success": success, "duration_s": seconds}
        t = self._emit(kind, t, item, result=result, attempt=attempt)
        t = self._learn(item, success, t)
        if not (success and complete):
            return t
        t = self._emit("activity.completed", t + SECOND, item, result={"completion": True})
        return self._advance(t)

    def _outcome(self, item: Activity) -> tuple[bool, float]:
        """P(success) = logistic(ability - difficulty); the score moves with the same draw."""
        ability = sum(self.ability[s] for s in item.skills) / len(item.skills)
        u = min(max(self.rng.random(), 1e-9), 1 - 1e-9)
        latent = ability - item.difficulty + math.log(u / (1 - u))  # logistic noise
        score = round(_logistic(latent + PASS_SHIFT), 3)
        success = latent > 0
        # Rounding must not push a score across the pass mark.
        return success, (max(score, 0.7) if success else min(score, 0.699))

    def _learn(self, item: Activity, success: bool, t: datetime) -> datetime:
        for skill in item.skills:
            # Practice helps, success more, with diminishing returns at high ability.
            gain = (0.06 + (0.05 if success else 0.0)) * (1 - _logistic(self.ability[skill] - 3))
            self.ability[skill] += gain
        return t

    def _advance(self, t: datetime) -> datetime:
        """Move past a completed item, completing the module, course and program it ends."""
        module = MODULES[self.module]
        self.item += 1
        self.item_started = False
        if self.item < len(module.items):
            return t
        done = {"completion": True}
        t = self._emit("activity.completed", t + SECOND, module.activity, result=done)
        if module.last_in_course:
            t = self._emit("activity.completed", t + SECOND, module.course, result=done)
        self.module, self.item = self.module + 1, 0
        if self.module == len(MODULES):
            self.finished = True
            t = self._emit("activity.completed", t + SECOND, PROGRAM, result=done)
        return t

    def _emit(
        self,
        kind: str,
        t: datetime,
        activity: Activity | None = None,
        *,
        result: dict[str, Any] | None = None,
        skills: list[str] | None = None,
        attempt: int | None = None,
        properties: dict[str, Any] | None = None,
    ) -> datetime:
        """Record one event at `t` (or just after the previous one); return its time."""
        t = max(t, self.clock + SECOND)
        self.clock = t
        event: Event = {
            "id": _uuid4(self.rng.getrandbits(128)),
            "type": kind,
            "learner": self.learner.id,
            "timestamp": self._stamp(t),
            "session": self.session_id,
        }
        if activity is not None:
            event["activity"] = {"id": activity.id, "type": activity.type}
            if skills or activity.skills:
                event["skills"] = skills or list(activity.skills)
        if result is not None:
            event["result"] = result
        context = _context(activity or PROGRAM)
        if attempt is not None:
            context["attempt"] = attempt
        event["context"] = context
        if properties is not None:
            event["properties"] = properties
        self.out.append((t, self.index, event))
        return t

    def _stamp(self, t: datetime) -> str:
        # Platforms send the learner's local time with its offset; UTC learners get 'Z'.
        text = t.astimezone(self.zone).isoformat(timespec="seconds")
        return text.replace("+00:00", "Z") if self.learner.timezone == "UTC" else text
