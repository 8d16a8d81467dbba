"""Granting, changing and withdrawing permissions: versions, status history, standing, bad input."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from consent.errors import Conflict, GrantorWithoutStanding, InvalidInput, NotFound, TierThreeCategory, UnknownCode
from consent.models import ConsentScope, ConsentStatusEvent, ConsentVersion
from consent.schemas import ConsentChange, ConsentCreate, ConsentWithdraw
from consent.service import change_consent, grant_consent, list_consents, read_consent, withdraw_consent
from tests.consent.builders import NOW, family, make_child, make_consent, make_parent, scope, staff


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


def test_a_grant_records_grantor_standing_method_notice_period_and_views(session: Session, world) -> None:
    granted = grant_consent(session, family(world.mother), ConsentCreate(
        subject_id=world.child.id, basis="reg6_4_reuse",
        scope=scope(["EP_ADVICE", "EDU_ADVICE"], recipient=world.sen, holder=world.eps),
        valid_until=NOW + timedelta(days=90), childs_views="I want my teacher to know.",
    ), NOW)
    version = granted.versions[0]
    assert (granted.status, granted.current_version) == ("active", 1)
    assert (version.grantor_person_id, version.grantor_name, version.standing) == (world.mother.id, "Sarah Clarke", "pr_holder")
    assert (version.method, version.basis, version.notice_version) == ("portal", "reg6_4_reuse", "permission-notice-2026-09")
    assert version.childs_views == "I want my teacher to know."
    assert {s.data_category for s in version.scope} == {"EP_ADVICE", "EDU_ADVICE"}
    assert [(e.version, e.status) for e in granted.status_history] == [(1, "active")]


def test_staff_record_a_verbal_permission_with_its_witness(session: Session, world) -> None:
    data = dict(subject_id=world.child.id, basis="confidentiality", grantor_person_id=world.father.id,
                scope=scope(["EP_ADVICE"], recipient=world.sen, holder=world.eps), method="verbal_with_witness")
    with pytest.raises(InvalidInput, match="witness"):
        grant_consent(session, staff(world.sen), ConsentCreate(**data), NOW)
    granted = grant_consent(session, staff(world.sen), ConsentCreate(**data, witness_name="Ann Patel"), NOW)
    assert granted.versions[0].witness_name == "Ann Patel"
    assert granted.versions[0].recorded_by_name == "sam.caseworker"
    with pytest.raises(InvalidInput, match="language"):
        grant_consent(session, staff(world.sen), ConsentCreate(**{**data, "method": "interpreter"}), NOW)


def test_every_version_stays_readable_and_nothing_is_overwritten(session: Session, world) -> None:
    granted = make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps,
                           categories=["EP_ADVICE", "HEALTH_ADVICE"])
    change_consent(session, family(world.father), granted.id, ConsentChange(valid_until=NOW + timedelta(days=10)),
                   NOW + timedelta(days=1))
    withdraw_consent(session, family(world.mother), granted.id, ConsentWithdraw(reason="no longer"), NOW + timedelta(days=2))
    read = read_consent(session, family(world.mother), granted.id, NOW + timedelta(days=3))
    assert [v.version for v in read.versions] == [1, 2]
    assert [v.grantor_name for v in read.versions] == ["Sarah Clarke", "David Clarke"]
    assert [v.status for v in read.versions] == ["superseded", "withdrawn"]
    assert read.status == "withdrawn"
    assert [(e.version, e.status) for e in read.status_history] == [
        (1, "active"), (1, "superseded"), (2, "active"), (2, "withdrawn")]
    assert read.versions[0].valid_until == NOW + timedelta(days=365)
    assert {s.data_category for s in read.versions[1].scope} == {"EP_ADVICE", "HEALTH_ADVICE"}


def test_the_database_refuses_to_overwrite_versions_scopes_or_history(session: Session, world) -> None:
    make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps)
    session.commit()
    for statement in ("UPDATE consent_versions SET basis = 'gdpr_consent'", "DELETE FROM consent_scopes",
                      "UPDATE consent_status_events SET status = 'withdrawn'"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()


def test_listing_and_reading_are_limited_to_the_familys_own_children(session: Session, world) -> None:
    granted = make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps)
    other_child = make_child(session, given_name="Oliver", family_name="Bennett")
    stranger = make_parent(session, other_child, given_name="Priya")
    assert [c.id for c in list_consents(session, family(world.father), world.child.id, NOW)] == [granted.id]
    with pytest.raises(NotFound):
        list_consents(session, family(stranger), world.child.id, NOW)
    with pytest.raises(NotFound):
        read_consent(session, family(stranger), granted.id, NOW)
    with pytest.raises(NotFound):
        withdraw_consent(session, family(stranger), granted.id, ConsentWithdraw(), NOW)


def _bad_grant(session: Session, world, actor=None, **overrides):  # type: ignore[no-untyped-def]
    data = dict(subject_id=world.child.id, basis="confidentiality",
                scope=scope(["EP_ADVICE"], recipient=world.sen, holder=world.eps), valid_until=NOW + timedelta(days=9))
    data.update(overrides)
    before = (_count(session, ConsentVersion), _count(session, ConsentScope))
    with pytest.raises(Exception) as raised:
        grant_consent(session, actor or family(world.mother), ConsentCreate(**data), NOW)
    assert (_count(session, ConsentVersion), _count(session, ConsentScope)) == before
    return raised.value


def test_bad_grants_are_refused_and_change_nothing(session: Session, world) -> None:
    assert isinstance(_bad_grant(session, world, subject_id=uuid.uuid4()), NotFound)
    assert isinstance(_bad_grant(session, world, scope=scope(["SAFEGUARDING"], recipient=world.sen, holder=world.eps)),
                      TierThreeCategory)
    assert isinstance(_bad_grant(session, world, scope=scope(["WHATEVER"], recipient=world.sen, holder=world.eps)),
                      UnknownCode)
    assert isinstance(_bad_grant(session, world, scope=scope(["EP_ADVICE"], recipient=world.sen, holder=world.eps,
                                                               purpose="MARKETING")), UnknownCode)
    assert isinstance(_bad_grant(session, world, scope=scope(["EP_ADVICE"], recipient=world.sen, holder=world.eps,
                                                               purpose="SAFEGUARDING")), InvalidInput)
    unknown = [{"data_category": "EP_ADVICE", "purpose": "EHC_NEEDS_ASSESSMENT",
                "recipient_organisation_id": uuid.uuid4(), "holder_organisation_id": world.eps.id}]
    assert "unknown organisation" in str(_bad_grant(session, world, scope=unknown))
    error = _bad_grant(session, world, valid_from=NOW + timedelta(days=5), valid_until=NOW + timedelta(days=4))
    assert isinstance(error, InvalidInput) and "ends before it starts" in str(error)
    no_pr = make_parent(session, world.child, given_name="Janet", pr=False)
    assert isinstance(_bad_grant(session, world, actor=staff(world.sen), grantor_person_id=no_pr.id, method="paper"),
                      GrantorWithoutStanding)
    restricted = make_parent(session, world.child, given_name="Gary", court_restriction="prohibited steps order")
    assert isinstance(_bad_grant(session, world, actor=staff(world.sen), grantor_person_id=restricted.id,
                                 method="paper"), GrantorWithoutStanding)
    assert isinstance(_bad_grant(session, world, actor=family(no_pr)), NotFound)


def test_withdrawing_a_withdrawn_consent_is_a_conflict_and_changes_nothing(session: Session, world) -> None:
    granted = make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps)
    withdraw_consent(session, family(world.mother), granted.id, ConsentWithdraw(), NOW + timedelta(hours=1))
    events = _count(session, ConsentStatusEvent)
    with pytest.raises(Conflict, match="already been withdrawn"):
        withdraw_consent(session, family(world.father), granted.id, ConsentWithdraw(), NOW + timedelta(hours=2))
    assert _count(session, ConsentStatusEvent) == events
    with pytest.raises(Conflict):
        change_consent(session, family(world.mother), granted.id, ConsentChange(note="again"), NOW + timedelta(hours=3))


def test_after_the_end_of_compulsory_school_age_only_the_young_person_grants(session: Session, world) -> None:
    young = make_child(session, born=date(2009, 5, 20), given_name="Jordan")
    mother = make_parent(session, young, given_name="Karen")
    data = dict(subject_id=young.id, basis="confidentiality", scope=scope(["EP_ADVICE"], recipient=world.sen, holder=world.eps))
    with pytest.raises(NotFound):
        grant_consent(session, family(mother), ConsentCreate(**data), NOW)
    granted = grant_consent(session, family(young), ConsentCreate(**data), NOW)
    assert granted.versions[0].standing == "young_person"


def test_a_representative_decides_for_a_young_person_who_lacks_capacity(session: Session, world) -> None:
    young = make_child(session, born=date(2008, 1, 5), given_name="Sam")
    deputy = make_parent(session, young, given_name="Dee", pr=False, representative_kind="deputy")
    data = dict(subject_id=young.id, basis="confidentiality", scope=scope(["EP_ADVICE"], recipient=world.sen, holder=world.eps))
    assert grant_consent(session, family(deputy), ConsentCreate(**data), NOW).versions[0].standing == "representative"
    with pytest.raises(NotFound):
        grant_consent(session, family(young), ConsentCreate(**data), NOW)


def test_a_competent_child_may_grant_with_evidence_of_competence(session: Session, world) -> None:
    child = make_child(session, born=date(2012, 9, 1), given_name="Maya")
    data = dict(subject_id=child.id, basis="confidentiality", grantor_person_id=child.id, method="paper",
                scope=scope(["FAMILY_VIEWS"], recipient=world.sen, holder=world.eps))
    with pytest.raises(GrantorWithoutStanding):
        grant_consent(session, staff(world.sen), ConsentCreate(**data), NOW)
    granted = grant_consent(session, staff(world.sen), ConsentCreate(**data, standing_evidence_ref="GILLICK-2026-04"), NOW)
    assert granted.versions[0].standing == "competent_child"
