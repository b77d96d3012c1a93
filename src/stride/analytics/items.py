"""Item analysis: difficulty, first-attempt correct rate and discrimination per item.

The input is one row per (learner, item) with graded attempts (`learner_item_attempts`):

- difficulty: the share of all graded attempts at the item that were correct (classical
  "p-value": higher means easier);
- first-attempt correct rate: the share of the item's learners whose first graded attempt was
  correct;
- discrimination: the point-biserial correlation, over the item's learners, of x = first
  attempt correct (1/0) with y = the learner's rest score: the mean first-attempt score over
  all the OTHER items the learner attempted in the tenant (the corrected item-total
  correlation: leaving the item out keeps it from correlating with itself, which inflates r
  most on short tests). Tenant-wide rather than per request scope, so ingest can keep the
  sums: a learner's items are usually one course's anyway. A first attempt's score is its
  `result.score`, else 1/0 from its correctness.
  Learners who attempted no other item have no rest score and are left out (`n`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stride.analytics.correlation import grouped_point_biserial, pearson_from_sums
from stride.analytics.items_fold import ITEM_STAT_FIELDS


@dataclass(frozen=True, slots=True)
class ItemRow:
    learner_key: str
    activity_id: str
    graded: int
    correct: int
    first_score: float | None
    first_correct: bool


@dataclass(frozen=True, slots=True)
class ItemFigures:
    activity_id: str
    learners: int
    attempts: int  # graded attempts
    difficulty: float  # share of attempts correct
    first_attempt_correct_rate: float
    mean_first_score: float  # mean first-attempt score (1/0 where only success was sent)
    discrimination: float | None
    discrimination_n: int  # learners with a rest score


def item_figures(rows: Sequence[ItemRow]) -> list[ItemFigures]:
    """Figures per item, in order of first appearance in `rows`."""
    if not rows:
        return []
    items = list(dict.fromkeys(r.activity_id for r in rows))
    item_index = {a: i for i, a in enumerate(items)}
    learner_index: dict[str, int] = {}
    for r in rows:
        learner_index.setdefault(r.learner_key, len(learner_index))
    item = np.fromiter((item_index[r.activity_id] for r in rows), np.intp, len(rows))
    learner = np.fromiter((learner_index[r.learner_key] for r in rows), np.intp, len(rows))
    x = np.fromiter((float(r.first_correct) for r in rows), float, len(rows))
    score = np.fromiter(
        (r.first_score if r.first_score is not None else float(r.first_correct) for r in rows),
        float,
        len(rows),
    )
    graded = np.fromiter((r.graded for r in rows), np.int64, len(rows))
    correct = np.fromiter((r.correct for r in rows), np.int64, len(rows))

    total = np.bincount(learner, weights=score, minlength=len(learner_index))
    count = np.bincount(learner, minlength=len(learner_index))
    has_rest = count[learner] >= 2
    rest = np.where(has_rest, (total[learner] - score) / np.maximum(count[learner] - 1, 1), 0.0)
    discrimination = grouped_point_biserial(item[has_rest], x[has_rest], rest[has_rest], len(items))

    n = np.bincount(item, minlength=len(items))
    attempts = np.bincount(item, weights=graded, minlength=len(items))
    right = np.bincount(item, weights=correct, minlength=len(items))
    first_right = np.bincount(item, weights=x, minlength=len(items))
    first_scores = np.bincount(item, weights=score, minlength=len(items))
    return [
        ItemFigures(
            activity_id=a,
            learners=int(n[i]),
            attempts=int(attempts[i]),
            difficulty=float(right[i] / attempts[i]) if attempts[i] else 0.0,
            first_attempt_correct_rate=float(first_right[i] / n[i]),
            mean_first_score=float(first_scores[i] / n[i]),
            discrimination=discrimination[i].coefficient,
            discrimination_n=discrimination[i].n,
        )
        for i, a in enumerate(items)
    ]


def figures_from_sums(activity_id: str, sums: Sequence[int]) -> ItemFigures:
    """An item's figures from its stored sums (ITEM_STAT_FIELDS order), as `item_figures`
    computes them from rows, rest scores rounded to millionths. Integer sums keep the
    variances exact until the one division."""
    values = dict(zip(ITEM_STAT_FIELDS, (int(v) for v in sums), strict=True))
    learners, graded = values["learners"], values["graded"]
    n, x, y = values["pb_n"], values["pb_x"], values["pb_y"]
    return ItemFigures(
        activity_id=activity_id,
        learners=learners,
        attempts=graded,
        difficulty=values["correct"] / graded if graded else 0.0,
        first_attempt_correct_rate=values["first_correct"] / learners if learners else 0.0,
        mean_first_score=values["first_score_micros"] / 1e6 / learners if learners else 0.0,
        discrimination=pearson_from_sums(n, x, y, values["pb_xy"], x, values["pb_yy"]),
        discrimination_n=n,
    )
