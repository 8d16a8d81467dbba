"""What the caseworkers' pages read about a case besides its description: the child, the
organisations advice may be asked of, the people who may agree for the child, the caseworkers who
may take the case over, and one advice request or clock exception of the case."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from broker.accounts.models import User
from broker.assessments import repository
from broker.assessments.models import AdviceRequest, Assessment, ClockException
from broker.platform.errors import NotFound
from consent import repository as consent_repository
from consent.models import Organisation, Person


def child(session: Session, subject_id: uuid.UUID, *,
          missing: str = "There is no child or young person with that id.") -> Person:
    """The child or young person with this id (NotFound, saying ``missing``, when there is none)."""
    subject = repository.get_subject(session, subject_id)
    if subject is None:
        raise NotFound(missing)
    return subject


def advice_givers(session: Session) -> list[Organisation]:
    """The organisations advice may be asked of (schools, health, the EP service, social care), by name."""
    return repository.advice_givers(session)


def organisation(session: Session, organisation_id: uuid.UUID | None) -> Organisation | None:
    return repository.get_organisation(session, organisation_id) if organisation_id else None


def organisations_by_id(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Organisation]:
    return repository.organisations_by_id(session, ids)


def organisation_names(session: Session, ids: Iterable[uuid.UUID]) -> dict[str, str]:
    """Organisation names by id (as text), for the holders a page names."""
    return {str(k): v for k, v in consent_repository.names_of_organisations(session, set(ids)).items()}


def who_may_agree_for(session: Session, subject_id: uuid.UUID) -> list[Person]:
    """The child, then the adults who may agree for them, by name."""
    return repository.who_may_agree_for(session, subject_id)


def caseworkers_of(session: Session, organisation_id: uuid.UUID) -> list[User]:
    """The caseworkers of an organisation, by name: who may be a case officer."""
    return repository.caseworkers_of(session, organisation_id)


def user(session: Session, user_id: uuid.UUID) -> User | None:
    return repository.get_user(session, user_id)


def advice_requests_of(session: Session, case: Assessment) -> list[AdviceRequest]:
    """The case's advice requests, in the order they were asked for."""
    return repository.advice_requests_for(session, [case.id]).get(case.id, [])


def advice_request(session: Session, case: Assessment, advice_id: uuid.UUID) -> AdviceRequest:
    """One advice request of the case (NotFound when the case has none with that id)."""
    advice = repository.get_advice_request(session, case.id, advice_id)
    if advice is None:
        raise NotFound("There is no advice request with that id in this case.")
    return advice


def clock_exception(session: Session, case: Assessment, exception_id: uuid.UUID) -> ClockException:
    """One clock exception of the case (NotFound when the case has none with that id)."""
    exception = repository.get_clock_exception(session, case.id, exception_id)
    if exception is None:
        raise NotFound("There is no clock exception with that id in this case.")
    return exception
