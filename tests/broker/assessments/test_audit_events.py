"""Every change to a case or a break-glass access is written to the audit log in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.models import AuditEntry
from broker.accounts.models import User
from broker.assessments import service
from broker.assessments.models import Assessment
from broker.assessments.schemas import (
    AdviceRequestCreate,
    AdviceRequestUpdate,
    AssessmentCreate,
    ClockExceptionCreate,
    StepCreate,
)
from broker.auth import Principal, Role
from broker.break_glass import service as break_glass
from broker.break_glass.schemas import BreakGlassCreate, BreakGlassReviewCreate
from broker.dev.demo import demo_id
from broker.platform.clock import council_today
from broker.platform.errors import Forbidden
from broker.platform.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")


def principal(session: Session, username: str) -> Principal:
    user = session.get(User, demo_id("user:" + username))
    assert user is not None
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                     role=Role(user.role), organisation_id=user.organisation_id)


@pytest.fixture
def events(session: Session):  # type: ignore[no-untyped-def]
    """The audit entries written by the test (after the demo seed), in order."""
    session.flush()
    first = (session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) or -1) + 1

    def written() -> list[AuditEntry]:
        session.flush()
        return list(session.scalars(select(AuditEntry).where(AuditEntry.seq >= first).order_by(AuditEntry.seq)))

    return written


def test_each_case_change_is_audited_with_actor_subject_and_case_reference(session: Session, events) -> None:  # type: ignore[no-untyped-def]
    caseworker = principal(session, "sen.caseworker")
    today = council_today()
    jordan = demo_id("person:jordan")
    case = service.open_assessment(session, caseworker, AssessmentCreate(subject_id=jordan, received_on=today - timedelta(days=20)), today)
    advice = service.add_advice_request(session, caseworker, case.id, AdviceRequestCreate(
        advice_type="psychological", organisation_id=demo_id("org:NCC-EPS")), today)
    service.update_advice_request(session, caseworker, case.id, advice.id,
                                  AdviceRequestUpdate(status="received", received_on=today), today)
    service.add_clock_exception(session, caseworker, case.id, ClockExceptionCreate(
        clock="final_plan", code="reg10_4_b", effect="excuse", starts_on=today, note="Family bereavement."), today)
    service.record_step(session, caseworker, case.id, StepCreate(step="decision_to_assess", completed_on=today,
                                                                 decision="not_assess"), today)
    recorded = events()
    assert [e.event_type for e in recorded] == [
        "assessment.opened", "advice_request.created", "advice_request.received", "clock_exception.recorded",
        "assessment.step.decision_to_assess", "assessment.closed",
    ]
    for event in recorded:
        assert event.actor_username == "sen.caseworker" and event.actor_role == "caseworker"
        assert event.subject_id == str(jordan) and event.case_reference == case.reference
        assert event.purpose == "EHC_NEEDS_ASSESSMENT" and event.outcome == "success"
        assert event.details_data["assessment_id"] == str(case.id)
    assert recorded[3].details_data["code"] == "reg10_4_b"


def test_a_refused_change_records_no_event(session: Session, events) -> None:  # type: ignore[no-untyped-def]
    social_worker = principal(session, "sc.caseworker")
    today = council_today()
    with pytest.raises(Forbidden):
        service.open_assessment(session, social_worker, AssessmentCreate(subject_id=demo_id("person:jordan"), received_on=today), today)
    assert events() == []


def test_break_glass_opening_and_review_are_audited(session: Session, settings: Settings, events) -> None:  # type: ignore[no-untyped-def]
    lead, reviewer = principal(session, "safeguarding.lead"), principal(session, "ig.auditor")
    access = break_glass.open_access(session, lead, BreakGlassCreate(
        subject_id=demo_id("person:leo"), reason_code="child_missing", reason_text="Missing since yesterday evening."), settings)
    break_glass.review_access(session, reviewer, access.id, BreakGlassReviewCreate(outcome="appropriate", family_may_be_told=True))
    opened, reviewed, *released = events()
    assert [(r.event_type, r.details_data["released_seq"]) for r in released] == [
        ("audit.released", opened.seq), ("audit.released", reviewed.seq)]
    assert (opened.event_type, opened.actor_username, opened.purpose) == ("break_glass.opened", "safeguarding.lead", "SAFEGUARDING")
    assert opened.reason == "child_missing: Missing since yesterday evening."
    assert "SAFEGUARDING" in opened.details_data["excluded_categories"]
    assert (reviewed.event_type, reviewed.actor_username) == ("break_glass.reviewed", "ig.auditor")
    assert reviewed.details_data == {"break_glass_id": str(access.id), "outcome": "appropriate", "released_to_family": True}


def test_an_access_withheld_from_the_family_is_not_released(session: Session, settings: Settings, events) -> None:  # type: ignore[no-untyped-def]
    lead, reviewer = principal(session, "safeguarding.lead"), principal(session, "ig.auditor")
    access = break_glass.open_access(session, lead, BreakGlassCreate(
        subject_id=demo_id("person:leo"), reason_code="section_47_enquiry", reason_text="Strategy meeting this morning."), settings)
    break_glass.review_access(session, reviewer, access.id, BreakGlassReviewCreate(
        outcome="appropriate", family_may_be_told=False, withheld_from_family_reason="An s.47 enquiry is open."))
    assert [e.event_type for e in events()] == ["break_glass.opened", "break_glass.reviewed"]


def test_a_case_read_under_break_glass_is_audited(session: Session, settings: Settings, events) -> None:  # type: ignore[no-untyped-def]
    lead = principal(session, "safeguarding.lead")
    access = break_glass.open_access(session, lead, BreakGlassCreate(
        subject_id=demo_id("person:amelia"), reason_code="child_missing", reason_text="Missing since yesterday evening."), settings)
    service.visible_assessment(session, lead, demo_id("assessment:amelia"))
    read = events()[-1]
    assert (read.event_type, read.actor_username, read.case_reference) == (
        "break_glass.case_read", "safeguarding.lead", session.get(Assessment, demo_id("assessment:amelia")).reference)
    assert read.details_data["break_glass_id"] == str(access.id)
