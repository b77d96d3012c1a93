"""A tenant's privacy policy: consent defaults, PII rules, raw-event retention, group sizes.

Pure: the document (strict Pydantic, so an unknown key is an error rather than ignored) and
the parsed policy the rest of Stride reads. Storage is store/policies.py; applying it is
privacy/policy_service.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stride.errors import FieldError, InvalidInput
from stride.privacy.pii import DEFAULT_POLICY as DEFAULT_PII_POLICY
from stride.privacy.pii import PiiPolicy, parse_pii_policy


class Purpose(StrEnum):
    ANALYTICS = "analytics"  # store and fold the learner's activity
    PERSONALIZATION = "personalization"  # recommendations, forecasts, risk
    LEADERBOARD = "leaderboard"  # appear on leaderboards
    RESEARCH = "research"  # inclusion in exports for research


class ConsentMode(StrEnum):
    OPT_IN = "opt-in"  # no consent until the learner gives it
    OPT_OUT = "opt-out"  # consent until the learner withdraws it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsentDefaults(_Strict):
    analytics: ConsentMode = ConsentMode.OPT_OUT
    personalization: ConsentMode = ConsentMode.OPT_OUT
    leaderboard: ConsentMode = ConsentMode.OPT_IN
    research: ConsentMode = ConsentMode.OPT_IN


class PiiRules(_Strict):
    fields: dict[str, str] = Field(
        default_factory=lambda: {path: a.value for path, a in DEFAULT_PII_POLICY.fields.items()}
    )
    default: str | None = None


class RetentionRules(_Strict):
    raw_events_days: int | None = Field(default=None, ge=1, le=36_500)  # None: keep forever
    archive: bool = False  # write removed events to Parquet first


class PolicyDocument(_Strict):
    consent: ConsentDefaults = ConsentDefaults()
    pii: PiiRules = PiiRules()
    retention: RetentionRules = RetentionRules()
    # Aggregates by group hide groups with fewer learners than this.
    min_group_size: int = Field(default=5, ge=2, le=1000)


@dataclass(frozen=True)
class PrivacyPolicy:
    document: PolicyDocument
    pii: PiiPolicy

    def consent_by_default(self, purpose: Purpose) -> bool:
        mode: ConsentMode = getattr(self.document.consent, purpose.value)
        return mode is ConsentMode.OPT_OUT


def parse_policy(raw: Any) -> PrivacyPolicy:
    """Validate a policy document; InvalidInput lists every problem with its path."""
    try:
        document = PolicyDocument.model_validate(raw)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in error["loc"]) or "(body)", error["msg"])
            for error in exc.errors()
        ]
        raise InvalidInput("The privacy policy is not valid.", errors) from None
    try:
        pii = parse_pii_policy(document.pii.model_dump())
    except InvalidInput as exc:
        errors = [FieldError(f"pii.{e.path}", e.reason) for e in exc.errors]
        raise InvalidInput("The privacy policy is not valid.", errors) from None
    return PrivacyPolicy(document, pii)


DEFAULT_POLICY = parse_policy({})
