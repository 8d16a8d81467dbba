"""Queries of the consent registry: select() and flush() only, never commit()."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import Row, bindparam, exists, func, select, true
from sqlalchemy.orm import Session, aliased

from consent.models import (
    Consent,
    ConsentRequest,
    ConsentRequestAnswer,
    ConsentRequestDecider,
    ConsentScope,
    ConsentStatusEvent,
    ConsentVersion,
    Organisation,
    Person,
)
from consent.vocabulary import PARENTAL_STANDINGS

_scope = ConsentScope.__table__
_version = ConsentVersion.__table__
_event = ConsentStatusEvent.__table__


def subject(session: Session, subject_id: uuid.UUID) -> Person | None:
    found = session.get(Person, subject_id)
    return found if found is not None and found.is_subject else None


def person(session: Session, person_id: uuid.UUID) -> Person | None:
    return session.get(Person, person_id)


def organisation(session: Session, organisation_id: uuid.UUID) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def existing_organisation_ids(session: Session, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    return set(session.scalars(select(Organisation.id).where(Organisation.id.in_(list(ids)))))


_org = Organisation.__table__
_person = Person.__table__

# The decision's statement is built once: decide() runs on every disclosure, and building a
# statement costs more than running it.  It reads the whole history of the exact scope asked
# about (every version's rows and how each version ended), which is a handful of rows found
# through one index, and the rules are applied to it in Python, so that permits and the reasons
# for refusals come from the same single round trip.
_HISTORY = (
    select(
        _scope.c.id.label("scope_id"), _scope.c.data_category, _scope.c.document_ref,
        _version.c.id.label("version_id"), _version.c.consent_id, _version.c.version, _version.c.standing,
        _version.c.valid_from, _version.c.valid_until, _version.c.recorded_at,
        _event.c.status.label("ended_as"), _event.c.effective_at.label("ended_at"),
    )
    .join(_version, _version.c.id == _scope.c.consent_version_id)
    .outerjoin(_event, (_event.c.consent_version_id == _version.c.id) & (_event.c.status != "active"))
    .where(
        _scope.c.subject_id == bindparam("subject_id"),
        _scope.c.purpose == bindparam("purpose"),
        _scope.c.recipient_organisation_id == bindparam("recipient_id"),
        _scope.c.holder_organisation_id == bindparam("holder_id"),
        _scope.c.data_category.in_(bindparam("categories", expanding=True)),
    )
    .subquery("history")
)

_DECISION = (
    select(
        _person.c.date_of_birth,
        _person.c.address_confidential,
        exists().where(_org.c.id == bindparam("recipient_id")).label("recipient_exists"),
        exists().where(_org.c.id == bindparam("holder_id")).label("holder_exists"),
        *_HISTORY.c,
    )
    .select_from(_person)
    .outerjoin(_HISTORY, true())
    .where(_person.c.id == bindparam("subject_id"), _person.c.is_subject.is_(True))
    .order_by(_HISTORY.c.recorded_at.desc(), _HISTORY.c.consent_id, _HISTORY.c.scope_id)
)


def decision_rows(
    session: Session, subject_id: uuid.UUID, purpose: str, recipient_id: uuid.UUID,
    holder_id: uuid.UUID, categories: Sequence[str],
) -> Sequence[Row]:
    """The subject's date of birth and address flag, whether recipient and holder exist, and every
    scope row ever recorded for exactly this scope with how its version ended (one row per
    ending; ``ended_as`` None if it has not), newest version first.  No rows: no such subject.
    One indexed query."""
    return session.connection().execute(_DECISION, {
        "subject_id": subject_id, "purpose": purpose, "recipient_id": recipient_id, "holder_id": holder_id,
        "categories": list(categories),
    }).all()


def consent(session: Session, consent_id: uuid.UUID) -> Consent | None:
    return session.get(Consent, consent_id)


def consents_of_subject(session: Session, subject_id: uuid.UUID) -> Sequence[Consent]:
    return session.scalars(
        select(Consent).where(Consent.subject_id == subject_id).order_by(Consent.created_at, Consent.id)
    ).all()


def versions_of(session: Session, consent_ids: Collection[uuid.UUID]) -> Sequence[ConsentVersion]:
    return session.scalars(
        select(ConsentVersion)
        .where(ConsentVersion.consent_id.in_(list(consent_ids)))
        .order_by(ConsentVersion.consent_id, ConsentVersion.version)
    ).all()


def latest_version(session: Session, consent_id: uuid.UUID) -> ConsentVersion | None:
    return session.scalars(
        select(ConsentVersion).where(ConsentVersion.consent_id == consent_id)
        .order_by(ConsentVersion.version.desc()).limit(1)
    ).first()


def scopes_of(session: Session, version_ids: Collection[uuid.UUID]) -> Sequence[ConsentScope]:
    return session.scalars(
        select(ConsentScope)
        .where(ConsentScope.consent_version_id.in_(list(version_ids)))
        .order_by(ConsentScope.data_category, ConsentScope.purpose, ConsentScope.id)
    ).all()


def events_of(session: Session, consent_ids: Collection[uuid.UUID]) -> Sequence[ConsentStatusEvent]:
    return session.scalars(
        select(ConsentStatusEvent)
        .where(ConsentStatusEvent.consent_id.in_(list(consent_ids)))
        .order_by(ConsentStatusEvent.effective_at, ConsentStatusEvent.id)
    ).all()


def names_of_people(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(select(Person.id, Person.given_name, Person.family_name).where(Person.id.in_(list(ids))))
    return {row.id: f"{row.given_name} {row.family_name}" for row in rows}


def names_of_organisations(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(list(ids))))
    return {row.id: row.name for row in rows}


def consent_request(session: Session, request_id: uuid.UUID) -> ConsentRequest | None:
    return session.get(ConsentRequest, request_id)


def requests_of_subject(session: Session, subject_id: uuid.UUID) -> Sequence[ConsentRequest]:
    return session.scalars(
        select(ConsentRequest).where(ConsentRequest.subject_id == subject_id)
        .order_by(ConsentRequest.created_at, ConsentRequest.id)
    ).all()


def request_for_replaced_consent(session: Session, consent_id: uuid.UUID, purpose: str) -> ConsentRequest | None:
    return session.scalars(select(ConsentRequest).where(
        ConsentRequest.replaces_consent_id == consent_id, ConsentRequest.purpose == purpose
    )).first()


def deciders_of(session: Session, request_id: uuid.UUID) -> Sequence[ConsentRequestDecider]:
    return session.scalars(
        select(ConsentRequestDecider).where(ConsentRequestDecider.request_id == request_id)
        .order_by(ConsentRequestDecider.id)
    ).all()


def answers_of(session: Session, request_id: uuid.UUID) -> Sequence[ConsentRequestAnswer]:
    return session.scalars(
        select(ConsentRequestAnswer).where(ConsentRequestAnswer.request_id == request_id)
        .order_by(ConsentRequestAnswer.answered_at, ConsentRequestAnswer.id)
    ).all()


def parental_versions_in_force(session: Session, born_on_or_before: date) -> Sequence[Row]:
    """Latest versions given on parental standing, not ended, of subjects born on or before a date."""
    later = aliased(ConsentVersion)
    ended = exists().where(_event.c.consent_version_id == ConsentVersion.id, _event.c.status != "active")
    newer = exists().where(later.consent_id == ConsentVersion.consent_id, later.version > ConsentVersion.version)
    return session.execute(
        select(ConsentVersion, Person.date_of_birth)
        .join(Consent, Consent.id == ConsentVersion.consent_id)
        .join(Person, Person.id == Consent.subject_id)
        .where(
            ConsentVersion.standing.in_([s.value for s in PARENTAL_STANDINGS]),
            Person.date_of_birth <= born_on_or_before,
            ~ended, ~newer,
        )
        .order_by(Consent.subject_id, ConsentVersion.consent_id)
    ).all()


def add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


def withdrawn_categories(session: Session, subject_id: uuid.UUID, recipient_id: uuid.UUID, purpose: str,
                         at: datetime) -> dict[str, datetime]:
    """Categories a withdrawn version once let ``recipient_id`` see for ``purpose``, each with its
    latest withdrawal up to ``at``: one indexed query over the scopes and status events."""
    latest = func.max(ConsentStatusEvent.effective_at)
    rows = session.execute(
        select(ConsentScope.data_category, latest)
        .join(ConsentStatusEvent, ConsentStatusEvent.consent_version_id == ConsentScope.consent_version_id)
        .where(ConsentScope.subject_id == subject_id, ConsentScope.purpose == purpose,
               ConsentScope.recipient_organisation_id == recipient_id,
               ConsentStatusEvent.status == "withdrawn", ConsentStatusEvent.effective_at <= at)
        .group_by(ConsentScope.data_category))
    return {category: when for category, when in rows}
