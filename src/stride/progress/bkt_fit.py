"""Fit a skill's BKT parameters to learners' answers by EM (Baum-Welch), pure numpy.

A skill's data is many short learner sequences. They are sorted longest first and padded into
a learners x max_len array, so at time step t the learners still answering are a prefix of the
rows; the forward and backward passes loop over time steps only, each step one numpy operation
over all those learners and all restarts at once. The values are kept time-major in one flat
array (step t's prefix is a contiguous slice), so each step works on a contiguous block.

The forward pass is the filter of `bkt.update`, normalised at every answer and carrying
P(mastered) and P(not mastered) apart (see `_forward`), so nothing underflows however long a
sequence is; the backward pass is the two-state smoother P(state_t | all answers) computed
from the filtered values (Rauch-Tung-Striebel form), which needs no unnormalised betas.

Bounds (the M-step clips each parameter to its interval; the expected complete-data
log-likelihood is concave in each parameter separately, so the clip is the constrained optimum
and EM still never lowers the likelihood):
- guess and slip in [0.001, 0.5]: with guess + slip > 1 the two hidden states swap meaning
  ("mastered" learners would answer worse than the others, and a right answer would lower
  mastery); capping both at 0.5 rules that out, so every answer moves mastery the right way.
  Tighter caps (0.3 is common in the literature) were binding on 42 of the 114 ASSISTments
  2009 training skills, many of them multiple-choice items where guessing right half the
  time is real. The floor keeps one lucky answer from proving mastery with certainty.
- prior in [0.01, 0.99] and learn in [0.001, 0.5]: no skill is known or learnt with
  certainty, and the mastered state stays reachable.
- forget 0 unless `forgets=True`, then at most 0.2: standard BKT never forgets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stride.progress.bkt import BktParams

Answers = Sequence[bool] | NDArray[np.bool_] | NDArray[np.integer]
Floats = NDArray[np.float64]

# Fewer answers than this fit noise, not the skill: callers keep DEFAULT_PARAMS.
MIN_ATTEMPTS_TO_FIT = 50

# Columns of a parameter matrix (restarts x 5).
PRIOR, LEARN, GUESS, SLIP, FORGET = range(5)
LOWER = np.array([0.01, 0.001, 0.001, 0.001, 0.0])
UPPER = np.array([0.99, 0.5, 0.5, 0.5, 0.2])


@dataclass(frozen=True)
class FitResult:
    params: BktParams
    log_likelihood: float
    attempts: int
    learners: int
    iterations: int


@dataclass(frozen=True)
class _Packed:
    """A skill's sequences, longest first, time-major: step t is flat[offsets[t]:+active[t]]."""

    correct: Floats  # 1.0 / 0.0 per answer
    has_next: Floats  # 1.0 where the same learner answers again
    offsets: list[int]
    active: list[int]
    learners: int

    @property
    def steps(self) -> int:
        return len(self.active)


def _pack(sequences: Sequence[Answers]) -> _Packed:
    arrays = [np.asarray(s, dtype=bool).ravel() for s in sequences]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        raise ValueError("no answers to fit")
    lengths = np.array([a.size for a in arrays])
    order = np.argsort(-lengths, kind="stable")
    lengths = lengths[order]
    steps = int(lengths[0])
    padded = np.zeros((len(arrays), steps), dtype=bool)
    mask = np.arange(steps) < lengths[:, None]
    padded[mask] = np.concatenate([arrays[i] for i in order])  # row-major fill = row by row
    # Learners still answering at step t: those longer than t, a prefix of the sorted rows.
    active = (lengths[None, :] > np.arange(steps)[:, None]).sum(axis=1)
    next_mask = np.arange(steps) < (lengths - 1)[:, None]
    return _Packed(
        correct=padded.T[mask.T].astype(np.float64),
        has_next=next_mask.T[mask.T].astype(np.float64),
        offsets=[0, *np.cumsum(active)[:-1].tolist()],
        active=active.tolist(),
        learners=len(arrays),
    )


def _column(params: Floats, index: int) -> Floats:
    return params[:, index : index + 1]


@dataclass(frozen=True)
class _Filtered:
    """Forward pass, per restart and answer: P(mastered) and P(not mastered) before the answer,
    the same after it (the posterior), and P(the answer | the answers before it)."""

    known_before: Floats
    unknown_before: Floats
    known_after: Floats
    unknown_after: Floats
    likelihood: Floats


# Keeps P(not mastered) from underflowing to 0 after a long run of right answers, which would
# make mastery permanent whatever wrong answers follow.
_TINY = 1e-300


