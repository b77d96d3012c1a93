"""Content rollups: time buckets, shares by difference, module progress, figures."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.analytics.content import ContentInputs, ContentSums, module_figures
from stride.analytics.content_buckets import RELATIVE_ERROR, bucket_key, median_ms, time_bucket
from stride.analytics.content_rollup import ContentDelta, ModuleProgress, apply_item_change
from stride.analytics.content_scope import Scope, items_in, modules_in, resolve
from stride.catalog import parse_catalog
from stride.errors import InvalidInput, NotFound
from stride.progress.activity import ActivityProgress, ActivityStatus
from tests.catalogs import small_catalog

T0 = datetime(2024, 5, 1, tzinfo=UTC)
CATALOG = parse_catalog(small_catalog())


def row(
    activity: str,
    status: ActivityStatus = ActivityStatus.IN_PROGRESS,
    best: float | None = None,
    ms: int = 0,
    minutes: int = 0,
    learner: str = "a",
) -> ActivityProgress:
    seen = T0 + timedelta(minutes=minutes)
    return ActivityProgress(
        learner,
        activity,
        "exercise",
        status,
        0,
        best,
        best,
        None,
        None,
        ms,
        seen,
        seen,
        f"e{minutes:04d}",
        seen if status is ActivityStatus.COMPLETED else None,
    )


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=50))
def test_bucket_median_is_within_the_stated_error(times: list[int]) -> None:
    counts: dict[int, int] = {}
    for ms in times:
        counts[time_bucket(ms)] = counts.get(time_bucket(ms), 0) + 1
    exact = statistics.median_low(times)
    assert median_ms(counts) == pytest.approx(exact, rel=RELATIVE_ERROR + 1e-12)


def test_zero_time_and_empty_histograms() -> None:
    assert median_ms({}) is None
    assert median_ms({time_bucket(0): 3, time_bucket(1000): 1}) == 0.0
    assert abs(RELATIVE_ERROR - 0.0443) < 1e-4


def test_a_share_added_then_taken_away_leaves_nothing() -> None:
    delta = ContentDelta()
    done = row("x", ActivityStatus.COMPLETED, 0.8, 60_000)
    delta.add_activity(done, 1, 0.7)
    assert delta.nonzero_stats() == {("x", "activity"): (1, 1, 1, 800_000, 1)}
    assert delta.nonzero_buckets() == {("x", "time", bucket_key(time_bucket(60_000))): 1}
    delta.add_activity(done, -1, 0.7)
    delta.add_activity(None, 1, 0.7)
    assert delta.nonzero_stats() == {} and delta.nonzero_buckets() == {}


def test_module_share_moves_from_drop_off_to_completion() -> None:
    delta = ContentDelta()
    open_ = ModuleProgress("a", "m", 1, 1, 5000, "ex1", T0, "e1")
    finished = replace(open_, required_done=2, items_started=2, last_item="ex2")
    delta.add_module(open_, -1, 2)
    delta.add_module(finished, 1, 2)
    assert delta.nonzero_stats() == {("m", "module"): (0, 1, 0, 0, 0)}
    assert delta.nonzero_buckets() == {
        ("m", "dropoff", "ex1"): -1,
        ("m", "module_time", bucket_key(time_bucket(5000))): 1,
    }
    assert not ModuleProgress("a", "m", 3, 0, 0, "x", T0, "e").completed(0)


def test_item_changes_fold_into_the_module_in_any_order() -> None:
    ex1_start = row("ex1", minutes=1, ms=1000)
    ex1_done = row("ex1", ActivityStatus.COMPLETED, minutes=5, ms=3000)
    ex2 = row("ex2", minutes=3, ms=500)
    changes = [(None, ex1_start), (ex1_start, ex1_done), (None, ex2)]
    results = set()
    for order in ([0, 1, 2], [2, 0, 1], [0, 2, 1]):
        state = None
        for i in order:
            before, after = changes[i]
            state = apply_item_change(state, "m", before, after, required=True)
        results.add(state)
    (state,) = results
    assert state is not None
    assert (state.items_started, state.required_done, state.time_spent_ms) == (2, 1, 3500)
    assert (state.last_item, state.last_seen) == ("ex1", T0 + timedelta(minutes=5))


def test_optional_items_do_not_count_towards_completion() -> None:
    state = apply_item_change(None, "m", None, row("x", ActivityStatus.COMPLETED), False)
    assert state.required_done == 0 and state.items_started == 1


def test_module_figures_pick_the_earliest_item_on_a_tie() -> None:
    module = CATALOG.activities["prog/c1/m1"]
    inputs = ContentInputs(
        activities={"prog/c1/m1/ex1": ContentSums(4, 2), "prog/c1/m1/ex2": ContentSums(2, 1)},
        modules={"prog/c1/m1": ContentSums(4, 0)},
        medians={("prog/c1/m1/ex1", "time"): time_bucket(90_000)},
        dropoffs={"prog/c1/m1": {"prog/c1/m1/ex2": 2, "prog/c1/m1/ex1": 2}},
    )
    figures = module_figures(CATALOG, module, inputs, 3)
    assert figures.drop_off is not None
    assert (figures.drop_off.activity_id, figures.drop_off.share) == ("prog/c1/m1/ex1", 0.5)
    assert [b.activity_id for b in figures.blocks] == ["prog/c1/m1/ex1"]
    assert figures.withheld_blocks == 1
    assert figures.mean_score is None and figures.pass_rate is None
    assert figures.blocks[0].median_time_s == pytest.approx(90, rel=RELATIVE_ERROR)
    assert figures.median_time_s is None
    assert (figures.course_id, figures.program_id) == ("prog/c1", "prog")


def test_scopes() -> None:
    assert [m.id for m in modules_in(CATALOG, Scope())] == ["prog/c1/m1", "prog/c1/m2"]
    assert [m.id for m in modules_in(CATALOG, Scope(module="prog/c1/m2"))] == ["prog/c1/m2"]
    assert [i.id for i in items_in(CATALOG, Scope(program="prog", course="prog/c1"))][:1] == [
        "prog/c1/m1/ex1"
    ]
    with pytest.raises(NotFound):
        resolve(CATALOG, Scope(course="prog"))  # a program is not a course
    with pytest.raises(NotFound):
        resolve(None, Scope(program="prog"))
    with pytest.raises(InvalidInput):
        bigger = small_catalog()
        bigger["activities"].append({"id": "p2", "type": "program", "title": "P2"})
        resolve(parse_catalog(bigger), Scope(program="p2", course="prog/c1"))
    assert resolve(None, Scope()) is None
