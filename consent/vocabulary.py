"""The code lists of docs/law.md: bases, data categories (with tiers) and purposes.

Tier 3 categories are never shared on a family's permission: they cannot be put in a consent, a
consent request or a decision, and every attempt is refused with the same clear error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from consent.errors import InvalidInput, TierThreeCategory, UnknownCode

CURRENT_NOTICE_VERSION = "permission-notice-2026-09"


class Basis(StrEnum):
    """What kind of permission the family gives (docs/law.md, "What a permission is")."""

    confidentiality = "confidentiality"
    reg6_4_reuse = "reg6_4_reuse"
    reg17_plan_disclosure = "reg17_plan_disclosure"
    gdpr_consent = "gdpr_consent"


class Method(StrEnum):
    """How the permission was given."""

    portal = "portal"
    paper = "paper"
    verbal_with_witness = "verbal_with_witness"
    interpreter = "interpreter"


class Standing(StrEnum):
    """On what footing the grantor decides for the subject."""

    pr_holder = "pr_holder"
    council_with_pr = "council_with_pr"
    young_person = "young_person"
    representative = "representative"
    competent_child = "competent_child"


#: Standings that come from parental responsibility: they stop permitting at the end of
#: compulsory school age, when the young person decides.
PARENTAL_STANDINGS = frozenset({Standing.pr_holder, Standing.council_with_pr})


class Status(StrEnum):
    active = "active"
    withdrawn = "withdrawn"
    expired = "expired"
    superseded = "superseded"


@dataclass(frozen=True)
class DataCategory:
    code: str
    label: str
    tier: int


@dataclass(frozen=True)
class Purpose:
    code: str
    label: str
    footing: str
    family_permission: str
    on_permission: bool = True


DATA_CATEGORIES: dict[str, DataCategory] = {c.code: c for c in [
    DataCategory("ID_CORE", "name, date of birth, identifiers and current setting", 0),
    DataCategory("ID_CONTACT", "addresses and phone numbers", 0),
    DataCategory("EDU_ATTENDANCE", "school attendance, suspensions and exclusions", 1),
    DataCategory("EDU_ATTAINMENT", "assessments and results", 1),
    DataCategory("EDU_SEN_SUPPORT", "SEN support plans, provision maps and SEN history", 1),
    DataCategory("EDU_ADVICE", "educational advice from the school or setting", 1),
    DataCategory("FAMILY_VIEWS", "the family's and the child's own views", 1),
    DataCategory("FINANCE_PB", "personal budget, direct payments and funding band", 1),
    DataCategory("EP_ADVICE", "educational psychology reports and advice", 2),
    DataCategory("HEALTH_ADVICE", "medical, therapy and CAMHS advice", 2),
    DataCategory("SC_ASSESSMENT", "social care assessments (disabled child, short breaks, carer)", 2),
    DataCategory("SC_PLAN", "child in need plan summary and care plan education sections", 2),
    DataCategory("PFA_ADVICE", "preparing for adulthood and Care Act transition assessment", 2),
    DataCategory("SAFEGUARDING", "safeguarding records", 3),
    DataCategory("COURT", "court records", 3),
    DataCategory("ADOPTION", "adoption records", 3),
    DataCategory("THIRD_PARTY", "information about other people", 3),
    DataCategory("YJ_CRIMINAL", "youth justice records", 3),
    DataCategory("CHILD_CONFIDENCE", "a competent child's own confidences", 3),
    DataCategory("GENDER_RECOGNITION", "gender recognition records", 3),
]}

PURPOSES: dict[str, Purpose] = {p.code: p for p in [
    Purpose("EHC_REQUEST_DECISION", "deciding whether to carry out an EHC needs assessment",
            "CFA 2014 s.36; SEND Regulations 2014 regs 3-5", "not needed; the family is told"),
    Purpose("EHC_NEEDS_ASSESSMENT", "the EHC needs assessment",
            "CFA 2014 s.36; SEND Regulations 2014 regs 6-8",
            "needed for confidential advice (EP, health) and to reuse existing advice"),
    Purpose("EHC_ANNUAL_REVIEW", "the annual review of the EHC plan",
            "CFA 2014 s.44; SEND Regulations 2014 regs 18-22",
            "needed for confidential advice and to reuse existing advice"),
    Purpose("EHC_PLAN_DISCLOSURE", "sharing the EHC plan beyond the statutory recipients",
            "SEND Regulations 2014 reg 17", "needed"),
    Purpose("TRANSITION_ADULT", "preparing for adulthood and the move to adult services",
            "SEND Regulations 2014 reg 6(1)(f); Care Act 2014 s.58", "the young person decides from 16"),
    Purpose("SOCIAL_CARE_ELIGIBILITY", "deciding eligibility for social care support",
            "Children Act 1989 s.17", "needed to reuse EHC advice"),
    Purpose("SHORT_BREAKS", "short breaks", "Children Act 1989 Sch 2", "needed to reuse EHC advice"),
    Purpose("RESOURCE_ALLOCATION", "funding decisions (a person decides)", "funding decisions",
            "decision aid only"),
    Purpose("FAMILY_OPTIONAL", "optional sharing the family chooses, for example with an advocate",
            "UK GDPR Art 6(1)(a)", "needed"),
    Purpose("SAFEGUARDING", "safeguarding enquiries", "Children Act 1989 s.47",
            "outside the permission path", on_permission=False),
]}


def data_category(code: str) -> DataCategory:
    """The category ``code``, refusing unknown codes and tier 3 categories with a clear error."""
    category = DATA_CATEGORIES.get(code)
    if category is None:
        raise UnknownCode(f"unknown data category {code!r}; known categories: {', '.join(DATA_CATEGORIES)}")
    if category.tier >= 3:
        raise TierThreeCategory(
            f"data category {code!r} is never shared on a family's permission and cannot be "
            "requested, granted or decided through one"
        )
    return category


def check_categories(codes: Iterable[str]) -> list[str]:
    """The codes in order without repeats, each checked by :func:`data_category`; at least one."""
    unique = list(dict.fromkeys(codes))
    if not unique:
        raise InvalidInput("name at least one data category")
    for code in unique:
        data_category(code)
    return unique


def purpose(code: str) -> Purpose:
    """The purpose ``code``; unknown purposes and purposes outside the permission path are refused."""
    found = PURPOSES.get(code)
    if found is None:
        raise UnknownCode(f"unknown purpose {code!r}; known purposes: {', '.join(PURPOSES)}")
    if not found.on_permission:
        raise InvalidInput(f"purpose {code!r} is outside the permission path and cannot rest on a family's permission")
    return found
