"""Content effectiveness per catalog module and per item (block), from the content sums.

Definitions (docs/analytics-learning.md):

- learners (starts): learners with any event on the item; for a module, on any of its items.
- completions: learners who completed the item; for a module, who completed every required
  item of it (as the catalog stood when their events were folded).
- completion rate: completions / learners.
- median time: the median time spent (the sum of `result.duration_s` on the item, or on the
  module's items) of the learners who completed it, from log-scale buckets: within
  `TIME_RELATIVE_ERROR` of the exact median.
- mean score and pass rate: over the learners with a score on the item, their best score, and
  the share whose best score reached the item's pass mark; for a module, pooled over the
  (learner, item) pairs of its shown items.
- drop-off: among the learners who started a module and have not completed it, the item each
  touched last (greatest event time); the module's drop-off point is the item most of them
  stopped after (ties: the earlier item in the catalog).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stride.analytics.content_buckets import RELATIVE_ERROR, bucket_midpoint_ms
from stride.catalog.model import Catalog, CatalogActivity

TIME_RELATIVE_ERROR = RELATIVE_ERROR


@dataclass(frozen=True, slots=True)
class ContentSums:
    starts: int = 0
    completions: int = 0
    scored: int = 0
    score_micros: int = 0
    passed: int = 0


@dataclass(frozen=True, slots=True)
class BlockFigures:
    activity_id: str
    title: str
    type: str
    learners: int
    completions: int
    completion_rate: float
    median_time_s: float | None
    scored_learners: int
    mean_score: float | None
    pass_rate: float | None
    stopped_here: int  # learners of the module who have not completed it and touched this last


@dataclass(frozen=True, slots=True)
class DropOff:
    activity_id: str
    learners: int
    share: float  # of the module's learners who have not completed it


@dataclass(frozen=True, slots=True)
class ModuleFigures:
    module_id: str
    title: str
    course_id: str | None
    program_id: str | None
    learners: int
    completions: int
    completion_rate: float
    median_time_s: float | None
    mean_score: float | None
    pass_rate: float | None
    drop_off: DropOff | None
    blocks: list[BlockFigures]
    withheld_blocks: int


@dataclass(frozen=True)
class ContentInputs:
    """The tenant's content sums, median time buckets and drop-off counts."""

    activities: Mapping[str, ContentSums]
    modules: Mapping[str, ContentSums]
    medians: Mapping[tuple[str, str], int]  # (activity, "time" | "module_time") -> bucket
    dropoffs: Mapping[str, Mapping[str, int]]  # module -> last item -> learners


def _seconds(bucket: int | None) -> float | None:
    return None if bucket is None else bucket_midpoint_ms(bucket) / 1000


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def block_figures(
    item: CatalogActivity, sums: ContentSums, inputs: ContentInputs, stopped: int
) -> BlockFigures:
    return BlockFigures(
        activity_id=item.id,
        title=item.title,
        type=item.type,
        learners=sums.starts,
        completions=sums.completions,
        completion_rate=_rate(sums.completions, sums.starts) or 0.0,
        median_time_s=_seconds(inputs.medians.get((item.id, "time"))),
        scored_learners=sums.scored,
        mean_score=sums.score_micros / 1e6 / sums.scored if sums.scored else None,
        pass_rate=_rate(sums.passed, sums.scored),
        stopped_here=stopped,
    )


def module_figures(
    catalog: Catalog, module: CatalogActivity, inputs: ContentInputs, min_group_size: int
) -> ModuleFigures:
    """A module's figures and its items', items below `min_group_size` learners withheld."""
    sums = inputs.modules.get(module.id, ContentSums())
    dropoffs = inputs.dropoffs.get(module.id, {})
    items = catalog.items_under(module.id)
    blocks = [
        block_figures(
            item, inputs.activities.get(item.id, ContentSums()), inputs, dropoffs.get(item.id, 0)
        )
        for item in items
    ]
    shown = [b for b in blocks if b.learners >= min_group_size]
    scored = sum(b.scored_learners for b in shown)
    micros = sum(inputs.activities[b.activity_id].score_micros for b in shown if b.scored_learners)
    passed = sum(inputs.activities[b.activity_id].passed for b in shown if b.scored_learners)
    not_completed = sum(max(n, 0) for n in dropoffs.values())
    ancestors = catalog.ancestors(module.id)
    return ModuleFigures(
        module_id=module.id,
        title=module.title,
        course_id=ancestors[0] if ancestors else None,
        program_id=ancestors[1] if len(ancestors) > 1 else None,
        learners=sums.starts,
        completions=sums.completions,
        completion_rate=_rate(sums.completions, sums.starts) or 0.0,
        median_time_s=_seconds(inputs.medians.get((module.id, "module_time"))),
        mean_score=micros / 1e6 / scored if scored else None,
        pass_rate=_rate(passed, scored),
        drop_off=_drop_off(items, dropoffs, not_completed),
        blocks=shown,
        withheld_blocks=len(blocks) - len(shown),
    )


def _drop_off(
    items: tuple[CatalogActivity, ...], dropoffs: Mapping[str, int], not_completed: int
) -> DropOff | None:
    best: tuple[int, str] | None = None
    for item in items:  # catalog order, so a tie goes to the earlier item
        count = dropoffs.get(item.id, 0)
        if count > 0 and (best is None or count > best[0]):
            best = (count, item.id)
    if best is None or not not_completed:
        return None
    return DropOff(best[1], best[0], best[0] / not_completed)
