"""A funnel's stored step times, read as arrays: no Python object per learner or per time.

Each step key is one range of funnel_steps' primary key (tenant, step, learner). A step's
times come back as one flat int64 array (every learner's list, row after row) and the length
of each row; the later steps' rows are lined up with the first step's learners by sorting
their keys, so a learner without a later step gets an empty row.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np
import orjson
from numpy.typing import NDArray
from sqlalchemy import Connection

from stride.store.bulk import driver_rows

# (values, lengths): row n is values[sum(lengths[:n]) : sum(lengths[:n + 1])].
Ragged = tuple[NDArray[np.int64], NDArray[np.int64]]


def funnel_times(
    connection: Connection, tenant_id: str, steps: Sequence[str]
) -> tuple[list[str], list[Ragged]]:
    """The learners who did the first step, and per step (in `steps` order) their times."""
    keys = list(dict.fromkeys(steps))
    sql = _step_sql(connection)
    learners, first = _step_times(connection, sql, tenant_id, keys[0])
    if not learners:
        return [], [_empty(0) for _ in steps]
    wanted = np.array(learners)
    found = {keys[0]: first}
    for step in keys[1:]:
        step_learners, times = _step_times(connection, sql, tenant_id, step)
        found[step] = _lined_up(wanted, step_learners, times)
    return learners, [found[step] for step in steps]


def _step_sql(connection: Connection) -> str:
    """A step's rows, the times as the stored JSON text (on PostgreSQL cast to text: the
    driver's jsonb loader would build a Python list per row)."""
    if connection.dialect.name == "postgresql":
        return (
            "SELECT learner_key, times::text FROM funnel_steps WHERE tenant_id = %s AND step = %s"
        )
    return "SELECT learner_key, times FROM funnel_steps WHERE tenant_id = ? AND step = ?"


def _step_times(
    connection: Connection, sql: str, tenant_id: str, step: str
) -> tuple[list[str], Ragged]:
    rows = driver_rows(connection.exec_driver_sql(sql, (tenant_id, step)))
    if not rows:
        return [], _empty(0)
    learners = [row[0] for row in rows]
    texts = [row[1] for row in rows]
    # A stored list is "[]" or "[t1,t2,...]" (PostgreSQL's text puts a space after commas):
    # its length is its commas plus one, unless empty; all of them, joined, one parse.
    count = len(texts)
    commas = np.fromiter(map(str.count, texts, repeat(",", count)), dtype=np.int64, count=count)
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    lengths = np.where(sizes > 2, commas + 1, 0)
    values = _integers("".join(texts).replace("[]", "").replace("][", ",")[1:-1])
    if values is None or len(values) != int(lengths.sum()):  # not plain integers: as JSON
        return learners, ragged(orjson.loads("[" + ",".join(texts) + "]"))
    return learners, (values, lengths)


def ragged(lists: Sequence[Sequence[int]]) -> Ragged:
    """Lists of times as (values row after row, length of each row)."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    values = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lengths.sum()))
    return values, lengths


def rows_of(times: Ragged) -> list[list[int]]:
    """The lists of `ragged`, back as Python lists."""
    values, lengths = times
    if not len(lengths):
        return []
    return [row.tolist() for row in np.split(values, np.cumsum(lengths)[:-1])]


def _integers(text: str) -> NDArray[np.int64] | None:
    """Comma-separated integers parsed in C; None where the text holds something else."""
    if not text:
        return _empty(0)[0]
    with warnings.catch_warnings():  # older numpy warns and stops where newer numpy raises
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return np.fromstring(text, dtype=np.int64, sep=",")
        except ValueError:
            return None


def _lined_up(wanted: NDArray[np.str_], learners: list[str], times: Ragged) -> Ragged:
    """`times` (rows in `learners` order) reordered to the rows of `wanted`; empty where a
    learner of `wanted` has none."""
    if not learners:
        return _empty(len(wanted))
    values, lengths = times
    keys = np.array(learners)
    order = np.argsort(keys)
    ordered = keys[order]
    at = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
    row = order[at]
    taken = np.where(ordered[at] == wanted, lengths[row], 0)
    starts = (np.cumsum(lengths) - lengths)[row]
    within = np.arange(int(taken.sum())) - np.repeat(np.cumsum(taken) - taken, taken)
    return values[np.repeat(starts, taken) + within], taken


def _empty(rows: int) -> Ragged:
    return np.zeros(0, dtype=np.int64), np.zeros(rows, dtype=np.int64)
