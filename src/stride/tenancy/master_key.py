"""Rotating the master key that seals every tenant's secrets."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Engine

from stride.config import get_settings
from stride.errors import InvalidInput
from stride.privacy import secrets
from stride.store.transactions import write_transaction

# The sealed columns as stored: read and written without the Sealed type's (un)sealing.
_raw_tenants = sa.table(
    "tenants", sa.column("id"), sa.column("learner_secret"), sa.column("signing_key")
)


@dataclass(frozen=True)
class Rotation:
    tenants: int
    key_file: str | None  # the file now holding only the new key; None when keys come from env


def rotate_master_key(engine: Engine) -> Rotation:
    """Seal every tenant secret with a new master key.

    With STRIDE_SECRET_KEY, the operator lists the new key first and the old ones after it
    (servers keep running: any listed key opens a secret); this re-seals with the first, after
    which the old keys can be dropped. With the key file (embedded mode), a new key is
    generated and written first, the secrets are re-sealed, then the old keys are removed.
    """
    settings = get_settings()
    from_env = bool(settings.SECRET_KEY.strip())
    if from_env:
        keys = secrets.master_keys()
        if len(keys) < 2:
            raise InvalidInput(
                "To rotate, set STRIDE_SECRET_KEY to the new key followed by the old one "
                "(new,old), restart the servers, then run this again. "
                "`stride keys generate-master` prints a new key."
            )
    else:
        keys = (secrets.new_master_key(), *secrets.master_keys())
        secrets.write_key_file(secrets.key_file(), keys)
        secrets.forget_cached_keys()
    with write_transaction(engine) as connection:
        rows = connection.execute(
            sa.select(_raw_tenants.c.id, _raw_tenants.c.learner_secret, _raw_tenants.c.signing_key)
        ).all()
        for tenant_id, learner_secret, signing_key in rows:
            connection.execute(
                _raw_tenants.update()
                .where(_raw_tenants.c.id == tenant_id)
                .values(
                    learner_secret=secrets.reseal(learner_secret, keys),
                    signing_key=secrets.reseal(signing_key, keys),
                )
            )
    if from_env:
        return Rotation(len(rows), None)
    secrets.write_key_file(secrets.key_file(), keys[:1])
    secrets.forget_cached_keys()
    return Rotation(len(rows), str(secrets.key_file()))
