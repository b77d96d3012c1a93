"""One learner, several platform ids: link another id (an alias) to a learner, and unlink it.

Events sent under an alias fold into its learner. Linking moves the alias's stored events to
the learner (each remembers the key it was sent under) and refolds the learner's read models;
unlinking moves them back and refolds both. Both run in one write transaction that holds the
tenant's ingest off meanwhile, so no batch folds into a learner while its events move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from stride.errors import Conflict, FieldError, InvalidInput, NotFound
from stride.events.schema import MAX_ID_LENGTH
from stride.ingest.rebuild import fold_learner, forget_learner
from stride.privacy.consent import LEARNER, get_consent
from stride.privacy.policy import Purpose
from stride.privacy.pseudonym import learner_key
from stride.store import aliases as repo
from stride.store import event_log
from stride.store import privacy as consent_repo
from stride.store.learners import register_learners
from stride.store.locks import exclude_tenant_writes, lock_learners
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit, audit_subject
from stride.tenancy.service import Principal
from stride.xapi.sealing import tenant_box

_SEALING = b"stride learner aliases v1"
# Written by Stride about certificates it issued: facts, not folds, so they move with the
# learner instead of being derived again.
_KEPT_DERIVED_PREFIX = "certificate."


@dataclass(frozen=True)
class AliasLink:
    """The outcome of a link or unlink: `changed` is False when it was so already."""

    alias: str
    linked_at: datetime | None
    changed: bool
    events_moved: int
    events_folded: int


@dataclass(frozen=True)
class AliasView:
    alias: str
    linked_at: datetime


def parse_alias(raw: object) -> str:
    """The alias id of a link request body `{"alias": "<platform id>"}`."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            'Send {"alias": "<the other platform id>"}.',
            [FieldError("(body)", "must be an object")],
        )
    errors = [FieldError(str(k), "unknown field") for k in raw if k != "alias"]
    alias = raw.get("alias")
    if not isinstance(alias, str) or not alias.strip():
        errors.append(FieldError("alias", "must be a non-blank string"))
    elif len(alias) > MAX_ID_LENGTH:
        errors.append(FieldError("alias", f"must be at most {MAX_ID_LENGTH} characters"))
    if errors:
        raise InvalidInput("The alias link is not valid.", errors)
    assert isinstance(alias, str)
    return alias


def seal(secret: str, platform_id: str) -> str:
    return tenant_box(secret, _SEALING).encrypt(platform_id.encode()).decode()


def unseal(secret: str, sealed: str) -> str:
    return tenant_box(secret, _SEALING).decrypt(sealed.encode()).decode()


def link_alias(
    engine: Engine, principal: Principal, learner_id: str, alias_id: str, now: datetime
) -> AliasLink:
    """Link `alias_id` to the learner of `learner_id`; idempotent.

    Raises InvalidInput when both ids are the learner's already (the same id, or the learner's
    own aliases), Conflict when the alias belongs to another learner or has aliases of its own.
    """
    tenant_id, secret = principal.tenant_id, principal.learner_secret
    with write_transaction(engine) as connection:
        exclude_tenant_writes(connection, tenant_id)
        target = repo.canonical_key(connection, tenant_id, learner_key(secret, learner_id))
        alias = learner_key(secret, alias_id)
        if alias == target:
            raise InvalidInput(
                "That id is this learner's own id already.",
                [FieldError("alias", "names the same learner as the URL")],
            )
        existing = repo.get_alias(connection, tenant_id, alias)
        if existing is not None:
            if existing.learner_key == target:
                return AliasLink(alias_id, existing.linked_at, False, 0, 0)
            raise Conflict(
                "This id is an alias of another learner already; unlink it there first "
                "(DELETE /v1/learners/{id}/aliases/{alias})."
            )
        if repo.aliases_of(connection, tenant_id, alias):
            raise Conflict(
                "This id has aliases of its own; link them to this learner, or unlink them, first."
            )
        lock_learners(connection, tenant_id, [alias, target])
        _narrow_consent(connection, principal, alias, target, now)
        cursor = forget_learner(connection, tenant_id, alias)
        forget_learner(connection, tenant_id, target)
        _drop_derived(connection, tenant_id, (alias, target))
        moved = repo.move_events_to_learner(connection, tenant_id, alias, target)
        repo.insert_alias(
            connection,
            tenant_id,
            repo.AliasRow(alias, target, seal(secret, alias_id), seal(secret, learner_id), now),
        )
        register_learners(connection, tenant_id, [target], now)
        folded = fold_learner(connection, tenant_id, target, cursor)
        audit(
            connection,
            principal,
            "learner.alias.link",
            "learner/aliases",
            now=now,
            learner_key=target,
            detail={"alias": _subject(alias), "events_moved": moved},
        )
    return AliasLink(alias_id, now, True, moved, folded)


