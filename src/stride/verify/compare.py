"""Compare two snapshots of read-model rows, table by table, keyed by primary key (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Row = Mapping[str, Any]

# How many rows of each kind a report shows; the counts are always complete.
SHOWN = 5


@dataclass(frozen=True)
class RowDifference:
    key: dict[str, Any]
    columns: dict[str, tuple[Any, Any]]  # column -> (live, rebuilt)


@dataclass
class TableDifference:
    table: str
    only_live: int = 0
    only_rebuilt: int = 0
    differing: int = 0
    live_examples: list[dict[str, Any]] = field(default_factory=list)
    rebuilt_examples: list[dict[str, Any]] = field(default_factory=list)
    differing_examples: list[RowDifference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.only_live == self.only_rebuilt == self.differing == 0


def same_value(live: Any, rebuilt: Any) -> bool:
    """Equal, allowing floats summed in another order to differ in their last bits."""
    if isinstance(live, Decimal | float) and isinstance(rebuilt, Decimal | float):
        return math.isclose(float(live), float(rebuilt), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(live, dict) and isinstance(rebuilt, dict):
        return live.keys() == rebuilt.keys() and all(same_value(live[k], rebuilt[k]) for k in live)
    if isinstance(live, list) and isinstance(rebuilt, list):
        return len(live) == len(rebuilt) and all(map(same_value, live, rebuilt))
    return bool(live == rebuilt)


def compare_table(
    table: str,
    key_columns: Sequence[str],
    live: Sequence[Row],
    rebuilt: Sequence[Row],
    ignored: frozenset[str] = frozenset(),
) -> TableDifference:
    """Rows only live, only rebuilt, and rows of the same key whose columns differ."""

    def keyed(rows: Sequence[Row]) -> dict[tuple[Any, ...], Row]:
        return {tuple(row[c] for c in key_columns): row for row in rows}

    live_by_key, rebuilt_by_key = keyed(live), keyed(rebuilt)
    result = TableDifference(table)
    for key, row in live_by_key.items():
        other = rebuilt_by_key.get(key)
        if other is None:
            result.only_live += 1
            if len(result.live_examples) < SHOWN:
                result.live_examples.append(dict(zip(key_columns, key, strict=True)))
            continue
        columns = {
            str(name): (value, other.get(name))
            for name, value in row.items()
            if name not in ignored and not same_value(value, other.get(name))
        }
        if columns:
            result.differing += 1
            if len(result.differing_examples) < SHOWN:
                key_dict = dict(zip(key_columns, key, strict=True))
                result.differing_examples.append(RowDifference(key_dict, columns))
    for key in rebuilt_by_key.keys() - live_by_key.keys():
        result.only_rebuilt += 1
        if len(result.rebuilt_examples) < SHOWN:
            result.rebuilt_examples.append(dict(zip(key_columns, key, strict=True)))
    return result
