"""Streaks with freezes: recompute where a freeze may apply, and refold when the allowance changes.

Frozen streaks are computed from a learner's whole set of active days (order-independent by
construction). The projector keeps the O(1) `extend_streak` for the common in-order case and
comes here only for learners with a late day, or, when the tenant allows freezes, with a new
single missed day a freeze could bridge.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from sqlalchemy import Connection, delete, select

from stride.catalog.engagement import streak_rules
from stride.progress.learner import LearnerStats
from stride.progress.streaks import compute_streak_with_freezes
from stride.store import read_models as repo
from stride.store.catalogs import load_catalog
from stride.store.goals import replace_frozen_days
from stride.store.tables import learner_stats, learner_streak_freezes

_REFOLD_CHUNK = 500


def freezes_per_month(connection: Connection, tenant_id: str) -> int:
    stored = load_catalog(connection, tenant_id)
    return streak_rules(stored.catalog if stored else None).freezes_per_month


def recompute_streaks(
    connection: Connection,
    tenant_id: str,
    stats: Mapping[str, LearnerStats],
    late: Collection[str],
    bridging: Collection[str],
) -> list[LearnerStats]:
    """`stats` with the streaks of `late` learners, and of `bridging` ones when the tenant
    allows freezes, recomputed from all their active days (saved before this is called)."""
    if not late and not bridging:
        return list(stats.values())
    allowance = freezes_per_month(connection, tenant_id)
    redo = set(late) | (set(bridging) if allowance else set())
    if not redo:
        return list(stats.values())
    active_days = repo.load_active_days(connection, tenant_id, redo)
    frozen = {}
    result = []
    for key, learner in stats.items():
        if key in redo:
            streak, frozen[key] = compute_streak_with_freezes(active_days[key], allowance)
            learner = replace(learner, streak=streak)
        result.append(learner)
    if allowance:  # with no allowance no learner of the tenant has frozen days to replace
        replace_frozen_days(connection, tenant_id, frozen)
    return result


def refold_streaks(connection: Connection, tenant_id: str, allowance: int) -> int:
    """Recompute every learner's streak under a new allowance; return learners refolded."""
    connection.execute(
        delete(learner_streak_freezes).where(learner_streak_freezes.c.tenant_id == tenant_id)
    )
    keys = list(
        connection.execute(
            select(learner_stats.c.learner_key).where(learner_stats.c.tenant_id == tenant_id)
        ).scalars()
    )
    for start in range(0, len(keys), _REFOLD_CHUNK):
        chunk = keys[start : start + _REFOLD_CHUNK]
        stats = repo.load_stats(connection, tenant_id, chunk)
        active_days = repo.load_active_days(connection, tenant_id, chunk)
        frozen = {}
        changed = []
        for key, learner in stats.items():
            streak, frozen[key] = compute_streak_with_freezes(active_days.get(key, []), allowance)
            changed.append(replace(learner, streak=streak))
        repo.save_stats(connection, tenant_id, changed)
        replace_frozen_days(connection, tenant_id, {k: v for k, v in frozen.items() if v})
    return len(keys)
