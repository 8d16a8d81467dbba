"""The children and young people a family member may decide for, each with how they stand to them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.auth.relationships import family_subjects
from broker.auth.repository import relationships_between
from consent.models import Person, Relationship


def relationships_to(session: Session, principal: Principal, subject: Person) -> list[Relationship]:
    """How the signed-in person stands to ``subject`` (none for staff, who have no person record)."""
    if principal.person_id is None:
        return []
    return relationships_between(session, subject.id, principal.person_id)


def subjects_with_relationships(session: Session, principal: Principal) -> list[tuple[Person, list[Relationship]]]:
    """The subjects the family member may decide for now, each with their own relationships to it."""
    return [(subject, relationships_to(session, principal, subject)) for subject in family_subjects(session, principal)]
