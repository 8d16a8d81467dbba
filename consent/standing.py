"""Who may decide for a subject: parents with parental responsibility, then the young person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent.models import Person, Relationship
from consent.schooling import young_person_on
from consent.vocabulary import Standing


def is_young_person(subject: Person, on: date) -> bool:
    """True from the end of compulsory school age, when the young person makes the decisions."""
    return subject.date_of_birth is not None and on >= young_person_on(subject.date_of_birth)


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


@dataclass(frozen=True)
class Decider:
    """Someone who may decide for a subject: a person, or a council holding parental responsibility."""

    person_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    standing: Standing


def deciders_for(session: Session, subject: Person, on: date) -> list[Decider]:
    """Everyone who may decide for ``subject`` on ``on``, each of whom may act alone.

    Below the end of compulsory school age: every holder of parental responsibility without a
    court restriction (people, and a council under a care order). From then: the young person,
    and their recorded representatives (deputy, attorney), who act for them in the decisions they
    lack capacity to make (capacity is decision-specific, so the young person is always asked too).
    """
    relationships = session.scalars(
        select(Relationship).where(Relationship.subject_id == subject.id).order_by(Relationship.created_at, Relationship.id)
    ).all()
    if is_young_person(subject, on):
        return [Decider(subject.id, None, Standing.young_person)] + [
            Decider(r.related_person_id, None, Standing.representative)
            for r in relationships if r.representative_kind is not None and r.related_person_id is not None
        ]
    found = []
    for r in relationships:
        if not r.parental_responsibility or r.court_restriction:
            continue
        if r.related_person_id is not None:
            found.append(Decider(r.related_person_id, None, Standing.pr_holder))
        else:
            found.append(Decider(None, r.organisation_id, Standing.council_with_pr))
    return list(dict.fromkeys(found))


def standing_of(
    session: Session, subject: Person, on: date, *,
    person_id: uuid.UUID | None = None, organisation_id: uuid.UUID | None = None,
) -> Standing | None:
    """The standing of a person or organisation to decide for ``subject`` on ``on``, or None."""
    for decider in deciders_for(session, subject, on):
        if person_id is not None and decider.person_id == person_id:
            return decider.standing
        if organisation_id is not None and decider.organisation_id == organisation_id:
            return decider.standing
    return None
