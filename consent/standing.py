"""Who may decide for a subject: parents with parental responsibility, then the young person."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent.models import Person, Relationship
from consent.schooling import end_of_compulsory_school_age


def is_young_person(subject: Person, on: date) -> bool:
    """True from the end of compulsory school age, when the young person makes the decisions."""
    return subject.date_of_birth is not None and on >= end_of_compulsory_school_age(subject.date_of_birth)


def subjects_decided_by(session: Session, person_id: uuid.UUID, on: date) -> list[uuid.UUID]:
    """Ids of the subjects ``person_id`` may decide for on the date ``on``, in a stable order.

    A parent decides while the child is below the end of compulsory school age, unless a court
    restriction removes that; afterwards the young person decides, or their representative.
    """
    found: list[uuid.UUID] = []
    me = session.get(Person, person_id)
    if me is not None and me.is_subject and is_young_person(me, on):
        found.append(me.id)
    rows = session.execute(
        select(Relationship, Person)
        .join(Person, Person.id == Relationship.subject_id)
        .where(Relationship.related_person_id == person_id)
        .order_by(Person.family_name, Person.given_name, Person.id)
    )
    for relationship, subject in rows:
        if is_young_person(subject, on):
            if relationship.representative_kind is not None:
                found.append(subject.id)
        elif relationship.parental_responsibility and not relationship.court_restriction:
            found.append(subject.id)
    return list(dict.fromkeys(found))
