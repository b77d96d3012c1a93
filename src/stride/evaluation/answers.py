"""Read a CSV of graded answers (`user_id,skill_name,correct[,order_id]`) for evaluation.

pyarrow's CSV reader parses the ASSISTments files (400k rows) in a fraction of a second. Rows
are put in `order_id` order when that column is present (stably, so ties keep file order),
else the file order is the answer order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from pyarrow import csv

from stride.errors import InvalidInput
from stride.progress.evaluation import Group, group_answers

REQUIRED = ("user_id", "skill_name", "correct")
ORDER = "order_id"


@dataclass(frozen=True)
class AnswerLog:
    """Answers in the order they were given, one entry per answer in each array."""

    user_ids: NDArray[np.str_]
    skills: NDArray[np.str_]
    correct: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.correct.size)

    def groups(self) -> list[Group]:
        return group_answers(self.user_ids, self.skills)

    def sequences_by_skill(self) -> dict[str, list[NDArray[np.bool_]]]:
        """Each skill's learner sequences of answers, as `fit_skills` takes them."""
        by_skill: dict[str, list[NDArray[np.bool_]]] = defaultdict(list)
        for _user, skill, positions in self.groups():
            by_skill[skill].append(self.correct[positions])
        return dict(by_skill)


def _invalid(path: Path, detail: str) -> InvalidInput:
    # The file's name, not its full path, keeps the CLI's error on one line; no FieldErrors,
    # which the CLI would print as further lines, since the detail already names the column.
    return InvalidInput(f"{path.name}: {detail}")


def _read_table(path: Path) -> pa.Table:
    text_columns = {name: pa.string() for name in REQUIRED}
    try:
        return csv.read_csv(
            path,
            convert_options=csv.ConvertOptions(
                column_types={**text_columns, ORDER: pa.int64()}, strings_can_be_null=False
            ),
        )
    except FileNotFoundError:
        raise _invalid(path, "no such file") from None
    except (pa.ArrowInvalid, OSError) as exc:
        # Arrow's message names the problem (e.g. a row with too many columns) on one line.
        reason = " ".join(str(exc).split())
        raise _invalid(path, f"not a readable answers CSV: {reason}") from None


def _first_bad_row(bad: pa.ChunkedArray | pa.Array) -> int | None:
    rows = np.flatnonzero(np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool))
    return int(rows[0]) if rows.size else None


def read_answers(path: Path) -> AnswerLog:
    """The answers of a CSV file; InvalidInput names the column and line of a problem."""
    table = _read_table(path)
    missing = [name for name in REQUIRED if name not in table.column_names]
    if missing:
        found = ", ".join(table.column_names) or "none"
        detail = f"missing column(s) {', '.join(missing)} (found: {found})"
        raise _invalid(path, detail)
    correct = table.column("correct")
    is_one = pc.equal(correct, "1")
    row = _first_bad_row(pc.invert(pc.or_(is_one, pc.equal(correct, "0"))))
    if row is not None:
        value = correct[row].as_py()
        detail = f"line {row + 2}, column correct: expected 0 or 1, got {value!r}"
        raise _invalid(path, detail)
    for name in ("user_id", "skill_name"):
        row = _first_bad_row(pc.equal(pc.utf8_length(table.column(name)), 0))
        if row is not None:
            raise _invalid(path, f"line {row + 2}, column {name}: empty")
    if ORDER in table.column_names:
        order_column = table.column(ORDER)
        if order_column.null_count:
            row = _first_bad_row(pc.is_null(order_column))
            raise _invalid(path, f"line {(row or 0) + 2}, column {ORDER}: empty")
        order = np.argsort(order_column.to_numpy(), kind="stable")
    else:
        order = np.arange(table.num_rows)
    return AnswerLog(
        user_ids=np.asarray(table.column("user_id").to_numpy(zero_copy_only=False), str)[order],
        skills=np.asarray(table.column("skill_name").to_numpy(zero_copy_only=False), str)[order],
        correct=np.asarray(is_one.to_numpy(zero_copy_only=False), dtype=bool)[order],
    )
