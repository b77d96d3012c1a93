"""Offline evaluation of mastery models: predict each answer from the ones before it.

The usual knowledge-tracing protocol: for every answer of a test learner on a skill, the model
sees only that learner's earlier answers on that skill, and its P(correct) is scored against
what happened (AUC, RMSE, accuracy at 0.5) over all answers together.
- "bkt": `predict_sequence` with the skill's fitted parameters (DEFAULT_PARAMS for a skill
  the training data did not fit);
- "heuristic": `heuristic_mastery` of the earlier scores, read as P(correct).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from stride.progress.bkt import DEFAULT_PARAMS, BktParams
from stride.progress.bkt_fit import predict_sequence
from stride.progress.heuristic import HEURISTIC_WINDOW, heuristic_mastery

MODELS = ("bkt", "heuristic")
Group = tuple[str, str, NDArray[np.intp]]


@dataclass(frozen=True)
class Evaluation:
    """How well a model's P(correct) predicted the answers; NaN where undefined."""

    model: str
    auc: float
    rmse: float
    accuracy: float
    answers: int


def group_answers(user_ids: ArrayLike, skills: ArrayLike) -> list[Group]:
    """(learner, skill, positions of their answers in order) for every pair that occurs."""
    users_found, user_codes = np.unique(np.asarray(user_ids), return_inverse=True)
    skills_found, skill_codes = np.unique(np.asarray(skills), return_inverse=True)
    if user_codes.size != skill_codes.size:
        raise ValueError("user_ids and skills differ in length")
    keys = user_codes.astype(np.int64) * len(skills_found) + skill_codes
    order = np.argsort(keys, kind="stable")  # stable: answers keep their order in a group
    starts = np.flatnonzero(np.diff(keys[order])) + 1
    return [
        (str(users_found[user_codes[g[0]]]), str(skills_found[skill_codes[g[0]]]), g)
        for g in np.split(order, starts)
        if g.size
    ]


def _heuristic_sequence(answers: NDArray[np.bool_]) -> NDArray[np.float64]:
    scores = answers.astype(np.float64)
    return np.array(
        [heuristic_mastery(scores[max(0, i - HEURISTIC_WINDOW) : i]) for i in range(len(scores))]
    )


def predict_answers(
    user_ids: ArrayLike,
    skills: ArrayLike,
    correct: Sequence[bool] | NDArray[np.bool_],
    *,
    model: str,
    params_by_skill: Mapping[str, BktParams] | None = None,
) -> NDArray[np.float64]:
    """P(correct) of every answer from the same learner's earlier answers on the skill."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    answers = np.asarray(correct, dtype=bool)
    predicted = np.empty(answers.size)
    fitted = params_by_skill or {}
    for _user, skill, positions in group_answers(user_ids, skills):
        if model == "bkt":
            params = fitted.get(skill, DEFAULT_PARAMS)
            predicted[positions] = predict_sequence(answers[positions], params)
        else:
            predicted[positions] = _heuristic_sequence(answers[positions])
    return predicted


def score(
    model: str, correct: Sequence[bool] | NDArray[np.bool_], predicted: NDArray[np.float64]
) -> Evaluation:
    """AUC, RMSE and accuracy (predicted correct when P >= 0.5) of predictions."""
    truth = np.asarray(correct, dtype=bool)
    if truth.size == 0:
        return Evaluation(model, float("nan"), float("nan"), float("nan"), 0)
    # AUC needs both outcomes; with one it is undefined rather than an error.
    both = bool(truth.any() and not truth.all())
    from sklearn.metrics import roc_auc_score  # on first use: slow to import

    auc = float(roc_auc_score(truth, predicted)) if both else float("nan")
    rmse = float(np.sqrt(np.mean((predicted - truth) ** 2)))
    accuracy = float(np.mean((predicted >= 0.5) == truth))
    return Evaluation(model, auc, rmse, accuracy, int(truth.size))


def evaluate(
    user_ids: ArrayLike,
    skills: ArrayLike,
    correct: Sequence[bool] | NDArray[np.bool_],
    *,
    model: str,
    params_by_skill: Mapping[str, BktParams] | None = None,
) -> Evaluation:
    """Predict every answer (see `predict_answers`) and score the predictions."""
    predicted = predict_answers(
        user_ids, skills, correct, model=model, params_by_skill=params_by_skill
    )
    return score(model, correct, predicted)
