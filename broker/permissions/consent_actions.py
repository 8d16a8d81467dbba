"""Consent changes as the broker performs them: the consent service, the audit log and the
notifier, composed in the caller's one transaction.

Routes, the command line and the demo seed all go through here, so every change (grant, change,
withdrawal, request, answer, transition) and every decision is written to the audit log and
every decider is told, or nothing happens at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from audit.events import AuditEvent
from broker.assessments import repository as assessment_repository
from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record
from broker.auth import Principal
from broker.gathering.repository import hold_subject
from broker.notifications.outbox import Notifier
from broker.permissions import release_policy
from broker.permissions.release_schemas import ReleaseCategoryRead, ReleaseDecisionRead
from broker.platform.errors import InvalidInput, NotFound
from consent import repository as consent_repository
from consent import service
from consent.models import utcnow
from consent.schemas import (
    AnswerCreate,
    ConsentChange,
    ConsentCreate,
    ConsentRead,
    ConsentRequestCreate,
    ConsentRequestRead,
    ConsentWithdraw,
    DecisionCreate,
)
from consent.service import Actor


def actor_of(principal: Principal) -> Actor:
    """The consent package's view of who is acting."""
    return Actor(
        user_id=principal.user_id, name=principal.username, person_id=principal.person_id,
        organisation_id=principal.organisation_id, is_family=principal.is_family,
    )


def _purposes(consent: ConsentRead) -> str:
    return ",".join(sorted({s.purpose for s in consent.versions[-1].scope}))


def _consent_details(consent: ConsentRead) -> dict[str, Any]:
    version = consent.versions[-1]
    return {
        "consent_id": str(consent.id),
        "version": version.version,
        "basis": version.basis.value,
        "standing": version.standing.value,
        "method": version.method.value,
        "grantor_person_id": str(version.grantor_person_id) if version.grantor_person_id else None,
        "grantor_organisation_id": str(version.grantor_organisation_id) if version.grantor_organisation_id else None,
        "categories": sorted({s.data_category for s in version.scope}),
        "recipients": sorted({str(s.recipient_organisation_id) for s in version.scope}),
        "holders": sorted({str(s.holder_organisation_id) for s in version.scope}),
        "valid_until": version.valid_until.isoformat() if version.valid_until else None,
    }


ConsentEvent = Callable[..., AuditEvent]


def _audited(session: Session, who: Principal, build: ConsentEvent, consent: ConsentRead,
             reason: str | None = None) -> ConsentRead:
    record(session, build(who, subject_id=consent.subject_id, purposes=_purposes(consent),
                          consent=_consent_details(consent), reason=reason))
    return consent


def grant(session: Session, who: Principal, data: ConsentCreate, at: datetime | None = None) -> ConsentRead:
    """Record a permission and audit it."""
    return _audited(session, who, catalogue.consent_granted, service.grant_consent(session, actor_of(who), data, at))


def change(session: Session, who: Principal, consent_id: uuid.UUID, data: ConsentChange,
           at: datetime | None = None) -> ConsentRead:
    """Make a new version of a permission and audit it."""
    consent = service.change_consent(session, actor_of(who), consent_id, data, at)
    return _audited(session, who, catalogue.consent_changed, consent, data.note)


def withdraw(session: Session, who: Principal, consent_id: uuid.UUID, data: ConsentWithdraw,
             at: datetime | None = None) -> ConsentRead:
    """Withdraw a permission and audit it.  The child is held first, so a gather releasing under
    this permission finishes before the withdrawal, or decides after it and releases nothing."""
    held = consent_repository.consent(session, consent_id)
    if held is not None:
        hold_subject(session, held.subject_id)
    consent = service.withdraw_consent(session, actor_of(who), consent_id, data, at)
    return _audited(session, who, catalogue.consent_withdrawn, consent, data.reason)


def _raised(session: Session, who: Principal | None, public_url: str,
            raised: Iterable[tuple[ConsentRequestRead, list[service.Decider]]]) -> list[ConsentRequestRead]:
    notifier = Notifier(session, public_url)
    requests = []
    for request, deciders in raised:
        told = notifier.consent_request_raised(request, deciders)
        record(session, catalogue.consent_request_created(
            who, subject_id=request.subject_id, purpose=request.purpose, request_id=request.id,
            categories=request.categories, holders=[str(h) for h in request.holder_organisation_ids],
            recipients=[str(r) for r in request.recipient_organisation_ids], deciders=len(deciders),
            notifications=told, replaces_consent_id=request.replaces_consent_id))
        requests.append(request)
    return requests


