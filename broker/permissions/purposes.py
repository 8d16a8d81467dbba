"""Purposes (docs/law.md, "Purposes") and which kind of organisation may use each.

Deny unless permitted: a caller whose organisation's kind is not listed for a purpose gets 403.
The table is deliberately small and lives in one place so that information governance can read
and change it.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """The purpose codes of the consent registry (consent/vocabulary.py), as an enum for the API schema.

    Written out so that type checkers and readers see the members; a test keeps it equal to the vocabulary.
    """

    EHC_REQUEST_DECISION = "EHC_REQUEST_DECISION"
    EHC_NEEDS_ASSESSMENT = "EHC_NEEDS_ASSESSMENT"
    EHC_ANNUAL_REVIEW = "EHC_ANNUAL_REVIEW"
    EHC_PLAN_DISCLOSURE = "EHC_PLAN_DISCLOSURE"
    TRANSITION_ADULT = "TRANSITION_ADULT"
    SOCIAL_CARE_ELIGIBILITY = "SOCIAL_CARE_ELIGIBILITY"
    SHORT_BREAKS = "SHORT_BREAKS"
    RESOURCE_ALLOCATION = "RESOURCE_ALLOCATION"
    FAMILY_OPTIONAL = "FAMILY_OPTIONAL"
    SAFEGUARDING = "SAFEGUARDING"


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


# Statutory footing (docs/law.md, "What a permission is" and "Purposes"): for the statutory EHC steps the council's SEN
# team receives a school's tier 1 education records on its public task (UK GDPR Art 6(1)(e)), so
# no family permission is asked for them. Confidential advice (tier 2: EP, health, social care),
# reuse under reg 6(4), the family's own views and every other purpose still need permission;
# tier 3 never leaves on any basis.
_EDUCATION_TIER_1 = frozenset({"EDU_ATTENDANCE", "EDU_ATTAINMENT", "EDU_SEN_SUPPORT", "EDU_ADVICE"})

STATUTORY_RELEASE: dict[Purpose, tuple[str, frozenset[str], frozenset[str]]] = {
    # purpose: (footing, recipient organisation kinds, categories)
    Purpose.EHC_REQUEST_DECISION: ("CFA 2014 s.36 and SEND Regulations 2014 regs 3-5", frozenset({"sen_team"}),
                                   _EDUCATION_TIER_1),
    Purpose.EHC_NEEDS_ASSESSMENT: ("CFA 2014 s.36 and SEND Regulations 2014 regs 6-8", frozenset({"sen_team"}),
                                   _EDUCATION_TIER_1),
    Purpose.EHC_ANNUAL_REVIEW: ("CFA 2014 s.44 and SEND Regulations 2014 regs 18-22", frozenset({"sen_team"}),
                                _EDUCATION_TIER_1),
}


def statutory_footing(purpose: str, recipient_kind: str | None, category: str) -> str | None:
    """Why ``category`` may be released to an organisation of ``recipient_kind`` for ``purpose``
    without the family's permission, or None when permission is needed."""
    try:
        entry = STATUTORY_RELEASE.get(Purpose(purpose))
    except ValueError:
        return None
    if entry is None:
        return None
    footing, recipients, categories = entry
    if recipient_kind not in recipients or category not in categories:
        return None
    return (f"Released without the family's permission: the council's public task for this statutory step "
            f"({footing}; UK GDPR Art 6(1)(e)). The family is told.")
