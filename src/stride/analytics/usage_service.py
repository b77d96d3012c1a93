"""Feature usage and adoption: events and unique learners by type over time, from rollups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Connection

from stride.analytics.usage_fold import period_start
from stride.analytics.usage_periods import Range
from stride.analytics.usage_views import (
    Adoption,
    AdoptionItem,
    UsagePoint,
    UsageSeries,
    UsageView,
    Withheld,
)
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_usage as store


@dataclass(frozen=True)
class UsageRequest:
    span: Range
    types: tuple[str, ...] = ()  # exact types; empty: every type
    feature: str | None = None  # a type prefix such as "custom." (adoption counts it as one)
    since: date | None = None


def get_usage(connection: Connection, tenant_id: str, request: UsageRequest) -> UsageView:
    """Per type: events and learners per period; and adoption since a date when asked.

    Types (and features) used by fewer learners than the tenant's min_group_size are withheld.
    """
    k = get_policy(connection, tenant_id).document.min_group_size
    span = request.span
    since = datetime.combine(request.since, time(), tzinfo=UTC) if request.since else None
    counts = store.learners_per_type(connection, tenant_id, since)
    ever = {t: n for t, (n, _) in counts.items() if _wanted(t, request)}
    shown = suppress_small_groups(sorted(ever), lambda t: ever[t], k)
    events: dict[tuple[str, date], int] = defaultdict(int)
    for event_type, day, count in store.type_day_counts(
        connection, tenant_id, span.start, span.end
    ):
        events[(event_type, period_start(day, span.period))] += count
    learners = {
        (event_type, start): n
        for event_type, start, _, n in store.unique_counts(
            connection, tenant_id, span.period, (span.start, span.end)
        )
    }
    starts = span.starts()
    series = [
        UsageSeries(
            type=t,
            learners_ever=ever[t],
            points=[
                UsagePoint(start=s, events=events.get((t, s), 0), learners=learners.get((t, s), 0))
                for s in starts
            ],
        )
        for t in shown.shown
    ]
    withheld = shown.withheld_groups
    adoption = None
    if since is not None:
        figures = {t: counts[t] for t in shown.shown}
        adoption, hidden = _adoption(connection, tenant_id, request, since, figures, k)
        withheld += hidden
    note = shown.note if withheld == shown.withheld_groups else _note(withheld, k)
    return UsageView(
        period=span.period,
        start=span.start,
        end=span.end,
        series=series,
        adoption=adoption,
        privacy=Withheld(min_group_size=k, withheld_groups=withheld, note=note),
    )


def _wanted(event_type: str, request: UsageRequest) -> bool:
    if request.types and event_type not in request.types:
        return False
    return request.feature is None or event_type.startswith(request.feature)


def _adoption(
    connection: Connection,
    tenant_id: str,
    request: UsageRequest,
    since: datetime,
    figures: dict[str, tuple[int, int]],
    k: int,
) -> tuple[Adoption, int]:
    """Adoption of the feature (when asked) and of each type shown: learners whose first use
    is on or after `since`, and their share of the learners active since then."""
    active = store.active_learners_since(connection, tenant_id, since)
    named = [(t, recent, ever - recent) for t, (ever, recent) in figures.items()]
    if request.feature is not None:
        ever, adopters = store.feature_learners(connection, tenant_id, request.feature, since)
        named.insert(0, (request.feature, adopters, ever - adopters))
    items = [
        AdoptionItem(
            name=name,
            adopters=adopters,
            earlier_users=earlier,
            share_of_active=adopters / active if active else None,
        )
        for name, adopters, earlier in named
    ]
    kept = suppress_small_groups(items, lambda i: i.adopters + i.earlier_users, k)
    view = Adoption(since=since.date(), active_learners=active, items=kept.shown)
    return view, kept.withheld_groups


def _note(withheld: int, k: int) -> str:
    return (
        f"{withheld} group(s) with fewer than {k} learners are not shown, so that no one can "
        "be singled out."
    )
