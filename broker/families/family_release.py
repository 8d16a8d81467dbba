"""What a family is told about releases, from the release policy: what the council has taken on
its statutory duty (shared, when, and why: never offered for agreement or withdrawal), and what
withdrawing a permission stops and what it does not, and why.

No category or purpose codes reach a page, only the vocabulary's labels and organisation names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from broker.auth.principal import Principal
from broker.gathering import repository as gathering_repository
from broker.permissions import release_policy
from broker.permissions.consent_actions import actor_of
from broker.permissions.release_policy import Basis, Recipient
from consent import repository as consent_repository
from consent import service as consent_service
from consent.models import utcnow
from consent.schemas import ConsentRead, ScopeRow
from consent.vocabulary import Status


@dataclass(frozen=True)
class StatutoryShare:
    """Records of one kind a service gave an organisation on the council's statutory duty."""

    category: str
    holder: str
    recipient: str
    purpose: str
    items: int
    first_shared: datetime
    last_shared: datetime
    why: str


@dataclass(frozen=True)
class Effect:
    """One line of what withdrawing a permission does: a kind of information, from whom, to whom."""

    category: str
    holder: str
    recipient: str
    why: str
    statutory: bool = False


@dataclass(frozen=True)
class WithdrawalEffects:
    """What stops when a permission is withdrawn, what carries on and why, and how many items
    already shared under it are kept only until they are erased."""

    stops: list[Effect]
    continues: list[Effect]
    shared_under_it: int


def _recipient(session: Session, subject_id: uuid.UUID, organisation_id: uuid.UUID, purpose: str, at: datetime,
               cases: dict[tuple[uuid.UUID, str], Recipient]) -> Recipient:
    key = (organisation_id, purpose)
    if key not in cases:
        cases[key] = release_policy.recipient_with_open_case(
            session, subject_id=subject_id, organisation_id=organisation_id, purpose=purpose, at=at)
    return cases[key]


def statutory_shares(session: Session, principal: Principal, subject_id: uuid.UUID) -> list[StatutoryShare]:
    """What has been shared about the child on the council's statutory duty, per kind of
    information, service and recipient, with when: every stored item the release policy says
    rests on the duty now.  The family is told this; it is never theirs to agree to or withdraw."""
    consent_service.subjects_visible_to(session, actor_of(principal), subject_id)
    at = utcnow()
    groups: dict[tuple[uuid.UUID, uuid.UUID, str, str], list[datetime]] = {}
    reasons: dict[tuple[uuid.UUID, uuid.UUID, str, str], str] = {}
    for item, recipient_id, answer in release_policy.stored_releases(session, subject_id, at):
        if answer.released and answer.basis is Basis.statutory_duty:
            key = (item.holder_organisation_id, recipient_id, item.category, item.purpose)
            groups.setdefault(key, []).append(item.retrieved_at)
            reasons[key] = answer.in_words
    names = consent_repository.names_of_organisations(session, {k[0] for k in groups} | {k[1] for k in groups})
    shares = [StatutoryShare(release_policy.label(category), names.get(holder, "another service"),
                             names.get(recipient, "another service"), release_policy.purpose_label(purpose),
                             len(when), min(when), max(when), reasons[(holder, recipient, category, purpose)])
              for (holder, recipient, category, purpose), when in groups.items()]
    return sorted(shares, key=lambda s: s.last_shared, reverse=True)


def withdrawal_effects(session: Session, principal: Principal, subject_id: uuid.UUID,
                       consent_id: uuid.UUID) -> WithdrawalEffects | None:
    """What withdrawing ``consent_id`` stops and what it does not, each with the reason, from the
    release policy as if the permission were gone now; None if it is not about this child."""
    consent = next((c for c in consent_service.list_consents(session, actor_of(principal), subject_id)
                    if c.id == consent_id), None)
    if consent is None:
        return None
    return _effects(session, consent)


def _effects(session: Session, consent: ConsentRead) -> WithdrawalEffects:
    at = utcnow()
    scope = consent.versions[-1].scope
    names = consent_service.organisation_names(session, consent)
    cases: dict[tuple[uuid.UUID, str], Recipient] = {}
    others = [c for c in consent_service.list_consents(session, consent_service.AUTOMATIC, consent.subject_id, at)
              if c.id != consent.id and c.status is Status.active]
    stops, continues = [], []
    for row in scope:
        to = _recipient(session, consent.subject_id, row.recipient_organisation_id, row.purpose, at, cases)
        ruling = release_policy.decide(session, to, row.holder_organisation_id, [row.data_category])[0]
        effect = (release_policy.label(row.data_category), names.get(row.holder_organisation_id, "another service"),
                  names.get(row.recipient_organisation_id, "another service"))
        if ruling.statutory:
            continues.append(Effect(*effect, "The law requires the council to gather it for "
                                    f"{release_policy.purpose_label(row.purpose)}, whatever you decide: it never "
                                    "rested on your permission.", statutory=True))
            continue
        if ruling.advice_for:
            continues.append(Effect(*effect, "Only the advice written for the assessment "
                                    f"({ruling.advice_for}) carries on: the law requires the council to gather it.",
                                    statutory=True))
        if _covered_by_another(others, row):
            continues.append(Effect(*effect, "Another permission you or someone else with parental responsibility "
                                    "gave still covers it, until that one is withdrawn or ends."))
        else:
            stops.append(Effect(*effect, "It was shared only because you gave permission."))
    held = sum(1 for item, _ in gathering_repository.stored_with_recipients(session, consent.subject_id)
               if item.consent_id == consent.id)
    return WithdrawalEffects(stops, continues, held)


def not_resting_on(session: Session, consent: ConsentRead) -> list[dict[str, str]]:
    """For a permission's receipt: what its scope names that the release policy releases on the
    council's statutory duty now, whatever the permission says (the family was never asked for
    it and cannot withdraw it), each with why."""
    effects = _effects(session, consent)
    return [{"category": e.category, "holder": e.holder, "recipient": e.recipient, "basis": Basis.statutory_duty.value,
             "why": e.why} for e in effects.continues if e.statutory]


def _covered_by_another(others: list[ConsentRead], row: ScopeRow) -> bool:
    return any(
        (s.data_category, s.purpose, s.recipient_organisation_id, s.holder_organisation_id)
        == (row.data_category, row.purpose, row.recipient_organisation_id, row.holder_organisation_id)
        and s.document_ref in (None, row.document_ref)
        for c in others for s in c.versions[-1].scope)
