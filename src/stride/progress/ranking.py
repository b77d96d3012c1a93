"""Competition ranking ("1224"): equal points share a rank, and the next rank skips past them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    key: str
    points: int


def rank_by_points(points: Iterable[tuple[str, int]]) -> list[Ranked]:
    """Rank (key, points) pairs, most points first.

    Ties share the rank of the first of them, and the following entry's rank counts every
    entry ahead of it (10, 8, 8, 5 -> 1, 2, 2, 4). Within a tie the order is by key, so the
    list is the same whatever order the rows came in.
    """
    ordered = sorted(points, key=lambda pair: (-pair[1], pair[0]))
    ranked: list[Ranked] = []
    for position, (key, score) in enumerate(ordered, start=1):
        tied = bool(ranked) and ranked[-1].points == score
        ranked.append(Ranked(ranked[-1].rank if tied else position, key, score))
    return ranked
