from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.progress.bkt import DEFAULT_PARAMS, BktParams, posterior, predict_correct, update

# Hand-computed with DEFAULT_PARAMS (prior 0.3, learn 0.1, guess 0.2, slip 0.1):
# P(correct) = 0.3 * 0.9 + 0.7 * 0.2 = 0.41
# after a right answer: 0.27 / 0.41 = 0.658537, then + (1 - 0.658537) * 0.1 = 0.692683
# after a wrong answer: 0.03 / (0.03 + 0.56) = 0.050847, then + 0.949153 * 0.1 = 0.145763


def test_predict_correct_by_hand() -> None:
    assert predict_correct(0.3, DEFAULT_PARAMS) == pytest.approx(0.41)
    assert predict_correct(0.0, DEFAULT_PARAMS) == pytest.approx(DEFAULT_PARAMS.guess)
    assert predict_correct(1.0, DEFAULT_PARAMS) == pytest.approx(1 - DEFAULT_PARAMS.slip)


@pytest.mark.parametrize(
    ("correct", "known", "after"),
    [(True, 0.27 / 0.41, 0.692683), (False, 0.03 / 0.59, 0.145763)],
)
def test_posterior_and_update_by_hand(correct: bool, known: float, after: float) -> None:
    assert posterior(0.3, correct, DEFAULT_PARAMS) == pytest.approx(known)
    assert update(0.3, correct, DEFAULT_PARAMS) == pytest.approx(after, abs=1e-6)


def test_update_with_forgetting_by_hand() -> None:
    params = BktParams(prior=0.5, learn=0.2, guess=0.25, slip=0.1, forget=0.1)
    # posterior 0.45 / 0.575 = 0.782609; 0.782609 * 0.9 + 0.217391 * 0.2 = 0.747826
    assert update(0.5, True, params) == pytest.approx(0.747826, abs=1e-6)


def test_parameters_outside_zero_one_are_rejected() -> None:
    with pytest.raises(ValueError, match="slip"):
        BktParams(prior=0.3, learn=0.1, guess=0.2, slip=1.5)


probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(probability, st.booleans(), probability, probability, probability, probability, probability)
def test_probabilities_stay_in_unit_interval(
    p: float,
    correct: bool,
    prior: float,
    learn: float,
    guess: float,
    slip: float,
    forget: float,
) -> None:
    params = BktParams(prior=prior, learn=learn, guess=guess, slip=slip, forget=forget)
    for value in (
        predict_correct(p, params),
        posterior(p, correct, params),
        update(p, correct, params),
    ):
        assert 0.0 <= value <= 1.0 + 1e-12


@given(st.lists(st.booleans(), max_size=50))
def test_a_right_answer_never_lowers_mastery_below_a_wrong_one(answers: list[bool]) -> None:
    p = DEFAULT_PARAMS.prior
    for correct in answers:
        assert update(p, True, DEFAULT_PARAMS) >= update(p, False, DEFAULT_PARAMS)
        p = update(p, correct, DEFAULT_PARAMS)
