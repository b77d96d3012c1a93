"""Per learner and item: graded attempts, correct ones, and the first graded attempt."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from stride.events.recorded import RecordedEvent
from stride.events.types import ATTEMPT_EVENT_TYPES


@dataclass(frozen=True, slots=True)
class ItemAttempts:
    """Read model: one learner's graded attempts at one item (order-independent: counts, and
    the attempt with the least (timestamp, event id))."""

    learner_key: str
    activity_id: str
    graded: int
    correct: int
    first_at: datetime
    first_event: str
    first_score: float | None
    first_correct: bool


class ItemShareFacts(Protocol):
    """What a learner's share of an item's sums is made of (an ItemAttempts, or an ItemFirst
    read for the purpose)."""

    @property
    def activity_id(self) -> str: ...
    @property
    def graded(self) -> int: ...
    @property
    def correct(self) -> int: ...
    @property
    def first_score(self) -> float | None: ...
    @property
    def first_correct(self) -> bool: ...


class ItemFirst(NamedTuple):
    """An item row with only what the shares need: a learner's whole set of items is read
    whenever one of their first attempts moves, so it is read lean."""

    activity_id: str
    graded: int
    correct: int
    first_score: float | None
    first_correct: bool


def attempt_correct(event: RecordedEvent, pass_mark: Callable[[str], float]) -> bool | None:
    """Whether an attempt event was correct: `result.success` when sent, else score >= the
    item's pass mark; None when the event is no graded attempt at an activity."""
    if event.type not in ATTEMPT_EVENT_TYPES or event.derived or event.activity_id is None:
        return None
    if event.success is not None:
        return event.success
    if event.score is not None:
        return event.score >= pass_mark(event.activity_id)
    return None


def apply_attempt(state: ItemAttempts | None, event: RecordedEvent, correct: bool) -> ItemAttempts:
    assert event.activity_id is not None
    first = state is None or event.order_key < (state.first_at, state.first_event)
    return ItemAttempts(
        learner_key=event.learner_key,
        activity_id=event.activity_id,
        graded=(state.graded if state else 0) + 1,
        correct=(state.correct if state else 0) + int(correct),
        first_at=event.timestamp if first or state is None else state.first_at,
        first_event=event.event_id if first or state is None else state.first_event,
        first_score=event.score if first or state is None else state.first_score,
        first_correct=correct if first or state is None else state.first_correct,
    )


ITEM_STAT_FIELDS = (
    "learners",
    "graded",
    "correct",
    "first_correct",
    "first_score_micros",
    "pb_n",
    "pb_x",
    "pb_y",
    "pb_xy",
    "pb_yy",
)


def first_score_micros(item: ItemShareFacts) -> int:
    """The first attempt's score in millionths (1/0 from correctness when it had no score)."""
    score = item.first_score if item.first_score is not None else float(item.first_correct)
    return round(score * 1_000_000)


def item_shares(items: Sequence[ItemShareFacts]) -> dict[str, tuple[int, ...]]:
    """One learner's share of each item's sums (ITEM_STAT_FIELDS), from ALL of their items:
    the rest score at an item depends on every other item they attempted."""
    scores = [first_score_micros(item) for item in items]
    total, count = sum(scores), len(scores)
    shares: dict[str, tuple[int, ...]] = {}
    for item, score in zip(items, scores, strict=True):
        x = int(item.first_correct)
        head = (1, item.graded, item.correct, x, score)
        if count < 2:
            shares[item.activity_id] = (*head, 0, 0, 0, 0, 0)
            continue
        # Rounded half up in integers: the same on every machine and in every order.
        rest = (2 * (total - score) + count - 1) // (2 * (count - 1))
        shares[item.activity_id] = (*head, 1, x, rest, x * rest, rest * rest)
    return shares


def share_difference(
    before: Sequence[ItemShareFacts], after: Sequence[ItemShareFacts]
) -> dict[str, tuple[int, ...]]:
    """What to add to the item sums when a learner's items go from `before` to `after`."""
    old, new = item_shares(before), item_shares(after)
    zero = (0,) * len(ITEM_STAT_FIELDS)
    changes = {}
    for activity_id in old.keys() | new.keys():
        a, b = old.get(activity_id, zero), new.get(activity_id, zero)
        delta = tuple(y - x for x, y in zip(a, b, strict=True))
        if any(delta):
            changes[activity_id] = delta
    return changes


def count_difference(before: ItemAttempts, after: ItemAttempts) -> tuple[int, ...]:
    """What to add to an item's sums when only its attempt counts change (the same first
    attempt, so the learner's rest scores and every other item's share stay)."""
    assert before.first_event == after.first_event
    graded, correct = after.graded - before.graded, after.correct - before.correct
    return (0, graded, correct, *(0,) * (len(ITEM_STAT_FIELDS) - 3))
