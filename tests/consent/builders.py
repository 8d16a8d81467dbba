"""Plain keyword builders for consent tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from consent.models import Organisation, Person, Relationship
from consent.schemas import ConsentCreate, ScopeRow
from consent.service import Actor, grant_consent

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def make_organisation(session: Session, *, code: str | None = None, name: str = "An organisation",
                      kind: str = "council", parent: Organisation | None = None) -> Organisation:
    org = Organisation(id=uuid.uuid4(), code=code or uuid.uuid4().hex[:10], name=name, kind=kind,
                       parent_id=parent.id if parent else None, contact_email="dpo@example.gov.uk")
    session.add(org)
    session.flush()
    return org


def make_child(session: Session, *, born: date = date(2016, 3, 14), given_name: str = "Amelia",
               family_name: str = "Clarke", address_confidential: bool = False) -> Person:
    child = Person(id=uuid.uuid4(), given_name=given_name, family_name=family_name, date_of_birth=born,
                   is_subject=True, address_confidential=address_confidential)
    session.add(child)
    session.flush()
    return child


def make_parent(session: Session, child: Person, *, given_name: str = "Sarah", pr: bool = True,
                court_restriction: str | None = None, representative_kind: str | None = None) -> Person:
    parent = Person(id=uuid.uuid4(), given_name=given_name, family_name=child.family_name)
    session.add(parent)
    session.flush()
    session.add(Relationship(
        id=uuid.uuid4(), subject_id=child.id, related_person_id=parent.id, relationship_type="parent",
        parental_responsibility=pr, court_restriction=court_restriction, representative_kind=representative_kind,
        created_at=NOW - timedelta(days=1000),
    ))
    session.flush()
    return parent


def family(person: Person) -> Actor:
    return Actor(uuid.uuid4(), f"{person.given_name.lower()}.family", person_id=person.id, is_family=True)


def staff(organisation: Organisation, name: str = "sam.caseworker") -> Actor:
    return Actor(uuid.uuid4(), name, organisation_id=organisation.id)


def scope(categories: list[str], *, recipient: Organisation, holder: Organisation,
          purpose: str = "EHC_NEEDS_ASSESSMENT", document_ref: str | None = None) -> list[ScopeRow]:
    return [ScopeRow(data_category=c, purpose=purpose, recipient_organisation_id=recipient.id,
                     holder_organisation_id=holder.id, document_ref=document_ref) for c in categories]


def make_consent(session: Session, *, child: Person, grantor: Person, recipient: Organisation,
                 holder: Organisation, categories: list[str] | None = None, at: datetime = NOW,
                 valid_until: datetime | None = None, purpose: str = "EHC_NEEDS_ASSESSMENT",
                 basis: str = "confidentiality", document_ref: str | None = None):  # type: ignore[no-untyped-def]
    return grant_consent(session, family(grantor), ConsentCreate(
        subject_id=child.id, basis=basis,
        scope=scope(categories or ["EP_ADVICE"], recipient=recipient, holder=holder, purpose=purpose,
                    document_ref=document_ref),
        valid_until=valid_until or at + timedelta(days=365),
    ), at)
