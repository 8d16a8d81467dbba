"""Queries for finding children: by name and date of birth, or by an identifier."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent.models import Person, PersonIdentifier

SEARCH_LIMIT = 50


def subjects_born_on(session: Session, born: date, name_words: Sequence[str]) -> list[Person]:
    """Children born on ``born`` whose given or family name contains every word (any case)."""
    query = select(Person).where(Person.is_subject.is_(True), Person.date_of_birth == born)
    for word in name_words:
        pattern = f"%{word.lower()}%"
        query = query.where(
            (func.lower(Person.given_name).like(pattern, escape="\\"))
            | (func.lower(Person.family_name).like(pattern, escape="\\"))
        )
    return list(session.scalars(query.order_by(Person.family_name, Person.given_name).limit(SEARCH_LIMIT)))


def subjects_with_identifier(session: Session, schemes: Sequence[str], value: str) -> list[Person]:
    """Children holding ``value`` under one of ``schemes``."""
    query = (
        select(Person)
        .join(PersonIdentifier, PersonIdentifier.person_id == Person.id)
        .where(Person.is_subject.is_(True), PersonIdentifier.scheme.in_(schemes), PersonIdentifier.value == value)
        .distinct()
    )
    return list(session.scalars(query.limit(SEARCH_LIMIT)))


def identifiers_of(session: Session, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    """Each person's identifiers, by scheme."""
    found: dict[uuid.UUID, dict[str, str]] = {pid: {} for pid in person_ids}
    if person_ids:
        rows = session.execute(
            select(PersonIdentifier.person_id, PersonIdentifier.scheme, PersonIdentifier.value)
            .where(PersonIdentifier.person_id.in_(person_ids))
        )
        for person_id, scheme, value in rows:
            found[person_id][scheme] = value
    return found