def _forward(data: _Packed, params: Floats) -> _Filtered:
    """The filter of `bkt.update`, carrying both states' probabilities.

    P(not mastered) is carried rather than computed as 1 - P(mastered): once that difference
    rounds to 0 (after some twenty right answers with the default parameters), mastery would
    become certain in floating point and no wrong answer could lower it again.
    """
    restarts, total = params.shape[0], data.correct.size
    slip, guess = _column(params, SLIP), _column(params, GUESS)
    learn, forget = _column(params, LEARN), _column(params, FORGET)
    forgets = bool(np.any(forget > 0))
    hit_known = np.where(data.correct > 0, 1.0 - slip, slip)  # P(answer | mastered)
    hit_unknown = np.where(data.correct > 0, guess, 1.0 - guess)
    stay_known, stay_unknown = 1.0 - forget, 1.0 - learn
    k_before, u_before = np.empty((restarts, total)), np.empty((restarts, total))
    k_after, u_after = np.empty((restarts, total)), np.empty((restarts, total))
    likelihood = np.empty((restarts, total))
    first = slice(0, data.active[0])
    k_before[:, first] = _column(params, PRIOR)
    u_before[:, first] = 1.0 - _column(params, PRIOR)
    for t in range(data.steps):
        here = slice(data.offsets[t], data.offsets[t] + data.active[t])
        known = k_before[:, here] * hit_known[:, here]
        unknown = u_before[:, here] * hit_unknown[:, here]
        np.add(known, unknown, out=likelihood[:, here])
        np.divide(known, likelihood[:, here], out=k_after[:, here])
        np.divide(unknown, likelihood[:, here], out=u_after[:, here])
        if t + 1 < data.steps:
            start, n = data.offsets[t + 1], data.active[t + 1]
            # Learners who answer again are the first n of this step's.
            k = k_after[:, here.start : here.start + n]
            u = u_after[:, here.start : here.start + n]
            nxt = slice(start, start + n)
            if forgets:  # the transition of bkt.update, for each state
                np.add(k * stay_known, u * learn, out=k_before[:, nxt])
                np.add(u * stay_unknown, k * forget, out=u_before[:, nxt])
            else:
                np.add(k, u * learn, out=k_before[:, nxt])
                np.maximum(u * stay_unknown, _TINY, out=u_before[:, nxt])
    return _Filtered(k_before, u_before, k_after, u_after, likelihood)


def _em_step(data: _Packed, params: Floats, forgets: bool) -> tuple[Floats, Floats]:
    """One EM iteration for every restart: (new params, log-likelihood of the old ones)."""
    f = _forward(data, params)
    learn, forget = _column(params, LEARN), _column(params, FORGET)
    # P(state | all of the learner's answers); at a learner's last answer, the filtered value.
    known = f.known_after.copy()
    unknown = f.unknown_after.copy() if forgets else known  # forgets: kept apart, see below
    # ratio_* = P(state at t+1 | all) / P(state at t+1 | answers before t+1), stored at t.
    ratio_known = np.zeros_like(known)
    ratio_unknown = np.zeros_like(known) if forgets else ratio_known
    for t in range(data.steps - 2, -1, -1):
        start, n = data.offsets[t], data.active[t + 1]
        here, nxt = slice(start, start + n), slice(data.offsets[t + 1], data.offsets[t + 1] + n)
        np.divide(known[:, nxt], f.known_before[:, nxt], out=ratio_known[:, here])
        if forgets:
            # The unknown side is smoothed on its own: 1 - P(known) would lose the small
            # probabilities that the forgetting counts divide by.
            np.divide(unknown[:, nxt], f.unknown_before[:, nxt], out=ratio_unknown[:, here])
            rk, ru = ratio_known[:, here], ratio_unknown[:, here]
            np.multiply(
                f.known_after[:, here], (1.0 - forget) * rk + forget * ru, out=known[:, here]
            )
            np.multiply(
                f.unknown_after[:, here], (1.0 - learn) * ru + learn * rk, out=unknown[:, here]
            )
        else:
            np.multiply(f.known_after[:, here], ratio_known[:, here], out=known[:, here])
    if not forgets:
        unknown = 1.0 - known  # only summed below, where rounding of tiny values is harmless

    correct, has_next = data.correct, data.has_next
    new = np.empty_like(params)
    new[:, PRIOR] = known[:, : data.active[0]].mean(axis=1)
    learnt = (f.unknown_after * ratio_known).sum(axis=1) * learn[:, 0]
    new[:, LEARN] = learnt / np.maximum((unknown * has_next).sum(axis=1), _TINY)
    new[:, GUESS] = (unknown * correct).sum(axis=1) / np.maximum(unknown.sum(axis=1), _TINY)
    new[:, SLIP] = (known * (1.0 - correct)).sum(axis=1) / np.maximum(known.sum(axis=1), _TINY)
    if forgets:
        forgot = (f.known_after * ratio_unknown).sum(axis=1) * forget[:, 0]
        new[:, FORGET] = forgot / np.maximum((known * has_next).sum(axis=1), _TINY)
    else:
        new[:, FORGET] = 0.0
    upper = UPPER if forgets else np.array([*UPPER[:FORGET], 0.0])
    return np.clip(new, LOWER, upper), np.log(f.likelihood).sum(axis=1)