def unlink_alias(
    engine: Engine, principal: Principal, learner_id: str, alias_id: str, now: datetime
) -> AliasLink:
    """Unlink `alias_id` from the learner: its events fold into a learner of their own again.

    Raises NotFound when `alias_id` is not an alias of this learner.
    """
    tenant_id, secret = principal.tenant_id, principal.learner_secret
    with write_transaction(engine) as connection:
        exclude_tenant_writes(connection, tenant_id)
        target = repo.canonical_key(connection, tenant_id, learner_key(secret, learner_id))
        alias = learner_key(secret, alias_id)
        existing = repo.get_alias(connection, tenant_id, alias)
        if existing is None or existing.learner_key != target:
            raise NotFound("That id is not an alias of this learner (GET .../aliases lists them).")
        lock_learners(connection, tenant_id, [alias, target])
        cursor = forget_learner(connection, tenant_id, target)
        _drop_derived(connection, tenant_id, (target,))
        moved = repo.move_events_back(connection, tenant_id, alias, target)
        repo.delete_alias(connection, tenant_id, alias)
        register_learners(connection, tenant_id, [alias], now)
        folded = fold_learner(connection, tenant_id, target, cursor)
        folded += fold_learner(connection, tenant_id, alias, cursor)
        audit(
            connection,
            principal,
            "learner.alias.unlink",
            "learner/aliases",
            now=now,
            learner_key=target,
            detail={"alias": _subject(alias), "events_moved": moved},
        )
    return AliasLink(alias_id, None, True, moved, folded)


def list_aliases(
    connection: Connection, principal: Principal, learner_key_: str
) -> list[AliasView]:
    """The learner's other ids, as the platforms sent them, oldest link first."""
    rows = repo.aliases_of(connection, principal.tenant_id, learner_key_)
    return [AliasView(unseal(principal.learner_secret, r.alias_sealed), r.linked_at) for r in rows]


def known_ids(connection: Connection, tenant_id: str, secret: str, learner_id: str) -> list[str]:
    """Every platform id known for the learner of `learner_id`: that id first, then the
    learner's own id and its aliases (as linked)."""
    target = repo.canonical_key(connection, tenant_id, learner_key(secret, learner_id))
    ids = [learner_id]
    for row in repo.aliases_of(connection, tenant_id, target):
        for sealed in (row.learner_sealed, row.alias_sealed):
            platform_id = unseal(secret, sealed)
            if platform_id not in ids:
                ids.append(platform_id)
    return ids


def _narrow_consent(
    connection: Connection, principal: Principal, alias: str, target: str, now: datetime
) -> None:
    """The merged learner consents to a purpose only if both ids did: a withdrawal made
    under either id holds for the person."""
    tenant_id = principal.tenant_id
    mine = {c.purpose: c for c in get_consent(connection, tenant_id, target).purposes}
    theirs = {c.purpose: c for c in get_consent(connection, tenant_id, alias).purposes}
    withdrawn = [
        consent_repo.ConsentChange(purpose.value, False, now, principal.key_id)
        for purpose in Purpose
        if mine[purpose.value].granted
        and not theirs[purpose.value].granted
        and theirs[purpose.value].source == LEARNER
    ]
    consent_repo.record_consents(connection, tenant_id, target, withdrawn)
    if withdrawn:
        audit(
            connection,
            principal,
            "consent.update",
            "learner/consent",
            now=now,
            learner_key=target,
            detail={**{c.purpose: c.granted for c in withdrawn}, "reason": "alias linked"},
        )


def _drop_derived(connection: Connection, tenant_id: str, keys: tuple[str, ...]) -> None:
    """Delete the events Stride derived from these learners' folds (skill acquired, goal
    met, achievement): the refold derives them again from the merged (or split) history,
    under ids of the learner that now holds them."""
    derived: list[str] = []
    for key in keys:
        for chunk in event_log.iter_events(connection, tenant_id, key):
            derived.extend(
                e.event_id
                for e in chunk
                if e.payload.get("derived") and not e.type.startswith(_KEPT_DERIVED_PREFIX)
            )
    for start in range(0, len(derived), 500):
        repo.delete_events(connection, tenant_id, derived[start : start + 500])


def _subject(key: str) -> str:
    # The audit log keeps no learner key in its detail: the same one-way pseudonym as `subject`.
    return audit_subject(key)
