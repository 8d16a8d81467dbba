"""Children and young people (subjects) the caller may reach."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from broker.auth import Principal, Role, require_roles
from broker.auth.relationships import SubjectInScope
from broker.families.subjects import relationships_to, subjects_with_relationships
from broker.platform.db import SessionDep
from consent.models import Person, Relationship

router = APIRouter(prefix="/api/v1", tags=["subjects"])

Family = Annotated[Principal, Depends(require_roles(Role.family))]
FamilyOrStaff = Annotated[Principal, Depends(require_roles(Role.family, Role.caseworker, Role.safeguarding_lead))]


class YourRelationship(BaseModel):
    """How the signed-in family member stands to the subject (never anyone else's details)."""

    relationship_type: str
    parental_responsibility: bool


class SubjectRead(BaseModel):
    id: uuid.UUID
    given_name: str
    family_name: str
    date_of_birth: date | None
    your_relationships: list[YourRelationship] = []
    is_you: bool = False


def _read(subject: Person, principal: Principal, relationships: list[Relationship]) -> SubjectRead:
    return SubjectRead(
        id=subject.id, given_name=subject.given_name, family_name=subject.family_name,
        date_of_birth=subject.date_of_birth, is_you=subject.id == principal.person_id,
        your_relationships=[
            YourRelationship(relationship_type=r.relationship_type, parental_responsibility=r.parental_responsibility)
            for r in relationships
        ],
    )


@router.get("/subjects", response_model=list[SubjectRead])
def list_my_subjects(principal: Family, session: SessionDep) -> list[SubjectRead]:
    """The children and young people you may make decisions for (yourself, if you are a young
    person who now decides for yourself)."""
    return [_read(s, principal, relationships) for s, relationships in subjects_with_relationships(session, principal)]


@router.get("/subjects/{subject_id}", response_model=SubjectRead, responses={404: {"description": "No such subject you can see"}})
def read_subject(principal: FamilyOrStaff, subject: SubjectInScope, session: SessionDep) -> SubjectRead:
    """A child or young person's name and date of birth. Families see only the children they may
    decide for (any other id answers 404, as an unknown one does) and never the other parent's
    details; staff see the identity needed to match records, nothing more."""
    return _read(subject, principal, relationships_to(session, principal, subject))
