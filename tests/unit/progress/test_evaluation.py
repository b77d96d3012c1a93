from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from stride.progress.bkt import DEFAULT_PARAMS, BktParams, predict_correct, update
from stride.progress.bkt_fit import fit_skills
from stride.progress.evaluation import evaluate, group_answers, predict_answers, score
from stride.progress.heuristic import heuristic_mastery

FRACTIONS = BktParams(prior=0.6, learn=0.2, guess=0.25, slip=0.05)
DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "kt" / "assistments2009"

# Interleaved: two learners, two skills, in answer order.
USERS = ["ann", "bob", "ann", "ann", "bob", "ann"]
SKILLS = ["fractions", "fractions", "algebra", "fractions", "fractions", "algebra"]
CORRECT = [True, False, False, True, True, True]


def test_group_answers_keeps_answer_order_within_each_pair() -> None:
    groups = {(u, s): list(g) for u, s, g in group_answers(USERS, SKILLS)}
    assert groups == {
        ("ann", "algebra"): [2, 5],
        ("ann", "fractions"): [0, 3],
        ("bob", "fractions"): [1, 4],
    }
    assert group_answers([], []) == []


def test_bkt_predicts_each_answer_from_earlier_ones_of_the_same_learner_and_skill() -> None:
    predicted = predict_answers(
        USERS, SKILLS, CORRECT, model="bkt", params_by_skill={"fractions": FRACTIONS}
    )
    first = predict_correct(FRACTIONS.prior, FRACTIONS)
    assert predicted[0] == pytest.approx(first)  # ann's first fractions answer
    assert predicted[1] == pytest.approx(first)  # bob's first: ann's answers do not count
    ann_after_right = update(FRACTIONS.prior, True, FRACTIONS)
    assert predicted[3] == pytest.approx(predict_correct(ann_after_right, FRACTIONS))
    bob_after_wrong = update(FRACTIONS.prior, False, FRACTIONS)
    assert predicted[4] == pytest.approx(predict_correct(bob_after_wrong, FRACTIONS))
    # algebra was not fitted: the defaults
    assert predicted[2] == pytest.approx(predict_correct(DEFAULT_PARAMS.prior, DEFAULT_PARAMS))
    after = update(DEFAULT_PARAMS.prior, False, DEFAULT_PARAMS)
    assert predicted[5] == pytest.approx(predict_correct(after, DEFAULT_PARAMS))


def test_heuristic_predicts_from_earlier_scores() -> None:
    predicted = predict_answers(USERS, SKILLS, CORRECT, model="heuristic")
    assert predicted[0] == predicted[1] == predicted[2] == 0.0
    assert predicted[3] == pytest.approx(heuristic_mastery([1.0]))
    assert predicted[4] == pytest.approx(heuristic_mastery([0.0]))
    assert predicted[5] == pytest.approx(heuristic_mastery([0.0]))


def test_unknown_model_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        predict_answers(USERS, SKILLS, CORRECT, model="irt")


def test_score_by_hand() -> None:
    result = score("m", [True, False, True, False], np.array([0.9, 0.1, 0.6, 0.4]))
    assert result.auc == pytest.approx(1.0)
    assert result.rmse == pytest.approx(math.sqrt((0.01 + 0.01 + 0.16 + 0.16) / 4))
    assert result.accuracy == pytest.approx(1.0)
    assert result.answers == 4
    worse = score("m", [True, False, True, False], np.array([0.4, 0.6, 0.6, 0.4]))
    assert worse.auc == pytest.approx(0.5)
    assert worse.accuracy == pytest.approx(0.5)


def test_undefined_metrics_are_nan_not_errors() -> None:
    one_outcome = score("m", [True, True], np.array([0.5, 0.7]))
    assert math.isnan(one_outcome.auc) and one_outcome.answers == 2
    empty = evaluate([], [], [], model="bkt")
    assert empty.answers == 0 and math.isnan(empty.rmse)


@pytest.mark.skipif(not DATA.exists(), reason=f"ASSISTments 2009 data not found at {DATA}")
def test_bkt_beats_chance_on_assistments_sample() -> None:
    from stride.evaluation.answers import read_answers

    train, test = read_answers(DATA / "train.csv"), read_answers(DATA / "test.csv")
    sample = ["7", "8", "10", "27", "40"]
    fitted = fit_skills({s: train.sequences_by_skill()[s] for s in sample}, restarts=2)
    keep = np.isin(test.skills, sample)
    params = {s: r.params for s, r in fitted.items()}
    result = evaluate(
        test.user_ids[keep],
        test.skills[keep],
        test.correct[keep],
        model="bkt",
        params_by_skill=params,
    )
    assert result.answers > 1000
    assert 0.7 < result.auc < 0.95
