"""Bayesian Knowledge Tracing: the per-attempt update of P(mastery), pure and O(1).

A skill's parameters: `prior` P(L0), `learn` P(T), `guess` P(G), `slip` P(S) and `forget`
P(F). After each graded attempt the posterior given the answer is moved through the
learning/forgetting transition (Corbett & Anderson, 1995).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BktParams:
    prior: float
    learn: float
    guess: float
    slip: float
    forget: float = 0.0

    def __post_init__(self) -> None:
        for name in ("prior", "learn", "guess", "slip", "forget"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")


# Until a skill has enough attempts to fit, the textbook starting values.
DEFAULT_PARAMS = BktParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1, forget=0.0)


def predict_correct(p_mastery: float, params: BktParams) -> float:
    """P(the next answer is correct) given P(mastery) before it."""
    return p_mastery * (1.0 - params.slip) + (1.0 - p_mastery) * params.guess


def posterior(p_mastery: float, correct: bool, params: BktParams) -> float:
    """P(mastery) given the answer, before any learning from it."""
    if correct:
        known = p_mastery * (1.0 - params.slip)
        unknown = (1.0 - p_mastery) * params.guess
    else:
        known = p_mastery * params.slip
        unknown = (1.0 - p_mastery) * (1.0 - params.guess)
    total = known + unknown
    return known / total if total > 0.0 else p_mastery


def update(p_mastery: float, correct: bool, params: BktParams) -> float:
    """P(mastery) after one graded attempt: the posterior, then learning and forgetting."""
    known = posterior(p_mastery, correct, params)
    return known * (1.0 - params.forget) + (1.0 - known) * params.learn
