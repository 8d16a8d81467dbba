"""What a family's pages show, in plain words: the children a person may decide for, the
requests waiting for their answer, their permissions and who has seen the child's information.

Built from the consent service and the family access log; no category or purpose codes reach a
page, only the vocabulary's labels and organisation names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from broker.audit_trail.access_log import AccessLogPage, access_log
from broker.auth.principal import Principal
from broker.auth.relationships import family_subjects
from broker.permissions.consent_actions import actor_of
from broker.platform.clock import council_today
from consent import repository as consent_repository
from consent import service
from consent.models import Person
from consent.schemas import ConsentRead, ConsentRequestRead
from consent.vocabulary import DATA_CATEGORIES, PURPOSES, Status

# How many lines (before folding) one page of the access history shows.
ACCESS_HISTORY_PAGE = 50


def category_label(code: str) -> str:
    known = DATA_CATEGORIES.get(code)
    return known.label if known else "other information"


def purpose_label(code: str) -> str:
    known = PURPOSES.get(code)
    return known.label if known else "another purpose"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChildSummary:
    id: uuid.UUID
    name: str
    is_self: bool
    pending_requests: int
    permissions: int


@dataclass(frozen=True)
class PendingRequest:
    id: uuid.UUID
    asked_by: str
    purpose: str
    why: str
    categories: list[Choice]
    holders: list[Choice]
    recipients: list[str]
    valid_for_days: int
    if_declined: str
    answer_by: datetime


@dataclass(frozen=True)
class Permission:
    id: uuid.UUID
    status: Status
    purposes: list[str]
    categories: list[str]
    holders: list[str]
    recipients: list[str]
    since: datetime
    until: datetime | None
    given_by: str


def full_name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}"


def is_self(principal: Principal, subject: Person) -> bool:
    """Whether the signed-in person is the young person themself."""
    return principal.person_id == subject.id


def _waiting_for(principal: Principal, request: ConsentRequestRead) -> bool:
    return request.status == "open" and any(
        d.person_id == principal.person_id and d.answer is None for d in request.deciders
    )


def children(session: Session, principal: Principal) -> list[ChildSummary]:
    """Each child or young person the family member may decide for, with what awaits them."""
    actor = actor_of(principal)
    summaries = []
    for subject in family_subjects(session, principal):
        requests = service.list_requests(session, actor, subject.id)
        consents = service.list_consents(session, actor, subject.id)
        summaries.append(ChildSummary(
            id=subject.id, name=full_name(subject), is_self=is_self(principal, subject),
            pending_requests=sum(_waiting_for(principal, r) for r in requests),
            permissions=sum(c.status is Status.active for c in consents),
        ))
    return summaries


def _request_view(session: Session, request: ConsentRequestRead) -> PendingRequest:
    names = consent_repository.names_of_organisations(
        session, {*request.holder_organisation_ids, *request.recipient_organisation_ids})
    return PendingRequest(
        id=request.id, asked_by=request.requested_by_name, purpose=purpose_label(request.purpose), why=request.why,
        categories=[Choice(c, category_label(c)) for c in request.categories],
        holders=[Choice(str(h), names.get(h, "another service")) for h in request.holder_organisation_ids],
        recipients=[names.get(r, "another service") for r in request.recipient_organisation_ids],
        valid_for_days=request.valid_for_days, if_declined=request.if_declined, answer_by=request.expires_at,
    )


def pending_requests(session: Session, principal: Principal, subject_id: uuid.UUID) -> list[PendingRequest]:
    """The requests about this subject still waiting for this person's answer, oldest first."""
    requests = service.list_requests(session, actor_of(principal), subject_id)
    return [_request_view(session, r) for r in requests if _waiting_for(principal, r)]


def pending_request(session: Session, principal: Principal, subject_id: uuid.UUID, request_id: uuid.UUID) -> PendingRequest | None:
    """One request waiting for this person's answer, or None (answered, expired or not theirs)."""
    return next((r for r in pending_requests(session, principal, subject_id) if r.id == request_id), None)


def _permission_view(session: Session, consent: ConsentRead) -> Permission:
    names = service.organisation_names(session, consent)
    version = consent.versions[-1]
    scope = version.scope
    return Permission(
        id=consent.id, status=consent.status,
        purposes=sorted({purpose_label(s.purpose) for s in scope}),
        categories=list(dict.fromkeys(category_label(s.data_category) for s in scope)),
        holders=list(dict.fromkeys(names.get(s.holder_organisation_id, "another service") for s in scope)),
        recipients=list(dict.fromkeys(names.get(s.recipient_organisation_id, "another service") for s in scope)),
        since=version.valid_from, until=version.valid_until, given_by=version.grantor_name,
    )


def permissions(session: Session, principal: Principal, subject_id: uuid.UUID) -> list[Permission]:
    """The permissions about this subject, those in force first, then the newest."""
    consents = service.list_consents(session, actor_of(principal), subject_id)
    views = [_permission_view(session, c) for c in consents]
    return sorted(views, key=lambda p: (p.status is not Status.active, -p.since.timestamp()))


def permission(session: Session, principal: Principal, subject_id: uuid.UUID, consent_id: uuid.UUID) -> Permission | None:
    """One permission about this subject, or None."""
    return next((p for p in permissions(session, principal, subject_id) if p.id == consent_id), None)


def access_history(session: Session, principal: Principal, subject_id: uuid.UUID, *, secret: str,
                   cursor: str | None) -> AccessLogPage:
    """A page of who has seen or asked for the subject's information, newest first, with the
    cursors of the older and newer pages (NotFound for a cursor not given for this child)."""
    return access_log(session, principal.user_id, principal.person_id, subject_id, council_today(),
                      secret=secret, cursor=cursor, limit=ACCESS_HISTORY_PAGE) or AccessLogPage([], None, None)
