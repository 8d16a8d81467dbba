"""Purposes (DOMAIN.md section 5) and which kind of organisation may use each.

Deny unless permitted: a caller whose organisation's kind is not listed for a purpose gets 403.
The table is deliberately small and lives in one place so that information governance can read
and change it.
"""

from __future__ import annotations

from enum import StrEnum

from consent.vocabulary import PURPOSES


# The purpose codes of the consent registry (DOMAIN.md section 5), as an enum for the API schema.
Purpose = StrEnum("Purpose", {code: code for code in PURPOSES})  # type: ignore[misc]


_EHC = {Purpose.EHC_NEEDS_ASSESSMENT, Purpose.EHC_ANNUAL_REVIEW}

PURPOSES_BY_ORGANISATION_KIND: dict[str, frozenset[Purpose]] = {
    # The SEN team runs the statutory EHC process end to end.
    "sen_team": frozenset(_EHC | {
        Purpose.EHC_REQUEST_DECISION, Purpose.EHC_PLAN_DISCLOSURE, Purpose.TRANSITION_ADULT,
        Purpose.RESOURCE_ALLOCATION,
    }),
    # Social care decides its own services and contributes social care advice; safeguarding is
    # its own path (break-glass), outside permission.
    "social_care": frozenset({
        Purpose.SOCIAL_CARE_ELIGIBILITY, Purpose.SHORT_BREAKS, Purpose.TRANSITION_ADULT, Purpose.SAFEGUARDING,
    }),
    # Advice givers take part in assessments and reviews; they do not open cases for other purposes.
    "ep_service": frozenset(_EHC),
    "health": frozenset(_EHC),
    "school": frozenset({Purpose.EHC_ANNUAL_REVIEW}),
    "council": frozenset({Purpose.FAMILY_OPTIONAL}),
    "information_governance": frozenset(),
}


def purpose_permitted(organisation_kind: str | None, purpose: Purpose) -> bool:
    """Whether staff of an organisation of this kind may act for ``purpose`` (unknown kinds: never)."""
    return purpose in PURPOSES_BY_ORGANISATION_KIND.get(organisation_kind or "", frozenset())
