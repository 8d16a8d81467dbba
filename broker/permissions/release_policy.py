"""The release policy: the one answer to "may this item go to this recipient organisation, for
this purpose, at this instant, and on which basis?" (docs/release-policy.md).

Three bases release an item, tried in this order:

- the council's **statutory duty** (public task, UK GDPR Art 6(1)(e)): the school records the law
  lets the SEN team take for the statutory EHC steps (``purposes.STATUTORY_RELEASE``), and advice
  the council sought under reg 6(1) for *this* assessment (an item the source says was written
  for the case, from the organisation the advice was asked of).  The family is told, not asked,
  and cannot withdraw it;
- the **family's permission** (``consent.service.decide``): records held in confidence (an EP
  service's earlier reports, social care records), reg 6(4) reuse, reg 17 plan disclosure and
  optional sharing; a permission narrowed to named documents releases those documents only;
- **safeguarding**: a safeguarding lead's break-glass access, for the safeguarding purpose only.

Tier 3 categories are never released on any basis.  Every path that releases or serves an item
(gather, bundle, re-read, reuse, preview, the decisions endpoint, the family's pages, the subject
access export) asks here, and nowhere else computes a release.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from adapters.protocol import RESTRICTED_CATEGORIES, DataCategory, RecordItem
from broker.assessments import repository as assessment_repository
from broker.assessments.schemas import AdviceType
from broker.break_glass import repository as break_glass_repository
from broker.gathering import repository as gathering_repository
from broker.gathering.models import GatheredItem
from broker.permissions.purposes import statutory_footing
from consent import service as consent_service
from consent.service import CategoryDecision
from consent.vocabulary import DATA_CATEGORIES, PURPOSES


class Basis(StrEnum):
    """Why an item is released (the codes the gather answer's provenance has always used)."""

    statutory_duty = "public_task"
    family_permission = "permission"
    safeguarding = "safeguarding"


# What each basis means, in words a family understands.
BASIS_IN_WORDS = {
    Basis.statutory_duty: "The law requires the council to gather this for the assessment: the family is told, "
                          "not asked, and cannot withdraw it.",
    Basis.family_permission: "Shared because the family gave permission; it stops if they withdraw it.",
    Basis.safeguarding: "Shared to keep the child safe (a safeguarding enquiry), without the family's permission; "
                        "every such access is reviewed.",
}
ADVICE_IN_WORDS = ("The law requires the council to gather this advice for the assessment (SEND Regulations 2014 "
                   "reg 6(1)): the family is told, not asked, and cannot withdraw it.")

# Advice the council seeks under reg 6(1), by the category the advice arrives as.
ADVICE_CATEGORY: dict[AdviceType, str] = {
    AdviceType.education: "EDU_ADVICE",
    AdviceType.health: "HEALTH_ADVICE",
    AdviceType.psychological: "EP_ADVICE",
    AdviceType.social_care: "SC_ASSESSMENT",
    AdviceType.preparing_for_adulthood: "PFA_ADVICE",
}
ADVICE_CATEGORIES = frozenset(ADVICE_CATEGORY.values())
_ADVICE_PURPOSES = frozenset({"EHC_NEEDS_ASSESSMENT", "EHC_ANNUAL_REVIEW"})
_ADVICE_RECIPIENTS = frozenset({"sen_team"})
_SAFEGUARDING_RECIPIENTS = frozenset({"social_care"})
_SAFEGUARDING_PURPOSE = "SAFEGUARDING"
_STATUTORY_HOLDERS = frozenset({"school"})


@dataclass(frozen=True)
class Recipient:
    """Who would receive, for what, and when: one release question's fixed part."""

    subject_id: uuid.UUID
    organisation_id: uuid.UUID
    kind: str | None
    purpose: str
    at: datetime
    # The assessment asked for, with the (holder, category) pairs of advice it sought under reg 6(1).
    case_reference: str | None = None
    advice_sought: frozenset[tuple[uuid.UUID, str]] = frozenset()
    safeguarding_access: bool = False


@dataclass(frozen=True)
class ItemFacts:
    """What the policy needs to know of one item: its category, the source's id for it, and the
    case it was written for (advice written for an assessment), if the source says so."""

    category: str
    source_record_id: str
    written_for: str | None = None


@dataclass(frozen=True)
class Release:
    """The answer for one item (or, from ``Ruling.summary``, for a category as a whole)."""

    category: str
    released: bool
    basis: Basis | None
    consent_id: uuid.UUID | None
    consent_version: int | None
    reason: str
    in_words: str


@dataclass(frozen=True)
class Ruling:
    """What a holder may release of one category: the statutory footing (whole category, or the
    advice written for ``advice_for``), the family's permission (possibly narrowed to named
    documents), or safeguarding; ``item`` applies it to one item."""

    category: str
    holder_id: uuid.UUID
    permission: CategoryDecision
    statutory: str | None = None
    advice_for: str | None = None
    safeguarding: bool = False
    restricted: bool = False

    @property
    def may_release_any(self) -> bool:
        """Whether any item of the category could be released (so the source is worth asking)."""
        return not self.restricted and bool(
            self.statutory or self.advice_for or self.safeguarding or self.permission.permitted)

    @property
    def rests_on_missing_permission(self) -> bool:
        """Whether part of the category needs a permission the family has not given: what the
        family may be asked for.  Nothing the statutory duty covers whole is ever asked."""
        return not self.restricted and not self.statutory and not self.safeguarding and not self.permission.permitted

    @property
    def documents(self) -> list[str] | None:
        """The named documents a narrowed permission allows, or None."""
        return self.permission.documents if self.permission.permitted else None

    def item(self, facts: ItemFacts) -> Release:
        """May this item be released, and on which basis?"""
        if self.restricted or facts.category != self.category or facts.category in _RESTRICTED:
            return self._refused(_NEVER)
        if self.statutory:
            return self._release(Basis.statutory_duty, self.statutory, BASIS_IN_WORDS[Basis.statutory_duty])
        if self.advice_for and facts.written_for == self.advice_for:
            return self._release(Basis.statutory_duty, self._advice_reason(), ADVICE_IN_WORDS)
        if self.permission.permitted and (self.documents is None or facts.source_record_id in self.documents):
            return self._release(Basis.family_permission, self.permission.reason,
                                 BASIS_IN_WORDS[Basis.family_permission], self.permission)
        if self.safeguarding:
            return self._release(Basis.safeguarding, _SAFEGUARDING, BASIS_IN_WORDS[Basis.safeguarding])
        return self._refused(self.withheld_reason)

    def summary(self) -> Release:
        """The answer for the category as a whole, before any item is seen."""
        if self.restricted:
            return self._refused(_NEVER)
        if self.statutory:
            return self._release(Basis.statutory_duty, self.statutory, BASIS_IN_WORDS[Basis.statutory_duty])
        if self.permission.permitted:
            reason = self.permission.reason + (f" {self._advice_reason()}" if self.advice_for else "")
            return self._release(Basis.family_permission, reason, BASIS_IN_WORDS[Basis.family_permission],
                                 self.permission)
        if self.advice_for:
            return self._release(Basis.statutory_duty, f"{self._advice_reason()} {_OTHER_DOCUMENTS}", ADVICE_IN_WORDS)
        if self.safeguarding:
            return self._release(Basis.safeguarding, _SAFEGUARDING, BASIS_IN_WORDS[Basis.safeguarding])
        return self._refused(self.permission.reason)

    @property
    def withheld_reason(self) -> str:
        """Why items of the category are not released (staff wording; names no item)."""
        if self.restricted:
            return _NEVER
        if self.permission.permitted:
            return self.permission.reason
        if self.advice_for:
            return f"{_OTHER_DOCUMENTS} {self.permission.reason}"
        return self.permission.reason

    def _advice_reason(self) -> str:
        return (f"Advice written for assessment {self.advice_for}, which the council asked this service for, is "
                "released on its statutory duty (SEND Regulations 2014 reg 6(1); UK GDPR Art 6(1)(e)).")

    def _release(self, basis: Basis, reason: str, in_words: str, permission: CategoryDecision | None = None) -> Release:
        return Release(self.category, True, basis, permission.consent_id if permission else None,
                       permission.consent_version if permission else None, reason, in_words)

    def _refused(self, reason: str) -> Release:
        return Release(self.category, False, None, None, None, reason,
                       "Not shared: it needs the family's permission, which has not been given.")


_RESTRICTED = frozenset(c.value for c in RESTRICTED_CATEGORIES)
_NEVER = "Never released through the broker on any basis."
_OTHER_DOCUMENTS = ("Only the advice written for this assessment is released on the council's statutory duty; the "
                    "service's other reports are held in confidence and need the family's permission.")
_SAFEGUARDING = ("Released for a safeguarding enquiry (Children Act 1989 s.47) under the caller's break-glass "
                 "access, which information governance reviews.")


def recipient(session: Session, *, subject_id: uuid.UUID, organisation_id: uuid.UUID, purpose: str, at: datetime,
              user_id: uuid.UUID | None = None, assessment_id: uuid.UUID | None = None) -> Recipient:
    """The fixed part of a release question: the recipient organisation and its kind, the purpose
    and instant, the advice ``assessment_id`` sought (when asked for a case), and whether the
    caller ``user_id`` holds a break-glass access (for the safeguarding purpose)."""
    kind = gathering_repository.organisation_kind(session, organisation_id)
    reference, sought = None, frozenset[tuple[uuid.UUID, str]]()
    if assessment_id is not None:
        case = assessment_repository.get_assessment(session, assessment_id)
        if case is not None and case.subject_id == subject_id and case.organisation_id == organisation_id:
            reference = case.reference
            sought = frozenset(
                (a.organisation_id, ADVICE_CATEGORY[AdviceType(a.advice_type)])
                for a in assessment_repository.advice_requests_for(session, [assessment_id]).get(assessment_id, [])
                if a.organisation_id is not None and a.status != "declined"
                and AdviceType(a.advice_type) in ADVICE_CATEGORY)
    glass = (purpose == _SAFEGUARDING_PURPOSE and user_id is not None and kind in _SAFEGUARDING_RECIPIENTS
             and break_glass_repository.active_access(session, user_id, subject_id, at) is not None)
    return Recipient(subject_id, organisation_id, kind, purpose, at, reference, sought, glass)


def recipient_with_open_case(session: Session, *, subject_id: uuid.UUID, organisation_id: uuid.UUID, purpose: str,
                             at: datetime) -> Recipient:
    """The recipient as its newest open case for the child and purpose (if any) sees it: advice
    that case sought counts as sought.  For the family's pages, which ask about no one case."""
    cases = assessment_repository.open_cases_of(session, subject_id, organisation_id, purpose)
    return recipient(session, subject_id=subject_id, organisation_id=organisation_id, purpose=purpose, at=at,
                     assessment_id=cases[0].id if cases else None)


def decide(session: Session, to: Recipient, holder_id: uuid.UUID, categories: Sequence[str]) -> list[Ruling]:
    """Per category, what ``holder_id`` may release to ``to``: the rulings ``Ruling.item`` applies
    to each item.  Tier 3 categories are ruled out without asking anything."""
    wanted = list(dict.fromkeys(categories))
    carried = [c for c in wanted if c not in _RESTRICTED]
    decided = {c.category: c for c in consent_service.decide(
        session, to.subject_id, to.organisation_id, to.purpose, carried, holder_id, to.at).categories} if carried else {}
    # The records the law lets the SEN team take are a school's own: another holder's (an EP
    # service's education advice, say) rest on the family's permission.
    from_school = gathering_repository.organisation_kind(session, holder_id) in _STATUTORY_HOLDERS
    rulings = []
    for code in wanted:
        if code in _RESTRICTED:
            rulings.append(Ruling(code, holder_id, CategoryDecision(code, False, None, None, None, _NEVER),
                                  restricted=True))
            continue
        advice = (to.case_reference if code in ADVICE_CATEGORIES and (holder_id, code) in to.advice_sought
                  and to.purpose in _ADVICE_PURPOSES and to.kind in _ADVICE_RECIPIENTS else None)
        rulings.append(Ruling(code, holder_id, decided[code], statutory=statutory_footing(to.purpose, to.kind, code) if from_school else None, advice_for=advice,
                              safeguarding=to.safeguarding_access))
    return rulings


def facts_of(item: RecordItem | GatheredItem) -> ItemFacts:
    """What the policy needs to know of an item, fetched or stored."""
    if isinstance(item, RecordItem):
        return ItemFacts(item.category.value, item.source_record_id, item.written_for)
    return ItemFacts(item.category, item.source_record_id, item.written_for)


def stored_releases(session: Session, subject_id: uuid.UUID,
                    at: datetime) -> list[tuple[GatheredItem, uuid.UUID, Release]]:
    """Each of the child's stored items, the organisation that gathered it, and its release now to
    it, for the purpose and the case it was gathered for (advice written for that case is its
    own): what the family's pages and the subject access export say of each item."""
    asked: dict[tuple[uuid.UUID, str, uuid.UUID | None], Recipient] = {}
    answers = []
    for item, organisation_id in gathering_repository.stored_with_recipients(session, subject_id):
        if organisation_id is None:
            continue
        key = (organisation_id, item.purpose, item.assessment_id)
        if key not in asked:
            asked[key] = recipient(session, subject_id=subject_id, organisation_id=organisation_id,
                                   purpose=item.purpose, at=at, assessment_id=item.assessment_id)
        answers.append((item, organisation_id,
                        decide_items(session, asked[key], item.holder_organisation_id, [facts_of(item)])[0]))
    return answers


def decide_items(session: Session, to: Recipient, holder_id: uuid.UUID,
                 items: Iterable[ItemFacts]) -> list[Release]:
    """Each item's release, in order: the rulings of their categories applied to each."""
    listed = list(items)
    rulings = {r.category: r for r in decide(session, to, holder_id, sorted({i.category for i in listed}))}
    return [rulings[i.category].item(i) for i in listed]


def label(category: str) -> str:
    known = DATA_CATEGORIES.get(category)
    return known.label if known else "other information"


def purpose_label(purpose: str) -> str:
    known = PURPOSES.get(purpose)
    return known.label if known else "another purpose"


def is_carried(category: str) -> bool:
    """Whether the broker may ever carry the category (tier 3 never is)."""
    return category in {c.value for c in DataCategory} and category not in _RESTRICTED
