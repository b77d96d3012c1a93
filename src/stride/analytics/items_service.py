"""GET /v1/analytics/items: item analysis over the graded attempts of a scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from stride.analytics.content_scope import Scope, items_in, resolve
from stride.analytics.items import ItemFigures, figures_from_sums
from stride.analytics.items_fold import ITEM_STAT_FIELDS
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_learning as store
from stride.store.catalogs import load_catalog


@dataclass(frozen=True)
class ItemView:
    activity_id: str
    title: str | None  # None for an activity the catalog does not name
    type: str | None
    learners: int
    attempts: int
    difficulty: float
    first_attempt_correct_rate: float
    mean_first_score: float
    discrimination: float | None
    discrimination_n: int


@dataclass(frozen=True)
class ItemsView:
    program: str | None
    course: str | None
    module: str | None
    min_group_size: int
    rest_score: str  # how discrimination's "overall score" is defined
    items: list[ItemView]
    withheld_items: int
    note: str | None


REST_SCORE = "the learner's mean first-attempt score over all the other items they attempted"


def get_items(connection: Connection, tenant_id: str, scope: Scope) -> ItemsView:
    """Every item of the scope with graded attempts (the whole tenant's, catalog or not, when
    no filter is given), from the item sums. Raises NotFound / InvalidInput for unknown
    filters."""
    stored = load_catalog(connection, tenant_id)
    catalog = resolve(stored.catalog if stored else None, scope)
    k = get_policy(connection, tenant_id).document.min_group_size
    in_scope = None
    if scope.narrowest is not None and catalog is not None:
        in_scope = [item.id for item in items_in(catalog, scope)]
    figures = [
        figures_from_sums(row.activity_id, [getattr(row, name) for name in ITEM_STAT_FIELDS])
        for row in store.item_stat_rows(connection, tenant_id, in_scope)
    ]
    order = {a.id: i for i, a in enumerate(catalog.activities.values())} if catalog else {}
    figures.sort(key=lambda f: (order.get(f.activity_id, len(order)), f.activity_id))
    suppressed = suppress_small_groups(figures, lambda f: f.learners, k)
    views = []
    for f in suppressed.shown:
        known = catalog.activities.get(f.activity_id) if catalog else None
        views.append(_view(f, known.title if known else None, known.type if known else None))
    return ItemsView(
        scope.program,
        scope.course,
        scope.module,
        k,
        REST_SCORE,
        views,
        suppressed.withheld_groups,
        suppressed.note,
    )


def _view(f: ItemFigures, title: str | None, kind: str | None) -> ItemView:
    return ItemView(
        f.activity_id,
        title,
        kind,
        f.learners,
        f.attempts,
        f.difficulty,
        f.first_attempt_correct_rate,
        f.mean_first_score,
        f.discrimination,
        f.discrimination_n,
    )