def create_request(session: Session, who: Principal, data: ConsentRequestCreate, public_url: str,
                   at: datetime | None = None) -> ConsentRequestRead:
    """Raise a consent request, tell each person who may decide, and audit it.  A family is asked
    only for what rests on their permission: a category that a holder releases to a recipient on
    the council's statutory duty is refused, with the reason."""
    _refuse_statutory(session, data, at or utcnow())
    return _raised(session, who, public_url, [service.create_request(session, actor_of(who), data, at)])[0]


def _refuse_statutory(session: Session, data: ConsentRequestCreate, at: datetime) -> None:
    organisations = consent_repository.names_of_organisations(
        session, {*data.holder_organisation_ids, *data.recipient_organisation_ids})
    for recipient_id in dict.fromkeys(data.recipient_organisation_ids):
        if recipient_id not in organisations:
            continue  # the consent service refuses an unknown organisation with its own error
        to = release_policy.recipient(session, subject_id=data.subject_id, organisation_id=recipient_id,
                                      purpose=data.purpose, at=at)
        for holder_id in dict.fromkeys(data.holder_organisation_ids):
            if holder_id not in organisations:
                continue
            carried = [c for c in data.categories if release_policy.is_carried(c)]
            for ruling in release_policy.decide(session, to, holder_id, carried):
                if ruling.statutory:
                    raise InvalidInput(
                        f"{release_policy.label(ruling.category).capitalize()} from {organisations[holder_id]} to "
                        f"{organisations[recipient_id]} is gathered on the council's statutory duty, so the family "
                        "is told, not asked: leave it out of the request. " + ruling.statutory)


def answer(session: Session, who: Principal, request_id: uuid.UUID, data: AnswerCreate,
           at: datetime | None = None) -> tuple[ConsentRequestRead, ConsentRead | None]:
    """Record one decider's answer (and the permission it grants) and audit both."""
    request, consent = service.answer_request(session, actor_of(who), request_id, data, at)
    record(session, catalogue.consent_request_answered(
        who, subject_id=request.subject_id, purpose=request.purpose, request_id=request.id, answer=data.answer,
        consent_id=consent.id if consent else None, conflict=request.conflict, note=data.note))
    if consent is not None:
        _audited(session, who, catalogue.consent_granted, consent)
    return request, consent


def decide(session: Session, who: Principal, data: DecisionCreate, at: datetime, *,
           assessment_id: uuid.UUID | None = None) -> ReleaseDecisionRead:
    """What the holder may release to the recipient, per category, by the release policy (the
    one every gather and reading uses), with its basis; nothing is fetched, and the decision is
    audited.  With ``assessment_id`` (one of the caller's organisation's cases), advice the case
    sought from the holder counts as sought."""
    service.decide(session, data.subject_id, data.recipient_organisation_id, data.purpose, data.categories,
                   data.holder_organisation_id, at)  # refuses unknown codes, subjects and organisations
    if assessment_id is not None:
        case = assessment_repository.get_assessment(session, assessment_id)
        if case is None or case.organisation_id != who.organisation_id or case.subject_id != data.subject_id:
            raise NotFound("There is no assessment with that id among your team's cases for this child.")
    to = release_policy.recipient(session, subject_id=data.subject_id, organisation_id=data.recipient_organisation_id,
                                  purpose=data.purpose, at=at, user_id=who.user_id, assessment_id=assessment_id)
    answers = [ReleaseCategoryRead.of(r)
               for r in release_policy.decide(session, to, data.holder_organisation_id, data.categories)]
    record(session, catalogue.decision_made(
        who, subject_id=data.subject_id, purpose=data.purpose, recipient=data.recipient_organisation_id,
        holder=data.holder_organisation_id, at=at.isoformat(), permitted=[c.category for c in answers if c.permitted],
        denied=[c.category for c in answers if not c.permitted],
        consents=sorted({f"{c.consent_id}:v{c.consent_version}" for c in answers if c.permitted and c.consent_id}),
        statutory=[c.category for c in answers if c.basis is release_policy.Basis.statutory_duty]))
    return ReleaseDecisionRead(subject_id=data.subject_id, recipient_organisation_id=data.recipient_organisation_id,
                               purpose=data.purpose, holder_organisation_id=data.holder_organisation_id, at=at,
                               categories=answers)


def transition(session: Session, public_url: str, at: datetime | None = None) -> list[service.Transition]:
    """Expire parental permissions of young people past compulsory school age and ask them afresh."""
    done = service.transition_to_young_people(session, at)
    for item in done:
        record(session, catalogue.consent_expired(subject_id=item.subject_id, consent_id=item.consent_id,
                                                  effective_at=item.expired_at.isoformat(),
                                                  reason="end of compulsory school age"))
        _raised(session, None, public_url, item.requests)
    return done
