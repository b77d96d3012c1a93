"""Fold a batch into the learning-analytics read models, in the ingest transaction.

Called from `ingest.projector.project_events` with the learners' rows before the batch
(`slices`) and the rows it changed (`folds`). Per batch: one read and one write per table,
plus one increment of the tenant's content sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from stride.analytics.coaching_fold import MEETING_EVENT_COLUMNS, apply_meeting_event
from stride.analytics.content_rollup import ContentDelta, ModuleProgress, apply_item_change
from stride.analytics.items_fold import (
    ITEM_STAT_FIELDS,
    ItemAttempts,
    ItemShareFacts,
    apply_attempt,
    attempt_correct,
    count_difference,
    share_difference,
)
from stride.catalog.model import DEFAULT_PASS_SCORE, Catalog
from stride.events.recorded import RecordedEvent
from stride.progress.activity import ActivityProgress
from stride.progress.learner import LearnerFold, LearnerSlice
from stride.store import analytics_learning as store
from stride.store.catalogs import load_catalog


class _Rules:
    """What the catalog says about pass marks, modules and required items (None: no catalog)."""

    def __init__(self, catalog: Catalog | None) -> None:
        self.catalog = catalog

    def pass_mark(self, activity_id: str) -> float:
        return self.catalog.pass_mark(activity_id) if self.catalog else DEFAULT_PASS_SCORE

    def module_of(self, activity_id: str) -> str | None:
        if self.catalog is None or activity_id not in self.catalog.activities:
            return None
        return self.catalog.module_of(activity_id)

    def required(self, activity_id: str) -> bool:
        return self.catalog is not None and self.catalog.activities[activity_id].required

    def required_items(self, module_id: str) -> int:
        if self.catalog is None:
            return 0
        return sum(1 for item in self.catalog.items_under(module_id) if item.required)


def _rules(connection: Connection, tenant_id: str) -> _Rules:
    stored = load_catalog(connection, tenant_id)
    return _Rules(stored.catalog if stored else None)


def project_learning_analytics(
    connection: Connection,
    tenant_id: str,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    slices: Mapping[str, LearnerSlice],
    folds: Mapping[str, LearnerFold],
) -> None:
    """Update item attempts, meetings, module progress and the content sums for one batch."""
    rules = _rules(connection, tenant_id)
    _project_item_attempts(connection, tenant_id, by_learner, rules)
    _project_meetings(connection, tenant_id, by_learner)
    changes = [
        (slices[key].activities.get(activity_id), after)
        for key, fold in folds.items()
        for activity_id, after in fold.activities.items()
    ]
    delta = ContentDelta()
    for before, after in changes:
        pass_mark = rules.pass_mark(after.activity_id)
        delta.add_activity(before, -1, pass_mark)
        delta.add_activity(after, 1, pass_mark)
    _project_modules(connection, tenant_id, changes, rules, delta)
    store.add_content(connection, tenant_id, delta.nonzero_stats(), delta.nonzero_buckets())


def _project_modules(
    connection: Connection,
    tenant_id: str,
    changes: list[tuple[ActivityProgress | None, ActivityProgress]],
    rules: _Rules,
    delta: ContentDelta,
) -> None:
    by_module: dict[tuple[str, str], list[tuple[ActivityProgress | None, ActivityProgress]]]
    by_module = defaultdict(list)
    for before, after in changes:
        module = rules.module_of(after.activity_id)
        if module is not None and module != after.activity_id:
            by_module[(after.learner_key, module)].append((before, after))
    if not by_module:
        return
    stored = store.load_modules(connection, tenant_id, list(by_module))
    changed: list[ModuleProgress] = []
    for (key, module), item_changes in by_module.items():
        state = old = stored.get((key, module))
        for before, after in item_changes:
            required = rules.required(after.activity_id)
            state = apply_item_change(state, module, before, after, required)
        if state is not None and state != old:
            required_items = rules.required_items(module)
            delta.add_module(old, -1, required_items)
            delta.add_module(state, 1, required_items)
            changed.append(state)
    store.save_modules(connection, tenant_id, changed)


def _project_item_attempts(
    connection: Connection,
    tenant_id: str,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    rules: _Rules,
) -> None:
    """Fold graded attempts into the learners' item rows, and the change of each learner's
    share into the item sums (a rest score depends on all of the learner's items)."""
    graded: dict[tuple[str, str], list[tuple[RecordedEvent, bool]]] = defaultdict(list)
    for key, events in by_learner.items():
        for event in events:
            correct = attempt_correct(event, rules.pass_mark)
            if correct is not None and event.activity_id is not None:
                graded[(key, event.activity_id)].append((event, correct))
    if not graded:
        return
    stored = store.load_item_attempts(connection, tenant_id, graded.keys())
    after: dict[tuple[str, str], ItemAttempts] = {}
    for pair, attempts in graded.items():
        state = stored.get(pair)
        for event, correct in attempts:
            state = apply_attempt(state, event, correct)
        assert state is not None
        after[pair] = state
    # A learner's share of every item holds the rest score, which depends on the first
    # attempts at all their items: when one of those changes (a new item, or an attempt
    # earlier than the first one known), all their items are needed. Otherwise only the
    # attempt counts of the items attempted change.
    moved = {
        key
        for (key, activity_id), state in after.items()
        if _first_moved(stored.get((key, activity_id)), state)
    }
    before = store.learners_item_attempts(connection, tenant_id, moved) if moved else {}
    store.save_item_attempts(connection, tenant_id, after.values())
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * len(ITEM_STAT_FIELDS))
    now: dict[str, dict[str, ItemShareFacts]] = {
        key: {item.activity_id: item for item in items} for key, items in before.items()
    }
    for (key, activity_id), state in after.items():
        if key in moved:
            now[key][activity_id] = state
        else:
            _add(sums[activity_id], count_difference(stored[(key, activity_id)], state))
    for key, items in before.items():
        for activity_id, delta in share_difference(items, list(now[key].values())).items():
            _add(sums[activity_id], delta)
    store.add_item_stats(connection, tenant_id, {a: tuple(v) for a, v in sums.items() if any(v)})


