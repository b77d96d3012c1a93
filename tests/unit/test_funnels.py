"""Funnel math: per-learner paths (sequential and strict) and the step figures."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.analytics.funnels import (
    FunnelOrder,
    LearnerPath,
    drop_offs,
    learner_path,
    summarize,
)

SEQ, STRICT = FunnelOrder.SEQUENTIAL, FunnelOrder.STRICT
DAY = 86_400_000


@pytest.mark.parametrize(
    ("keys", "occurrences", "window", "order", "expected"),
    [
        # Reaches both steps 2 days apart.
        (["a", "b"], [[0], [2 * DAY]], 14 * DAY, SEQ, LearnerPath(2, (0, 2 * DAY))),
        # b before a does not count; a later b does.
        (["a", "b"], [[5], [1, 9]], 14 * DAY, SEQ, LearnerPath(2, (5, 9))),
        # Outside the window: only step 1.
        (["a", "b"], [[0], [15 * DAY]], 14 * DAY, SEQ, LearnerPath(1, (0,))),
        # A later start may fit the window.
        (
            ["a", "b"],
            [[0, 10 * DAY], [15 * DAY]],
            14 * DAY,
            SEQ,
            LearnerPath(2, (10 * DAY, 15 * DAY)),
        ),
        # Never did step 1.
        (["a", "b"], [[], [3]], 10, SEQ, LearnerPath(0, ())),
        # The same key twice needs two occurrences.
        (["a", "a"], [[4], [4]], 10, SEQ, LearnerPath(1, (4,))),
        (["a", "a"], [[4, 6], [4, 6]], 10, SEQ, LearnerPath(2, (4, 6))),
        # Strict: a step event in between (b before c) breaks a -> c.
        (["a", "c", "b"], [[1], [3], [2]], 10, STRICT, LearnerPath(1, (1,))),
        (["a", "c", "b"], [[1], [3], [2]], 10, SEQ, LearnerPath(2, (1, 3))),
        (["a", "b", "c"], [[1], [2], [3]], 10, STRICT, LearnerPath(3, (1, 2, 3))),
        # Strict with a repeated step 1: the last a before b starts the run.
        (["a", "b"], [[1, 2], [3]], 10, STRICT, LearnerPath(2, (2, 3))),
        # Same instant: funnel order decides.
        (["a", "b"], [[5], [5]], 10, STRICT, LearnerPath(2, (5, 5))),
    ],
)
def test_learner_path(
    keys: list[str],
    occurrences: list[list[int]],
    window: int,
    order: FunnelOrder,
    expected: LearnerPath,
) -> None:
    assert learner_path(keys, occurrences, window, order) == expected


def test_entry_range_limits_the_starts() -> None:
    occurrences = [[0, 100], [50, 150]]
    assert learner_path(["a", "b"], occurrences, 1000, SEQ, (60, None)) == LearnerPath(
        2, (100, 150)
    )
    assert learner_path(["a", "b"], occurrences, 1000, SEQ, (None, 100)).times == (0, 50)
    assert learner_path(["a", "b"], occurrences, 1000, SEQ, (101, None)).reached == 0


def test_summarize_and_drop_offs() -> None:
    paths = {
        "k1": LearnerPath(3, (0, 10, 40)),
        "k2": LearnerPath(2, (0, 30)),
        "k3": LearnerPath(1, (5,)),
        "k4": LearnerPath(3, (0, 20, 30)),
    }
    figures = summarize(paths.values(), 3)
    assert [f.learners for f in figures] == [4, 3, 2]
    assert [f.conversion_from_start for f in figures] == [1.0, 0.75, 0.5]
    assert figures[2].conversion_from_previous == pytest.approx(2 / 3)
    assert figures[1].median_ms_from_previous == 20.0
    assert figures[2].median_ms_from_previous == 20.0  # 30 and 10
    assert figures[2].median_ms_from_start == 35.0
    assert figures[0].median_ms_from_previous is None
    assert drop_offs(paths, 1) == ["k3"]
    assert drop_offs(paths, 2) == ["k2"]
    assert summarize([], 2)[1].conversion_from_start is None


# ---------------------------------------------------------------- properties (hypothesis)

keys_strategy = st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=4)
times = st.lists(st.integers(0, 40), max_size=5)


@st.composite
def funnels(draw: st.DrawFn) -> tuple[list[str], list[list[int]], int]:
    keys = draw(keys_strategy)
    per_key = {key: draw(times) for key in set(keys)}
    return keys, [per_key[key] for key in keys], draw(st.integers(0, 50))


def _brute_force(keys: list[str], occurrences: list[list[int]], window: int) -> int:
    """The deepest sequential run, trying every combination of occurrences."""
    best = 0
    for depth in range(1, len(keys) + 1):
        for combo in itertools.product(*(sorted(set(o)) for o in occurrences[:depth])):
            ok = (
                all(
                    combo[k] > combo[k - 1] if keys[k] == keys[k - 1] else combo[k] >= combo[k - 1]
                    for k in range(1, depth)
                )
                and combo[-1] - combo[0] <= window
            )
            if ok:
                best = depth
                break
    return best


@given(funnels())
def test_sequential_finds_the_deepest_run(case: tuple[list[str], list[list[int]], int]) -> None:
    keys, occurrences, window = case
    assert learner_path(keys, occurrences, window, SEQ).reached == _brute_force(
        keys, occurrences, window
    )


@given(funnels(), st.randoms(use_true_random=False))
def test_the_order_of_occurrences_does_not_matter(
    case: tuple[list[str], list[list[int]], int], rng: random.Random
) -> None:
    keys, occurrences, window = case
    shuffled = [rng.sample(o, len(o)) for o in occurrences]
    for order in FunnelOrder:
        assert learner_path(keys, shuffled, window, order) == learner_path(
            keys, occurrences, window, order
        )


@given(funnels(), st.integers(0, 30))
def test_strict_never_beats_sequential_and_wider_windows_never_lose(
    case: tuple[list[str], list[list[int]], int], more: int
) -> None:
    keys, occurrences, window = case
    sequential = learner_path(keys, occurrences, window, SEQ)
    strict = learner_path(keys, occurrences, window, STRICT)
    assert strict.reached <= sequential.reached
    for order in FunnelOrder:
        narrow = learner_path(keys, occurrences, window, order)
        assert learner_path(keys, occurrences, window + more, order).reached >= narrow.reached
    for path in (sequential, strict):
        assert list(path.times) == sorted(path.times)
        assert not path.times or path.times[-1] - path.times[0] <= window


@given(st.lists(funnels(), max_size=20))
def test_step_counts_never_grow(cases: list[tuple[list[str], list[list[int]], int]]) -> None:
    paths = [
        learner_path(["a", "b", "c"], o[:3] + [[]] * (3 - len(o[:3])), w, SEQ) for _, o, w in cases
    ]
    figures = summarize(paths, 3)
    counts = [f.learners for f in figures]
    assert counts == sorted(counts, reverse=True)
    for f in figures:
        assert f.conversion_from_previous is None or 0 <= f.conversion_from_previous <= 1


def _random_funnel(rng: random.Random) -> tuple[list[str], list[list[list[int]]]]:
    """Steps with repeated keys, and per step key each learner's ascending unique times."""
    keys = [rng.choice("abc") for _ in range(rng.randint(2, 5))]
    learners = rng.randint(0, 40)
    by_key = {
        key: [
            sorted(rng.sample(range(0, 30 * DAY, DAY // 4), rng.choice([0, 1, 2, 5, 16])))
            for _ in range(learners)
        ]
        for key in set(keys)
    }
    return keys, [by_key[key] for key in keys]


def test_the_vectorized_sequential_funnel_equals_the_definition() -> None:
    from stride.analytics.funnels_vector import sequential_paths, stopped_at, summarize_paths
    from stride.store.funnel_times import ragged

    rng = random.Random(11)
    for _ in range(300):
        keys, occurrences = _random_funnel(rng)
        window = rng.choice([DAY, 3 * DAY, 14 * DAY, 365 * DAY])
        entry = rng.choice([(None, None), (5 * DAY, None), (None, 20 * DAY), (2 * DAY, 9 * DAY)])
        learners = [f"l{n:02}" for n in range(len(occurrences[0]))]
        paths = sequential_paths(keys, [ragged(o) for o in occurrences], window, entry)
        expected = {
            learner: learner_path(keys, [o[n] for o in occurrences], window, SEQ, entry, True)
            for n, learner in enumerate(learners)
        }
        for n, learner in enumerate(learners):
            path = expected[learner]
            assert int(paths.reached[n]) == path.reached
            assert tuple(paths.times[n, : path.reached].tolist()) == path.times
        entered = {k: p for k, p in expected.items() if p.reached}
        assert summarize_paths(paths, len(keys)) == summarize(entered.values(), len(keys))
        for step in range(1, len(keys)):
            assert stopped_at(learners, paths, step) == drop_offs(entered, step)
