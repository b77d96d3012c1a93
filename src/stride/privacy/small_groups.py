"""Aggregates that cannot single anyone out: groups below the minimum size are withheld.

Every tenant-level figure broken down by a group (cohort, program, property) goes through
`suppress_small_groups` with the tenant policy's `min_group_size`; the response names what
was withheld and why, so a reader never mistakes a hidden group for an empty one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

G = TypeVar("G")


@dataclass(frozen=True)
class Suppressed(Generic[G]):
    shown: list[G]
    withheld_groups: int  # how many groups were hidden
    min_group_size: int
    note: str | None  # a sentence for the response when something was withheld


def suppress_small_groups(
    groups: Sequence[G], learners_in: Callable[[G], int], min_group_size: int
) -> Suppressed[G]:
    """Keep the groups with at least `min_group_size` learners, in their order.

    A group of 0 learners is not shown either: it would reveal nothing, but it would also let
    a reader tell an empty group from a withheld one by comparing responses.
    """
    if min_group_size < 1:
        raise ValueError(f"min_group_size must be at least 1, got {min_group_size}")
    shown = [g for g in groups if learners_in(g) >= min_group_size]
    withheld = len(groups) - len(shown)
    note = (
        f"{withheld} group(s) with fewer than {min_group_size} learners are not shown, so "
        "that no one can be singled out."
        if withheld
        else None
    )
    return Suppressed(shown, withheld, min_group_size, note)