def _first_moved(old: ItemAttempts | None, new: ItemAttempts) -> bool:
    return old is None or old.first_event != new.first_event


def _add(total: list[int], delta: tuple[int, ...]) -> None:
    for i, value in enumerate(delta):
        total[i] += value


def _project_meetings(
    connection: Connection, tenant_id: str, by_learner: Mapping[str, Sequence[RecordedEvent]]
) -> None:
    events = [
        event
        for learner_events in by_learner.values()
        for event in learner_events
        if event.type in MEETING_EVENT_COLUMNS and event.activity_id is not None
    ]
    if not events:
        return
    pairs = {(e.learner_key, e.activity_id) for e in events if e.activity_id is not None}
    stored = store.load_meetings(connection, tenant_id, pairs)
    meetings = dict(stored)
    for event in events:
        assert event.activity_id is not None
        pair = (event.learner_key, event.activity_id)
        meetings[pair] = apply_meeting_event(meetings.get(pair), event)
    store.save_meetings(
        connection, tenant_id, [m for pair, m in meetings.items() if stored.get(pair) != m]
    )


def forget_learner_content(connection: Connection, tenant_id: str, learner_key: str) -> None:
    """Take one learner's share out of the tenant's content and item sums, before their read models
    are dropped and refolded (`ingest.rebuild.rebuild_learner`), so it is not counted twice."""
    rules = _rules(connection, tenant_id)
    delta = ContentDelta()
    for row in store.learner_activity_rows(connection, tenant_id, learner_key):
        delta.add_activity(row, -1, rules.pass_mark(row.activity_id))
    for module in store.learner_module_rows(connection, tenant_id, learner_key):
        delta.add_module(module, -1, rules.required_items(module.module_id))
    store.add_content(connection, tenant_id, delta.nonzero_stats(), delta.nonzero_buckets())
    items = store.learners_item_attempts(connection, tenant_id, [learner_key])[learner_key]
    store.add_item_stats(connection, tenant_id, share_difference(items, []))
