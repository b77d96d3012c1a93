from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from stride.progress.bkt import DEFAULT_PARAMS, BktParams, predict_correct, update
from stride.progress.bkt_fit import (
    MIN_ATTEMPTS_TO_FIT,
    FitResult,
    fit_skill,
    fit_skills,
    predict_sequence,
)

TRUE = BktParams(prior=0.35, learn=0.15, guess=0.2, slip=0.1)
FORGETTING = BktParams(prior=0.4, learn=0.2, guess=0.15, slip=0.1, forget=0.08)


def simulate(
    params: BktParams, learners: int, length: int, seed: int = 1
) -> list[NDArray[np.bool_]]:
    """Answers drawn from the BKT model itself, one row per learner."""
    rng = np.random.default_rng(seed)
    known = rng.random(learners) < params.prior
    answers = np.empty((learners, length), dtype=bool)
    for t in range(length):
        p_correct = np.where(known, 1 - params.slip, params.guess)
        answers[:, t] = rng.random(learners) < p_correct
        learns = ~known & (rng.random(learners) < params.learn)
        forgets = known & (rng.random(learners) < params.forget)
        known = (known | learns) & ~forgets
    # Uneven lengths, as real learners stop at different times.
    stops = rng.integers(length // 2, length + 1, learners)
    return [row[:stop] for row, stop in zip(answers, stops, strict=True)]


def log_likelihood(sequences: list[NDArray[np.bool_]], params: BktParams) -> float:
    total = 0.0
    for answers in sequences:
        p = predict_sequence(answers, params)
        total += float(np.log(np.where(answers, p, 1 - p)).sum())
    return total


def assert_close(fitted: BktParams, true: BktParams, tolerance: float) -> None:
    for name in ("prior", "learn", "guess", "slip", "forget"):
        got, want = getattr(fitted, name), getattr(true, name)
        assert got == pytest.approx(want, abs=tolerance), (name, got, want)


def test_recovers_the_parameters_it_was_simulated_with() -> None:
    sequences = simulate(TRUE, learners=800, length=24)
    result = fit_skill(sequences)
    assert_close(result.params, TRUE, tolerance=0.04)
    assert result.learners == 800
    assert result.attempts == sum(len(s) for s in sequences)
    assert 0 < result.iterations <= 100


def test_recovers_forgetting_when_asked() -> None:
    sequences = simulate(FORGETTING, learners=1500, length=30, seed=2)
    result = fit_skill(sequences, forgets=True)
    assert_close(result.params, FORGETTING, tolerance=0.05)
    assert fit_skill(sequences).params.forget == 0.0


def test_reported_log_likelihood_is_that_of_the_returned_parameters() -> None:
    sequences = simulate(TRUE, learners=300, length=15)
    result = fit_skill(sequences)
    assert result.log_likelihood == pytest.approx(log_likelihood(sequences, result.params))
    # The maximum-likelihood fit explains the data at least as well as the truth does.
    assert result.log_likelihood >= log_likelihood(sequences, TRUE)


def test_more_iterations_never_lower_the_likelihood() -> None:
    sequences = simulate(TRUE, learners=200, length=15)
    values = [
        fit_skill(sequences, restarts=1, max_iterations=n).log_likelihood for n in (1, 3, 10, 50)
    ]
    assert values == sorted(values)


def test_bounds_hold_even_when_the_data_call_for_wild_values() -> None:
    # Guessing right 80% of the time and slipping 40%: guess + slip > 1 must not be fitted.
    wild = BktParams(prior=0.5, learn=0.1, guess=0.8, slip=0.4)
    for forgets in (False, True):
        params = fit_skill(simulate(wild, 300, 20), forgets=forgets).params
        assert 0.01 <= params.prior <= 0.99
        assert 0.001 <= params.learn <= 0.5
        assert 0.001 <= params.guess <= 0.5
        assert 0.001 <= params.slip <= 0.5
        assert 0.0 <= params.forget <= (0.2 if forgets else 0.0)


def test_restarts_are_deterministic_by_seed() -> None:
    sequences = simulate(TRUE, learners=150, length=12)
    first = fit_skill(sequences, restarts=4, seed=7)
    assert fit_skill(sequences, restarts=4, seed=7) == first
    other = fit_skill(sequences, restarts=4, seed=8)
    assert isinstance(other, FitResult)
    # More restarts (the first ones identical) can only find an equal or better optimum.
    assert fit_skill(sequences, restarts=8, seed=7).log_likelihood >= first.log_likelihood - 1e-6


def test_long_sequences_do_not_underflow() -> None:
    sequences = simulate(TRUE, learners=5, length=2000)
    result = fit_skill(sequences, max_iterations=10)
    assert math.isfinite(result.log_likelihood)
    assert result.log_likelihood < 0


def test_accepts_lists_of_bools_and_ignores_empty_sequences() -> None:
    as_lists = [[bool(x) for x in s] for s in simulate(TRUE, 50, 10)]
    result = fit_skill([*as_lists, []], restarts=2)
    assert result.learners == 50


def test_nothing_to_fit_is_an_error() -> None:
    with pytest.raises(ValueError, match="no answers"):
        fit_skill([[], []])
    with pytest.raises(ValueError, match="restarts"):
        fit_skill([[True]], restarts=0)


def test_fit_skills_skips_skills_below_the_minimum() -> None:
    enough = simulate(TRUE, 20, 10)
    assert sum(len(s) for s in enough) >= MIN_ATTEMPTS_TO_FIT
    seen: list[str] = []
    fitted = fit_skills(
        {"fractions": enough, "rare": [[True, False], [True]]}, restarts=2, on_skill=seen.append
    )
    assert set(fitted) == {"fractions"}
    assert seen == ["fractions", "rare"]
    assert fitted["fractions"] == fit_skill(enough, restarts=2)


def test_predict_sequence_uses_only_earlier_answers() -> None:
    answers = [True, False, True, True]
    predicted = predict_sequence(answers, TRUE)
    p = TRUE.prior
    for i, correct in enumerate(answers):
        assert predicted[i] == pytest.approx(predict_correct(p, TRUE))
        p = update(p, correct, TRUE)
    # Changing an answer changes only the predictions after it.
    flipped = predict_sequence([True, False, False, True], TRUE)
    assert np.array_equal(flipped[:3], predicted[:3])
    assert flipped[3] < predicted[3]
    assert predict_sequence([], TRUE).size == 0


def test_mastery_is_never_certain_enough_to_ignore_wrong_answers() -> None:
    # After 60 right answers 1 - P(mastery) (about 1e-42) is below float precision, so a
    # filter that computes it as 1 - p would stay at 0.9 forever; carried apart, the doubt
    # lets a long run of wrong answers bring the prediction down to the guessing rate.
    answers = [True] * 60 + [False] * 80
    predicted = predict_sequence(answers, DEFAULT_PARAMS)
    assert predicted[60] == pytest.approx(1 - DEFAULT_PARAMS.slip)
    assert predicted[-1] < 0.3
    # The fit's forward pass agrees with predict_sequence on such sequences.
    result = fit_skill([answers] * 5, restarts=1, max_iterations=1)
    assert result.log_likelihood == pytest.approx(
        log_likelihood([np.array(answers)] * 5, result.params)
    )


def test_an_answer_impossible_under_the_params_keeps_mastery_as_it_was() -> None:
    # slip 0 and guess 1: a wrong answer cannot happen; like bkt.posterior, nothing is learnt.
    params = BktParams(prior=0.5, learn=0.0, guess=1.0, slip=0.0)
    assert list(predict_sequence([False, False, True], params)) == [1.0, 1.0, 1.0]
