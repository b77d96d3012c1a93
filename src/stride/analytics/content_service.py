"""GET /v1/analytics/content: content effectiveness per module and item, from the rollups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection

from stride.analytics.content import (
    TIME_RELATIVE_ERROR,
    ContentInputs,
    ContentSums,
    ModuleFigures,
    module_figures,
)
from stride.analytics.content_rollup import ACTIVITY, MODULE
from stride.analytics.content_scope import Scope, modules_in, resolve
from stride.catalog.model import Catalog
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_learning as store
from stride.store.catalogs import load_catalog


@dataclass(frozen=True)
class ContentView:
    program: str | None
    course: str | None
    module: str | None
    min_group_size: int
    time_relative_error: float  # median times are within this fraction of the exact median
    modules: list[ModuleFigures]
    withheld_modules: int  # modules with fewer than min_group_size learners
    withheld_blocks: int  # items of the shown modules with fewer than min_group_size learners
    note: str | None


def load_inputs(
    connection: Connection, tenant_id: str, catalog: Catalog, scope: Scope
) -> ContentInputs:
    """The content rollups of the scope's modules and their items (all for an open scope)."""
    ids = module_ids = None
    if scope.narrowest is not None:
        module_ids = [m.id for m in modules_in(catalog, scope)]
        ids = module_ids + [i.id for m in module_ids for i in catalog.items_under(m)]
    activities: dict[str, ContentSums] = {}
    modules: dict[str, ContentSums] = {}
    for row in store.content_stat_rows(connection, tenant_id, ids):
        sums = ContentSums(row.starts, row.completions, row.scored, row.score_micros, row.passed)
        if row.level == ACTIVITY:
            activities[row.activity_id] = sums
        elif row.level == MODULE:
            modules[row.activity_id] = sums
    dropoffs: dict[str, dict[str, int]] = defaultdict(dict)
    for module_id, item_id, learners in store.content_dropoffs(connection, tenant_id, module_ids):
        dropoffs[module_id][item_id] = learners
    medians = store.content_median_buckets(connection, tenant_id, ids)
    return ContentInputs(activities, modules, medians, dropoffs)


def get_content(connection: Connection, tenant_id: str, scope: Scope) -> ContentView:
    """Raises NotFound / InvalidInput for filters the catalog does not have (content_scope)."""
    stored = load_catalog(connection, tenant_id)
    catalog = resolve(stored.catalog if stored else None, scope)
    k = get_policy(connection, tenant_id).document.min_group_size
    if catalog is None:
        return ContentView(
            None,
            None,
            None,
            k,
            TIME_RELATIVE_ERROR,
            [],
            0,
            0,
            "This tenant has no catalog: content figures are per catalog module.",
        )
    inputs = load_inputs(connection, tenant_id, catalog, scope)
    figures = [module_figures(catalog, m, inputs, k) for m in modules_in(catalog, scope)]
    suppressed = suppress_small_groups(figures, lambda f: f.learners, k)
    withheld_blocks = sum(f.withheld_blocks for f in suppressed.shown)
    notes = [suppressed.note] if suppressed.note else []
    if withheld_blocks:
        notes.append(
            f"{withheld_blocks} item(s) of the modules shown have fewer than {k} learners and "
            "are not shown (nor counted in their module's mean score and pass rate)."
        )
    return ContentView(
        program=scope.program,
        course=scope.course,
        module=scope.module,
        min_group_size=k,
        time_relative_error=TIME_RELATIVE_ERROR,
        modules=suppressed.shown,
        withheld_modules=suppressed.withheld_groups,
        withheld_blocks=withheld_blocks,
        note=" ".join(notes) or None,
    )
