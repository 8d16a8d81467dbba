"""Queries for assessment cases: select() and flush() only, never commit()."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broker.accounts.models import User
from broker.assessments.models import (
    AdviceRequest,
    Assessment,
    CaseReferenceCounter,
    ClockException,
    ReuseAgreement,
)
from consent.models import Organisation, Person, Relationship

_Row = TypeVar("_Row", AdviceRequest, ClockException)


def next_case_number(session: Session, year: int) -> int:
    """The next case number for ``year``; concurrent callers queue on the counter row's lock."""
    bump = (
        update(CaseReferenceCounter)
        .where(CaseReferenceCounter.year == year)
        .values(last_number=CaseReferenceCounter.last_number + 1)
    )
    result = session.execute(bump)
    assert isinstance(result, CursorResult)  # an UPDATE answers with a cursor result
    if result.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(CaseReferenceCounter(year=year, last_number=1))
            return 1
        except IntegrityError:
            session.execute(bump)
    return session.scalars(
        select(CaseReferenceCounter.last_number).where(CaseReferenceCounter.year == year)
    ).one()


def get_subject(session: Session, subject_id: uuid.UUID) -> Person | None:
    person = session.get(Person, subject_id)
    return person if person is not None and person.is_subject else None


def get_organisation(session: Session, organisation_id: uuid.UUID) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def organisations_by_id(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Organisation]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))}


def people_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(wanted)))}


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def users_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def caseworkers_of(session: Session, organisation_id: uuid.UUID) -> list[User]:
    """The users of an organisation with the caseworker role, by name: who may be a case officer."""
    return list(session.scalars(
        select(User).where(User.organisation_id == organisation_id, User.role == "caseworker")
        .order_by(User.display_name, User.id)
    ))


def _agrees_for(subject_id: uuid.UUID) -> Any:
    return select(Relationship.related_person_id).where(
        Relationship.subject_id == subject_id,
        or_(
            Relationship.parental_responsibility.is_(True),
            Relationship.has_care.is_(True),
            Relationship.representative_kind.is_not(None),
        ),
    )


def may_agree_for(session: Session, person_id: uuid.UUID, subject_id: uuid.UUID) -> bool:
    """The subject themselves, or an adult with parental responsibility or care of them, or their representative."""
    if person_id == subject_id:
        return True
    found = session.scalars(_agrees_for(subject_id).where(Relationship.related_person_id == person_id).limit(1)).first()
    return found is not None


def who_may_agree_for(session: Session, subject_id: uuid.UUID) -> list[Person]:
    """Everyone ``may_agree_for`` admits for the subject: the subject, then the adults, by name."""
    adults = session.scalars(select(Person).where(Person.id.in_(_agrees_for(subject_id)))
                             .order_by(Person.family_name, Person.given_name)).all()
    subject = session.get(Person, subject_id)
    return ([subject] if subject is not None else []) + [p for p in adults if p.id != subject_id]


def get_assessment(session: Session, assessment_id: uuid.UUID, *, for_update: bool = False) -> Assessment | None:
    statement = select(Assessment).where(Assessment.id == assessment_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def open_case_of(session: Session, subject_id: uuid.UUID, purpose: str) -> Assessment | None:
    """The child's open case for ``purpose``, if there is one (there is at most one)."""
    return session.scalars(select(Assessment).where(
        Assessment.subject_id == subject_id, Assessment.purpose == purpose, Assessment.status == "open",
    )).one_or_none()


def open_cases_by_child(session: Session, subject_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Assessment]]:
    """Each child's open cases, oldest first."""
    found: dict[uuid.UUID, list[Assessment]] = defaultdict(list)
    ids = set(subject_ids)
    if ids:
        for case in session.scalars(select(Assessment).where(
                Assessment.subject_id.in_(ids), Assessment.status == "open").order_by(Assessment.created_at)):
            found[case.subject_id].append(case)
    return found


