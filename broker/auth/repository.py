"""Queries behind access decisions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.accounts.models import WebSession
from consent.models import Person, Relationship


def subject_by_id(session: Session, subject_id: uuid.UUID) -> Person | None:
    return session.scalars(select(Person).where(Person.id == subject_id, Person.is_subject.is_(True))).one_or_none()


def subjects_by_ids(session: Session, subject_ids: Sequence[uuid.UUID]) -> list[Person]:
    if not subject_ids:
        return []
    found = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(subject_ids)))}
    return [found[i] for i in subject_ids if i in found]


def relationships_between(session: Session, subject_id: uuid.UUID, person_id: uuid.UUID) -> list[Relationship]:
    return list(session.scalars(
        select(Relationship)
        .where(Relationship.subject_id == subject_id, Relationship.related_person_id == person_id)
        .order_by(Relationship.created_at, Relationship.id)
    ))


def web_session_by_hash(session: Session, sid_hash: str) -> WebSession | None:
    return session.scalars(select(WebSession).where(WebSession.sid_hash == sid_hash)).one_or_none()


def add_web_session(session: Session, web_session: WebSession) -> None:
    session.add(web_session)
    session.flush()
