"""Realistic demo data for the embedded default: a small council, its services and four families.

Every id is derived from a fixed name, so seeding twice changes nothing and the same demo
accounts exist on every machine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.assessments.demo import seed_assessments
from broker.assessments.service import council_today
from broker.models import User
from consent.models import Organisation, Person, PersonIdentifier, Relationship
from consent.standing import subjects_decided_by

_NAMESPACE = uuid.UUID("6f1c2f0e-3a51-4d0e-9a57-2b1f0c9d8e11")


def demo_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, name)


@dataclass(frozen=True)
class DemoOrganisation:
    code: str
    name: str
    kind: str
    parent: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True)
class DemoPerson:
    key: str
    given_name: str
    family_name: str
    date_of_birth: date | None = None
    sex: str | None = None
    is_subject: bool = False
    identifiers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoRelationship:
    subject: str
    relationship_type: str
    person: str | None = None
    organisation: str | None = None
    parental_responsibility: bool = False
    pr_basis: str | None = None
    has_care: bool = False


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    organisation: str | None = None
    person: str | None = None


ORGANISATIONS = [
    DemoOrganisation("NCC", "Northshire County Council", "council", contact_email="dpo@northshire.example.gov.uk"),
    DemoOrganisation("NCC-SEN", "Northshire SEN team", "sen_team", "NCC", "sen@northshire.example.gov.uk"),
    DemoOrganisation("NCC-CSC", "Northshire children's social care", "social_care", "NCC"),
    DemoOrganisation("NCC-EPS", "Northshire educational psychology service", "ep_service", "NCC"),
    DemoOrganisation("NCC-IG", "Northshire information governance", "information_governance", "NCC"),
    DemoOrganisation("SCH-RIVERSIDE", "Riverside Primary School", "school"),
    DemoOrganisation("SCH-HILLTOP", "Hilltop Academy", "school"),
    DemoOrganisation("NHS-NCH", "Northshire Community Health NHS Trust", "health"),
]

PEOPLE = [
    DemoPerson("amelia", "Amelia", "Clarke", date(2016, 3, 14), "F", True,
               {"nhs_number": "9434765919", "upn": "X820200115001"}),
    DemoPerson("sarah", "Sarah", "Clarke"),
    DemoPerson("david", "David", "Clarke"),
    DemoPerson("oliver", "Oliver", "Bennett", date(2015, 11, 2), "M", True,
               {"nhs_number": "4010232137", "upn": "X820200116002"}),
    DemoPerson("priya", "Priya", "Bennett"),
    DemoPerson("jordan", "Jordan", "Hughes", date(2009, 5, 20), "M", True,
               {"nhs_number": "4857773457", "upn": "C820300117003"}),
    DemoPerson("karen", "Karen", "Hughes"),
    DemoPerson("leo", "Leo", "Walsh", date(2014, 7, 9), "M", True,
               {"nhs_number": "4505577104", "upn": "H820400118004"}),
    DemoPerson("emma", "Emma", "Walsh"),
    DemoPerson("janet", "Janet", "Price"),
]

RELATIONSHIPS = [
    # Separated parents who both hold parental responsibility; each may act alone.
    DemoRelationship("amelia", "mother", "sarah", parental_responsibility=True, pr_basis="birth_mother", has_care=True),
    DemoRelationship("amelia", "father", "david", parental_responsibility=True, pr_basis="registered_on_birth_certificate"),
    DemoRelationship("oliver", "mother", "priya", parental_responsibility=True, pr_basis="birth_mother", has_care=True),
    # A young person past compulsory school age: the decisions are now his.
    DemoRelationship("jordan", "mother", "karen", parental_responsibility=True, pr_basis="birth_mother", has_care=True),
    # A looked-after child: the council shares parental responsibility under a care order.
    DemoRelationship("leo", "mother", "emma", parental_responsibility=True, pr_basis="birth_mother"),
    DemoRelationship("leo", "local_authority", organisation="NCC", parental_responsibility=True, pr_basis="care_order"),
    DemoRelationship("leo", "foster_carer", "janet", has_care=True),
]

USERS = [
    DemoUser("sarah.clarke", "Sarah Clarke", "family", person="sarah"),
    DemoUser("david.clarke", "David Clarke", "family", person="david"),
    DemoUser("priya.bennett", "Priya Bennett", "family", person="priya"),
    DemoUser("jordan.hughes", "Jordan Hughes", "family", person="jordan"),
    DemoUser("karen.hughes", "Karen Hughes", "family", person="karen"),
    DemoUser("emma.walsh", "Emma Walsh", "family", person="emma"),
    DemoUser("sen.caseworker", "Sam Okafor (SEN caseworker)", "caseworker", "NCC-SEN"),
    DemoUser("sc.caseworker", "Ruth Mensah (social worker)", "caseworker", "NCC-CSC"),
    DemoUser("ep.psychologist", "Dr Hannah Lee (educational psychologist)", "caseworker", "NCC-EPS"),
    DemoUser("safeguarding.lead", "Mark Evans (safeguarding lead)", "safeguarding_lead", "NCC-CSC"),
    DemoUser("ig.auditor", "Grace Taylor (information governance)", "ig_auditor", "NCC-IG"),
    DemoUser("admin", "Council administrator", "admin", "NCC"),
]


def seed(session: Session) -> dict[str, int]:
    """Add whatever of the demo data is missing; return how many rows of each kind were added."""
    added = {"organisations": 0, "people": 0, "relationships": 0, "users": 0, "assessments": 0}
    for org in ORGANISATIONS:
        if session.get(Organisation, demo_id("org:" + org.code)) is None:
            session.add(Organisation(
                id=demo_id("org:" + org.code), code=org.code, name=org.name, kind=org.kind,
                parent_id=demo_id("org:" + org.parent) if org.parent else None,
                contact_email=org.contact_email,
            ))
            session.flush()
            added["organisations"] += 1
    for person in PEOPLE:
        person_id = demo_id("person:" + person.key)
        if session.get(Person, person_id) is None:
            session.add(Person(
                id=person_id, given_name=person.given_name, family_name=person.family_name,
                date_of_birth=person.date_of_birth, sex=person.sex, is_subject=person.is_subject,
            ))
            for scheme, value in person.identifiers.items():
                session.add(PersonIdentifier(
                    id=demo_id(f"identifier:{scheme}:{value}"), person_id=person_id, scheme=scheme, value=value
                ))
            added["people"] += 1
    session.flush()
    for rel in RELATIONSHIPS:
        rel_id = demo_id(f"relationship:{rel.subject}:{rel.person or rel.organisation}")
        if session.get(Relationship, rel_id) is None:
            session.add(Relationship(
                id=rel_id, subject_id=demo_id("person:" + rel.subject),
                related_person_id=demo_id("person:" + rel.person) if rel.person else None,
                organisation_id=demo_id("org:" + rel.organisation) if rel.organisation else None,
                relationship_type=rel.relationship_type,
                parental_responsibility=rel.parental_responsibility, pr_basis=rel.pr_basis,
                has_care=rel.has_care,
            ))
            added["relationships"] += 1
    for user in USERS:
        if session.get(User, demo_id("user:" + user.username)) is None:
            session.add(User(
                id=demo_id("user:" + user.username), username=user.username,
                display_name=user.display_name, role=user.role,
                organisation_id=demo_id("org:" + user.organisation) if user.organisation else None,
                person_id=demo_id("person:" + user.person) if user.person else None,
            ))
            added["users"] += 1
    session.flush()
    added["assessments"] = seed_assessments(session, council_today(), demo_id)
    return added


def list_users(session: Session, on: date) -> list[dict[str, object]]:
    """The demo accounts, with the subjects each family account may decide for on ``on``."""
    organisations = {o.id: o.code for o in session.scalars(select(Organisation))}
    result = []
    for user in session.scalars(select(User).order_by(User.username)):
        entry: dict[str, object] = {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "organisation": organisations.get(user.organisation_id) if user.organisation_id else None,
        }
        if user.role == "family":
            entry["children"] = (
                [str(s) for s in subjects_decided_by(session, user.person_id, on)] if user.person_id else []
            )
        result.append(entry)
    return result
