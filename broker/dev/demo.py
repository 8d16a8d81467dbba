"""Realistic demo data for the embedded default: a small council, its services and four families.

Every id is derived from a fixed name, so seeding twice changes nothing and the same demo
accounts exist on every machine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.accounts.models import User
from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record
from broker.auth import Principal, Role
from broker.dev.demo_assessments import seed_assessments
from broker.permissions import consent_actions
from broker.platform.clock import council_today
from consent.models import Consent, Organisation, Person, PersonIdentifier, Relationship, utcnow
from consent.schemas import AnswerCreate, ConsentCreate, ConsentRequestCreate, ConsentWithdraw, ScopeRow
from consent.standing import subjects_decided_by
from consent.vocabulary import Basis

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
    urn: str | None = None


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
    # The schools of the simulated education system, by the URN it names them by.
    DemoOrganisation("SCH-RIVERSIDE", "Riverside Primary School", "school", urn="8202001"),
    DemoOrganisation("SCH-STANNES", "St Anne's CE Primary School", "school", urn="8202002"),
    DemoOrganisation("SCH-ASHCOMBE", "Ashcombe Infant and Junior School", "school", urn="8202003"),
    DemoOrganisation("SCH-HILLTOP", "Hilltop Academy", "school", urn="8203001"),
    DemoOrganisation("SCH-NORTHBY", "Northby High School", "school", urn="8203002"),
    DemoOrganisation("SCH-KINGSMERE", "Kingsmere Special School", "school", urn="8204001"),
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
    # A second SEN caseworker, so that a case can be handed over from one case officer to another.
    DemoUser("sen.caseworker2", "Nadia Hussain (SEN caseworker)", "caseworker", "NCC-SEN"),
    DemoUser("sc.caseworker", "Ruth Mensah (social worker)", "caseworker", "NCC-CSC"),
    DemoUser("ep.psychologist", "Dr Hannah Lee (educational psychologist)", "caseworker", "NCC-EPS"),
    DemoUser("safeguarding.lead", "Mark Evans (safeguarding lead)", "safeguarding_lead", "NCC-CSC"),
    DemoUser("ig.auditor", "Grace Taylor (information governance)", "ig_auditor", "NCC-IG"),
    DemoUser("admin", "Council administrator", "admin", "NCC"),
    # A machine client: the education system calling back (OAuth 2.0 client credentials).
    DemoUser("education.system", "Education system (Capita One)", "system", "NCC-SEN"),
]


DEMO_SEED = catalogue.Operator("demo-seed", "system")
SEEDED = "demo data loaded"


def seed(session: Session) -> dict[str, int]:
    """Add whatever of the demo data is missing; return how many rows of each kind were added."""
    added = {"organisations": 0, "people": 0, "relationships": 0, "users": 0, "assessments": 0}
    for org in ORGANISATIONS:
        known = session.get(Organisation, demo_id("org:" + org.code))
        if known is not None and known.urn is None and org.urn:
            known.urn = org.urn  # a demo database seeded before schools carried their URN
        if known is None:
            session.add(Organisation(
                id=demo_id("org:" + org.code), code=org.code, name=org.name, kind=org.kind,
                parent_id=demo_id("org:" + org.parent) if org.parent else None,
                contact_email=org.contact_email, urn=org.urn,
            ))
            session.flush()
            added["organisations"] += 1
            record(session, catalogue.organisation_added(DEMO_SEED, reason=SEEDED, organisation={
                "organisation_id": str(demo_id("org:" + org.code)), "code": org.code, "kind": org.kind}))
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
            record(session, catalogue.person_added(DEMO_SEED, subject_id=person_id if person.is_subject else None,
                                                   person_id=person_id, reason=SEEDED, details={}))
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
            record(session, catalogue.relationship_added(
                DEMO_SEED, subject_id=demo_id("person:" + rel.subject), reason=SEEDED, details={
                    "relationship_id": str(rel_id), "relationship_type": rel.relationship_type,
                    "parental_responsibility": rel.parental_responsibility, "pr_basis": rel.pr_basis,
                }))
    for user in USERS:
        if session.get(User, demo_id("user:" + user.username)) is None:
            session.add(User(
                id=demo_id("user:" + user.username), username=user.username,
                display_name=user.display_name, role=user.role,
                organisation_id=demo_id("org:" + user.organisation) if user.organisation else None,
                person_id=demo_id("person:" + user.person) if user.person else None,
            ))
            added["users"] += 1
            record(session, catalogue.user_added(DEMO_SEED, reason=SEEDED, details={
                "user_id": str(demo_id("user:" + user.username)), "username": user.username, "role": user.role,
            }))
    session.flush()
    added.update(seed_permissions(session))
    added["assessments"] = seed_assessments(session, council_today(), demo_id)
    return added


def _principal(session: Session, username: str) -> Principal:
    user = session.get(User, demo_id("user:" + username))
    assert user is not None
    return Principal(
        user_id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
        organisation_id=user.organisation_id, person_id=user.person_id,
    )


def _scope(categories: list[str], purpose: str, holders: list[str], recipient: str) -> list[ScopeRow]:
    return [
        ScopeRow(data_category=c, purpose=purpose, recipient_organisation_id=demo_id("org:" + recipient),
                 holder_organisation_id=demo_id("org:" + h))
        for c in categories for h in holders
    ]


def _ask(session: Session, child: str, purpose: str, categories: list[str], holders: list[str], why: str,
         if_declined: str, public_url: str, now: datetime) -> uuid.UUID:
    request = consent_actions.create_request(session, _principal(session, "sen.caseworker"), ConsentRequestCreate(
        subject_id=demo_id("person:" + child), purpose=purpose, categories=categories,
        holder_organisation_ids=[demo_id("org:" + h) for h in holders],
        recipient_organisation_ids=[demo_id("org:NCC-SEN")], why=why, valid_for_days=365,
        if_declined=if_declined, expires_at=now + timedelta(days=28),
    ), public_url, now)
    return request.id


def seed_permissions(session: Session, public_url: str = "http://127.0.0.1:8000") -> dict[str, int]:
    """Demo permissions and requests, made through the same audited services as real ones.

    Adds them only to a demo child who has none yet, so seeding again changes nothing.
    """
    now = utcnow()
    added = {"permissions": 0, "consent requests": 0}
    already = {c.subject_id for c in session.scalars(select(Consent))}

    def first_time(child: str) -> bool:
        return demo_id("person:" + child) not in already

    if first_time("amelia"):
        # Both parents asked; the mother agrees, the father declines: a conflict for the caseworker.
        consent_actions.grant(session, _principal(session, "sarah.clarke"), ConsentCreate(
            subject_id=demo_id("person:amelia"), basis=Basis.confidentiality,
            scope=_scope(["EP_ADVICE", "HEALTH_ADVICE"], "EHC_NEEDS_ASSESSMENT", ["NCC-EPS", "NHS-NCH"], "NCC-SEN"),
            valid_until=now + timedelta(days=365),
            childs_views="Amelia says she wants the people helping her to know that loud rooms upset her.",
        ), now)
        request_id = _ask(session, "amelia", "EHC_NEEDS_ASSESSMENT", ["SC_ASSESSMENT"], ["NCC-CSC"],
                          "The short breaks assessment from last year describes Amelia's needs at home.",
                          "The assessment goes ahead; we will ask social care for new advice instead.", public_url, now)
        consent_actions.answer(session, _principal(session, "sarah.clarke"), request_id, AnswerCreate(answer="approve_all"), now)
        consent_actions.answer(session, _principal(session, "david.clarke"), request_id,
                               AnswerCreate(answer="decline", note="I would like to talk about this first."), now)
        added["permissions"] += 2
        added["consent requests"] += 1
    if first_time("oliver"):
        consent_actions.grant(session, _principal(session, "priya.bennett"), ConsentCreate(
            subject_id=demo_id("person:oliver"), basis=Basis.reg6_4_reuse,
            scope=_scope(["EDU_ADVICE", "EDU_SEN_SUPPORT"], "EHC_NEEDS_ASSESSMENT", ["SCH-RIVERSIDE"], "NCC-SEN"),
            valid_until=now + timedelta(days=180),
        ), now)
        _ask(session, "oliver", "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], ["NCC-EPS"],
             "The educational psychologist saw Oliver in Year 3; we would like to reuse that report.",
             "The assessment goes ahead; the psychologist will see Oliver again.", public_url, now)
        added["permissions"] += 1
        added["consent requests"] += 1
    if first_time("jordan"):
        consent_actions.grant(session, _principal(session, "jordan.hughes"), ConsentCreate(
            subject_id=demo_id("person:jordan"), basis=Basis.confidentiality,
            scope=_scope(["PFA_ADVICE", "SC_ASSESSMENT"], "TRANSITION_ADULT", ["NCC-CSC"], "NCC-SEN"),
            valid_until=now + timedelta(days=365),
        ), now)
        added["permissions"] += 1
    if first_time("leo"):
        # Given a week ago, then withdrawn: the history stays readable.
        given = consent_actions.grant(session, _principal(session, "emma.walsh"), ConsentCreate(
            subject_id=demo_id("person:leo"), basis=Basis.confidentiality,
            scope=_scope(["EDU_ATTENDANCE"], "SOCIAL_CARE_ELIGIBILITY", ["SCH-HILLTOP"], "NCC-CSC"),
            valid_until=now + timedelta(days=365),
        ), now - timedelta(days=7))
        consent_actions.withdraw(session, _principal(session, "emma.walsh"), given.id,
                                 ConsentWithdraw(reason="I would rather be asked each time."), now)
        added["permissions"] += 1
    return added


class DemoAccount(TypedDict):
    """A demo account as ``broker demo users`` lists it."""

    username: str
    display_name: str
    role: str
    organisation: str | None
    children: list[str]


def list_users(session: Session, on: date) -> list[DemoAccount]:
    """The demo accounts people sign in with, and the subjects each family account may decide for on ``on``.

    Machine clients (role ``system``) are not people's logins: ``broker dev-client`` gives theirs.
    """
    organisations = {o.id: o.code for o in session.scalars(select(Organisation))}
    result: list[DemoAccount] = []
    for user in session.scalars(select(User).where(User.role != "system").order_by(User.username)):
        children = (
            [str(s) for s in subjects_decided_by(session, user.person_id, on)]
            if user.role == "family" and user.person_id else []
        )
        result.append({
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "organisation": organisations.get(user.organisation_id) if user.organisation_id else None,
            "children": children,
        })
    return result