def list_assessments(
    session: Session,
    *,
    organisation_id: uuid.UUID | None,
    also_subjects: Iterable[uuid.UUID] = (),
    status: str | None = None,
    case_officer_id: uuid.UUID | None = None,
) -> list[Assessment]:
    """Cases run by ``organisation_id``, plus any case of ``also_subjects``, newest received first;
    with ``case_officer_id``, only the cases of ``organisation_id`` that officer is responsible for."""
    subjects = list(also_subjects)
    conditions = []
    if organisation_id is not None:
        conditions.append(Assessment.organisation_id == organisation_id)
    if subjects and case_officer_id is None:
        conditions.append(Assessment.subject_id.in_(subjects))
    if not conditions:
        return []
    statement = select(Assessment).where(or_(*conditions))
    if case_officer_id is not None:
        statement = statement.where(Assessment.case_officer_user_id == case_officer_id)
    if status is not None:
        statement = statement.where(Assessment.status == status)
    return list(session.scalars(statement.order_by(Assessment.received_on.desc(), Assessment.reference)))


def count_assessments(
    session: Session, *, organisation_id: uuid.UUID, status: str | None = None, case_officer_id: uuid.UUID | None = None,
) -> int:
    """How many cases ``organisation_id`` runs (in ``status``, of ``case_officer_id`` if given)."""
    statement = select(func.count()).select_from(Assessment).where(Assessment.organisation_id == organisation_id)
    if status is not None:
        statement = statement.where(Assessment.status == status)
    if case_officer_id is not None:
        statement = statement.where(Assessment.case_officer_user_id == case_officer_id)
    return session.scalars(statement).one()


def _by_assessment(session: Session, model: type[_Row], assessment_ids: Iterable[uuid.UUID], *order_by: Any) -> dict[uuid.UUID, list[_Row]]:
    ids = list(assessment_ids)
    found: dict[uuid.UUID, list[_Row]] = defaultdict(list)
    if ids:
        for row in session.scalars(select(model).where(model.assessment_id.in_(ids)).order_by(*order_by)):
            found[row.assessment_id].append(row)
    return found


def advice_requests_for(session: Session, assessment_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[AdviceRequest]]:
    return _by_assessment(session, AdviceRequest, assessment_ids,
                          AdviceRequest.requested_on, AdviceRequest.created_at, AdviceRequest.id)


def exceptions_for(session: Session, assessment_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[ClockException]]:
    return _by_assessment(session, ClockException, assessment_ids,
                          ClockException.starts_on, ClockException.recorded_at, ClockException.id)


def reuse_agreements_for(session: Session, advice_request_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ReuseAgreement]:
    ids = list(advice_request_ids)
    if not ids:
        return {}
    rows = session.scalars(select(ReuseAgreement).where(ReuseAgreement.advice_request_id.in_(ids)))
    return {r.advice_request_id: r for r in rows}


def get_advice_request(
    session: Session, assessment_id: uuid.UUID, advice_request_id: uuid.UUID
) -> AdviceRequest | None:
    return session.scalars(
        select(AdviceRequest).where(
            AdviceRequest.id == advice_request_id, AdviceRequest.assessment_id == assessment_id
        )
    ).one_or_none()


def open_advice_request_exists(
    session: Session, assessment_id: uuid.UUID, advice_type: str, organisation_id: uuid.UUID | None
) -> bool:
    statement = select(AdviceRequest.id).where(
        AdviceRequest.assessment_id == assessment_id,
        AdviceRequest.advice_type == advice_type,
        AdviceRequest.status == "requested",
    )
    statement = statement.where(
        AdviceRequest.organisation_id.is_(None) if organisation_id is None
        else AdviceRequest.organisation_id == organisation_id
    )
    return session.scalars(statement.limit(1)).first() is not None


def get_clock_exception(session: Session, assessment_id: uuid.UUID, exception_id: uuid.UUID) -> ClockException | None:
    return session.scalars(
        select(ClockException).where(
            ClockException.id == exception_id, ClockException.assessment_id == assessment_id
        )
    ).one_or_none()


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def open_cases_of(session: Session, subject_id: uuid.UUID, organisation_id: uuid.UUID, purpose: str) -> list[Assessment]:
    """The child's open cases run by ``organisation_id`` for ``purpose``, newest received first."""
    return list(session.scalars(select(Assessment).where(
        Assessment.subject_id == subject_id, Assessment.organisation_id == organisation_id,
        Assessment.purpose == purpose, Assessment.status == "open").order_by(Assessment.received_on.desc())))


ADVICE_GIVER_KINDS = frozenset({"school", "health", "ep_service", "social_care"})


def advice_givers(session: Session) -> list[Organisation]:
    """The organisations advice may be asked of, by name."""
    return list(session.scalars(
        select(Organisation).where(Organisation.kind.in_(ADVICE_GIVER_KINDS)).order_by(Organisation.name)
    ))