def _starting_points(restarts: int, seed: int, forgets: bool) -> Floats:
    """The textbook defaults first, then random points inside the bounds."""
    rng = np.random.default_rng(seed)
    starts = np.empty((restarts, 5))
    starts[0] = [0.3, 0.1, 0.2, 0.1, 0.05 if forgets else 0.0]
    n = restarts - 1
    starts[1:, PRIOR] = rng.uniform(0.1, 0.9, n)
    starts[1:, LEARN] = rng.uniform(0.01, 0.3, n)
    starts[1:, GUESS] = rng.uniform(0.05, 0.3, n)
    starts[1:, SLIP] = rng.uniform(0.05, 0.3, n)
    starts[1:, FORGET] = rng.uniform(0.01, 0.1, n) if forgets else 0.0
    return starts


def fit_skill(
    sequences: Sequence[Answers],
    *,
    restarts: int = 5,
    seed: int = 0,
    forgets: bool = False,
    max_iterations: int = 100,
    tolerance: float = 1e-4,
) -> FitResult:
    """Best of `restarts` EM runs on one skill's learner sequences (each in answer order).

    A run stops when no parameter moves by more than `tolerance` in an iteration, or after
    `max_iterations`. The same sequences, restarts and seed always give the same result.
    """
    if restarts < 1:
        raise ValueError("restarts must be at least 1")
    data = _pack(sequences)
    params = _starting_points(restarts, seed, forgets)
    iterations = np.zeros(restarts, dtype=int)
    running = np.arange(restarts)
    for _ in range(max_iterations):
        if running.size == 0:
            break
        new, _ll = _em_step(data, params[running], forgets)
        moved = np.abs(new - params[running]).max(axis=1)
        params[running] = new
        iterations[running] += 1
        running = running[moved > tolerance]
    log_likelihood = np.log(_forward(data, params).likelihood).sum(axis=1)
    best = int(np.argmax(log_likelihood))
    prior, learn, guess, slip, forget = (float(v) for v in params[best])
    return FitResult(
        params=BktParams(prior=prior, learn=learn, guess=guess, slip=slip, forget=forget),
        log_likelihood=float(log_likelihood[best]),
        attempts=data.correct.size,
        learners=data.learners,
        iterations=int(iterations[best]),
    )


def fit_skills(
    sequences_by_skill: Mapping[str, Sequence[Answers]],
    *,
    restarts: int = 5,
    seed: int = 0,
    forgets: bool = False,
    max_iterations: int = 100,
    tolerance: float = 1e-4,
    on_skill: Callable[[str], None] | None = None,
) -> dict[str, FitResult]:
    """Fit every skill with at least MIN_ATTEMPTS_TO_FIT answers; `on_skill` after each skill."""
    fitted: dict[str, FitResult] = {}
    for skill, sequences in sequences_by_skill.items():
        if sum(len(s) for s in sequences) >= MIN_ATTEMPTS_TO_FIT:
            fitted[skill] = fit_skill(
                sequences,
                restarts=restarts,
                seed=seed,
                forgets=forgets,
                max_iterations=max_iterations,
                tolerance=tolerance,
            )
        if on_skill is not None:
            on_skill(skill)
    return fitted


def predict_sequence(answers: Answers, params: BktParams) -> Floats:
    """P(correct) of each answer from the answers before it only, starting at the prior.

    Step by step `bkt.predict_correct` then `bkt.update`, but carrying P(not mastered) as well
    (see `_forward`), so a long run of right answers cannot make mastery permanent.
    """
    out = np.empty(len(answers))
    hit, miss = 1.0 - params.slip, params.guess  # P(right | mastered), P(right | not)
    known, unknown = params.prior, 1.0 - params.prior
    for i, correct in enumerate(answers):
        out[i] = (known * hit + unknown * miss) / (known + unknown)
        if correct:
            k, u = known * hit, unknown * miss
        else:
            k, u = known * (1.0 - hit), unknown * (1.0 - miss)
        if k + u > 0.0:  # else the answer is impossible under params: keep, as bkt.posterior
            known, unknown = k / (k + u), u / (k + u)
        known, unknown = (
            known * (1.0 - params.forget) + unknown * params.learn,
            max(unknown * (1.0 - params.learn) + known * params.forget, _TINY),
        )
    return out


__all__ = [
    "MIN_ATTEMPTS_TO_FIT",
    "FitResult",
    "fit_skill",
    "fit_skills",
    "predict_sequence",
]
