"""Content rollups by difference: a learner's share of each figure, before and after a batch.

A tenant's content figures are sums over learners of a share computed from one row (the
learner's activity row, or the learner's module row). Ingest adds share(after) - share(before)
for every row a batch changed, so the sums equal what a rebuild computes from the final rows,
whatever the order events arrived in. Scores are summed in integer millionths so that float
rounding cannot depend on that order either.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from stride.analytics.content_buckets import bucket_key, time_bucket
from stride.progress.activity import ActivityProgress, ActivityStatus

ACTIVITY = "activity"
MODULE = "module"
TIME = "time"
MODULE_TIME = "module_time"
DROPOFF = "dropoff"
STAT_FIELDS = ("starts", "completions", "scored", "score_micros", "passed")


@dataclass(frozen=True, slots=True)
class ModuleProgress:
    """Read model: one learner's progress in one catalog module, summed over its items."""

    learner_key: str
    module_id: str
    items_started: int
    required_done: int
    time_spent_ms: int
    last_item: str
    last_seen: datetime
    last_event: str

    def completed(self, required_items: int) -> bool:
        return required_items > 0 and self.required_done >= required_items


def apply_item_change(
    state: ModuleProgress | None,
    module_id: str,
    before: ActivityProgress | None,
    after: ActivityProgress,
    required: bool,
) -> ModuleProgress:
    """Fold the change of one item row (before -> after) into the learner's module row."""
    done_before = before is not None and before.status is ActivityStatus.COMPLETED
    done_after = after.status is ActivityStatus.COMPLETED
    started = 1 if before is None else 0
    done = int(done_after) - int(done_before) if required else 0
    spent = after.time_spent_ms - (before.time_spent_ms if before is not None else 0)
    if state is None:
        return ModuleProgress(
            after.learner_key,
            module_id,
            started,
            done,
            spent,
            after.activity_id,
            after.last_seen,
            after.last_event,
        )
    latest = (after.last_seen, after.last_event) > (state.last_seen, state.last_event)
    return ModuleProgress(
        state.learner_key,
        module_id,
        state.items_started + started,
        state.required_done + done,
        state.time_spent_ms + spent,
        after.activity_id if latest else state.last_item,
        after.last_seen if latest else state.last_seen,
        after.last_event if latest else state.last_event,
    )


def score_micros(score: float) -> int:
    return round(score * 1_000_000)


@dataclass
class ContentDelta:
    """What to add to the tenant's content rollups; zero entries are dropped on write."""

    stats: dict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(STAT_FIELDS))
    )
    buckets: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))

    def add_activity(self, row: ActivityProgress | None, sign: int, pass_mark: float) -> None:
        """Add (sign 1) or take away (sign -1) one learner's share of an activity's figures."""
        if row is None:
            return
        stats = self.stats[(row.activity_id, ACTIVITY)]
        done = row.status is ActivityStatus.COMPLETED
        best = row.best_score
        stats[0] += sign
        stats[1] += sign * int(done)
        if best is not None:
            stats[2] += sign
            stats[3] += sign * score_micros(best)
            stats[4] += sign * int(best >= pass_mark)
        if done:
            self.buckets[(row.activity_id, TIME, bucket_key(time_bucket(row.time_spent_ms)))] += (
                sign
            )

    def add_module(self, row: ModuleProgress | None, sign: int, required_items: int) -> None:
        """Add or take away one learner's share of a module's figures."""
        if row is None:
            return
        stats = self.stats[(row.module_id, MODULE)]
        done = row.completed(required_items)
        stats[0] += sign
        stats[1] += sign * int(done)
        if done:
            bucket = bucket_key(time_bucket(row.time_spent_ms))
            self.buckets[(row.module_id, MODULE_TIME, bucket)] += sign
        else:
            self.buckets[(row.module_id, DROPOFF, row.last_item)] += sign

    def nonzero_stats(self) -> dict[tuple[str, str], tuple[int, ...]]:
        return {key: tuple(values) for key, values in self.stats.items() if any(values)}

    def nonzero_buckets(self) -> dict[tuple[str, str, str], int]:
        return {key: value for key, value in self.buckets.items() if value}
