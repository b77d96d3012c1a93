"""Weighted completion trees and pace lines, against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.catalog import Catalog, parse_catalog
from stride.errors import NotFound
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.completion import (
    NodeProgress,
    PacePoint,
    actual_pace,
    completion_tree,
    pace_days,
    planned_pace,
)

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
T0 = datetime(2024, 2, 1, 9, tzinfo=UTC)
MINUTE_MS = 60_000


def row(
    activity_id: str,
    *,
    done: bool = True,
    score: float | None = None,
    minutes: int = 0,
    attempts: int = 0,
    at: datetime = T0,
) -> ActivityProgress:
    return ActivityProgress(
        learner_key="k",
        activity_id=activity_id,
        activity_type=None,
        status=ActivityStatus.COMPLETED if done else ActivityStatus.IN_PROGRESS,
        attempts=attempts,
        best_score=score,
        last_score=score,
        last_scored_at=at if score is not None else None,
        last_scored_event=None,
        time_spent_ms=minutes * MINUTE_MS,
        first_seen=at,
        last_seen=at,
        last_event="e",
        completed_at=at if done else None,
    )


def rows(*progress: ActivityProgress) -> dict[str, ActivityProgress]:
    return {p.activity_id: p for p in progress}


def item(id_: str, parent: str, minutes: int, **extra: object) -> dict[str, object]:
    return {
        "id": id_,
        "type": "exercise",
        "parent": parent,
        "estimated_minutes": minutes,
        **extra,
    }


# p
# ├── c1 (weight 3)
# │   ├── m1: a (w 1, 10 min), b (w 3, 20 min), o (optional, 5 min)
# │   └── m2 (optional): d (7 min)
# └── c2 (weight 1)
#     └── m3: e (30 min)
CATALOG = parse_catalog(
    {
        "activities": [
            {"id": "p", "type": "program", "title": "Program"},
            {"id": "c1", "type": "course", "parent": "p", "weight": 3},
            {"id": "m1", "type": "module", "parent": "c1"},
            item("a", "m1", 10),
            item("b", "m1", 20, weight=3),
            item("o", "m1", 5, required=False, type="lesson"),
            {"id": "m2", "type": "module", "parent": "c1", "required": False},
            item("d", "m2", 7, type="lesson"),
            {"id": "c2", "type": "course", "parent": "p"},
            {"id": "m3", "type": "module", "parent": "c2"},
            item("e", "m3", 30, type="assessment"),
            {"id": "solo", "type": "program"},
            {"id": "cs", "type": "course", "parent": "solo"},
            {"id": "ms", "type": "module", "parent": "cs"},
            item("x", "ms", 1, required=False),
            item("y", "ms", 1, required=False, weight=3),
            {"id": "empty", "type": "module", "parent": "cs", "required": False},
        ]
    }
)


def node(tree: NodeProgress, id_: str) -> NodeProgress:
    if tree.id == id_:
        return tree
    for child in tree.children:
        if found := _find(child, id_):
            return found
    raise KeyError(id_)


def _find(tree: NodeProgress, id_: str) -> NodeProgress | None:
    try:
        return node(tree, id_)
    except KeyError:
        return None


def test_weighted_completion_counts_required_children_only() -> None:
    progress = rows(
        row("a", score=0.8, minutes=30, attempts=2, at=T0),
        row("o", at=T0 + timedelta(hours=1)),
        row("d", at=T0 + timedelta(hours=2)),
        row("e", done=False, score=0.5, minutes=30, attempts=1, at=T0 + timedelta(hours=3)),
        row("unknown-to-the-catalog", score=1.0, minutes=600),
    )
    tree = completion_tree(CATALOG, "p", progress, now=NOW)

    m1 = node(tree, "m1")
    assert m1.completion == pytest.approx(0.25)  # (1*1 + 3*0) / 4; o is optional
    assert (m1.items_total, m1.items_completed, m1.remaining_minutes) == (2, 1, 20)
    assert m1.estimated_minutes == 35

    assert node(tree, "m2").completion == 1.0
    assert node(tree, "m2").status == "completed"
    assert node(tree, "c1").completion == pytest.approx(0.25)  # m2 is optional
    assert node(tree, "c2").completion == 0.0
    assert node(tree, "c2").status == "in_progress"

    assert tree.completion == pytest.approx((3 * 0.25 + 1 * 0.0) / 4)
    assert tree.status == "in_progress"
    assert (tree.items_total, tree.items_completed) == (3, 1)
    assert (tree.estimated_minutes, tree.remaining_minutes) == (72, 50)
    assert (tree.time_spent_ms, tree.attempts) == (60 * MINUTE_MS, 3)
    assert tree.average_score == pytest.approx(0.65)
    assert tree.best_score == 0.8
    assert tree.efficiency == pytest.approx(65.0)  # 65 points in one hour
    assert tree.last_activity == T0 + timedelta(hours=3)
    assert tree.completed_at is None
    assert [c.id for c in tree.children] == ["c1", "c2"]


def test_completed_at_is_when_the_last_required_item_was_done() -> None:
    last = T0 + timedelta(days=3)
    progress = rows(row("a"), row("b", at=T0 + timedelta(days=1)), row("e", at=last))
    tree = completion_tree(CATALOG, "p", progress, now=NOW)
    assert (tree.completion, tree.status, tree.completed_at) == (1.0, "completed", last)
    assert tree.remaining_minutes == 0
    assert tree.average_score is None and tree.efficiency is None


def test_a_container_without_required_children_counts_all_of_them() -> None:
    tree = completion_tree(CATALOG, "solo", rows(row("y")), now=NOW)
    assert node(tree, "ms").completion == pytest.approx(0.75)  # (1*0 + 3*1) / 4
    assert node(tree, "empty").completion == 0.0
    assert node(tree, "empty").status == "not_started"
    assert tree.completion == pytest.approx(0.75)  # the empty module is optional


def test_nothing_done_is_not_started() -> None:
    tree = completion_tree(CATALOG, "p", {}, now=NOW)
    assert (tree.completion, tree.status, tree.last_activity) == (0.0, "not_started", None)
    assert node(tree, "a").status == "not_started"


def test_an_unknown_root_is_not_found() -> None:
    with pytest.raises(NotFound):
        completion_tree(CATALOG, "nope", {}, now=NOW)


def test_pace_days_spread_evenly_and_end_today() -> None:
    start = date(2024, 1, 1)
    assert pace_days(start, date(2024, 1, 11), points=3) == [
        start,
        date(2024, 1, 6),
        date(2024, 1, 11),
    ]
    assert pace_days(start, date(2024, 1, 3)) == [start, date(2024, 1, 2), date(2024, 1, 3)]
    assert pace_days(start, start) == [start]
    assert pace_days(start, date(2023, 12, 31)) == []
    days = pace_days(start, date(2024, 12, 31))
    assert len(days) == 12 and len(set(days)) == 12 and days[-1] == date(2024, 12, 31)


def test_planned_pace_rises_linearly_to_the_target() -> None:
    start = date(2024, 1, 1)
    planned = planned_pace(start, date(2024, 1, 11), date(2024, 1, 6))
    assert [p.planned for p in planned] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    late = planned_pace(start, date(2024, 1, 3), date(2024, 1, 5))
    assert [p.planned for p in late] == pytest.approx([0, 0.5, 1, 1, 1])
    assert planned_pace(start, None, date(2024, 1, 6)) == []


def test_actual_pace_follows_completions_on_the_learners_days() -> None:
    start = date(2024, 2, 1)
    progress = rows(
        row("a", at=datetime(2024, 2, 2, 10, tzinfo=UTC)),
        row("b", at=datetime(2024, 2, 3, 23, 30, tzinfo=UTC)),
        row("e", done=False),
    )
    actual = actual_pace(CATALOG, "p", progress, start, date(2024, 2, 5))
    assert [p.day.day for p in actual] == [1, 2, 3, 4, 5]
    assert [p.planned for p in actual] == pytest.approx([0, 3 / 16, 0.75, 0.75, 0.75])
    # 23:30 UTC on the 3rd is already the 4th two hours east.
    east_tz = timezone(timedelta(hours=2))
    east = actual_pace(CATALOG, "p", progress, start, date(2024, 2, 5), tz=east_tz)
    assert [p.planned for p in east] == pytest.approx([0, 3 / 16, 3 / 16, 0.75, 0.75])
    planned = planned_pace(start, date(2024, 3, 1), date(2024, 2, 5))
    assert [p.day for p in planned] == [p.day for p in actual]
    assert completion_tree(CATALOG, "p", progress, now=NOW).completion == actual[-1].planned


@st.composite
def weighted_catalogs(draw: st.DrawFn) -> Catalog:
    """Random required flags and weights on a tree of up to 3 courses x 3 modules x 4 items.

    Every module has an item: an empty one is never complete (tested above), so the tree
    could not reach 1 here.
    """
    weight = st.floats(min_value=0.1, max_value=10)
    activities: list[dict[str, object]] = [{"id": "p", "type": "program"}]
    for c in range(draw(st.integers(1, 3))):
        course = f"c{c}"
        activities.append({"id": course, "type": "course", "parent": "p", "weight": draw(weight)})
        for m in range(draw(st.integers(1, 3))):
            module = f"{course}m{m}"
            activities.append(
                {
                    "id": module,
                    "type": "module",
                    "parent": course,
                    "required": draw(st.booleans()),
                    "weight": draw(weight),
                }
            )
            for i in range(draw(st.integers(1, 4))):
                required, share = draw(st.booleans()), draw(weight)
                activities.append(item(f"{module}i{i}", module, 5, required=required, weight=share))
    return parse_catalog({"activities": activities})


@given(data=st.data(), catalog=weighted_catalogs())
def test_completion_stays_in_bounds_and_only_rises_as_items_complete(
    data: st.DataObject, catalog: Catalog
) -> None:
    items = [i.id for i in catalog.items_under("p")]
    order = data.draw(st.permutations(items))
    done: dict[str, ActivityProgress] = {}
    before = completion_tree(catalog, "p", done, now=NOW)
    assert before.completion == 0.0
    for count, item_id in enumerate(order, start=1):
        done[item_id] = row(item_id, at=T0 + timedelta(minutes=count))
        after = completion_tree(catalog, "p", done, now=NOW)
        assert 0.0 <= after.completion <= 1.0
        assert after.completion >= before.completion
        assert after.items_completed >= before.items_completed
        before = after
    assert before.items_completed == before.items_total
    if before.items_total:
        assert (before.completion, before.status) == (1.0, "completed")
        assert before.completed_at is not None


def test_pace_point_is_a_plain_value() -> None:
    assert PacePoint(date(2024, 1, 1), 0.5) == PacePoint(date(2024, 1, 1), 0.5)
