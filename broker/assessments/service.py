"""The rules of EHC needs assessment cases: who may open and see them, advice requests, clocks.

Services flush and never commit: the request's unit of work commits once, with the audit events
recorded here in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from audit.events import AuditEvent
from broker.accounts.models import User
from broker.assessments import repository
from broker.assessments.clocks import (
    CLOCK_RULES,
    EXCEPTION_CODES,
    ClockKind,
    ClockState,
    ClockStatus,
    ExceptionEffect,
    RecordedException,
    compute_clock,
    exception_applies,
    school_year_group,
)
from broker.assessments.models import AdviceRequest, Assessment, ClockException, ReuseAgreement
from broker.assessments.schemas import (
    AdviceRequestCreate,
    AdviceRequestRead,
    AdviceRequestUpdate,
    AdviceStatus,
    AdviceType,
    AssessmentCreate,
    AssessmentRead,
    AssessmentSummary,
    CaseOfficerChange,
    ClockExceptionCreate,
    ClockExceptionEnd,
    ClockExceptionRead,
    ClockRead,
    ConflictingAnswerRead,
    DeciderAnswerRead,
    Decision,
    MissingPermissionRead,
    ReuseAgreementRead,
    Step,
    StepCreate,
)
from broker.audit_trail import auditing, catalogue
from broker.auth import Principal, Role
from broker.break_glass import repository as break_glass_repository
from broker.gathering.repository import hold_subject
from broker.permissions import release_policy
from broker.permissions.consent_actions import actor_of
from broker.permissions.purposes import Purpose, purpose_permitted
from broker.permissions.release_policy import ADVICE_CATEGORY
from broker.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from consent import service as consent_service
from consent.models import Organisation, utcnow

# A case is opened for the statutory needs assessment; other purposes have their own paths.
CASE_PURPOSES = frozenset({Purpose.EHC_NEEDS_ASSESSMENT})
# The kinds of organisation whose staff open cases (see may_open_cases).
CASE_OPENING_KINDS = frozenset({"sen_team"})

ADVICE_REGULATION: dict[AdviceType, str] = {
    AdviceType.family_views: "reg 6(1)(a)",
    AdviceType.education: "reg 6(1)(b)",
    AdviceType.health: "reg 6(1)(c)",
    AdviceType.psychological: "reg 6(1)(d)",
    AdviceType.social_care: "reg 6(1)(e)",
    AdviceType.preparing_for_adulthood: "reg 6(1)(f)",
    AdviceType.other: "reg 6(1)(g)-(h)",
}

# Who gives each kind of advice (by organisation kind); None means any organisation may.
ADVICE_GIVERS: dict[AdviceType, frozenset[str] | None] = {
    AdviceType.education: frozenset({"school"}),
    AdviceType.health: frozenset({"health"}),
    AdviceType.psychological: frozenset({"ep_service"}),
    AdviceType.social_care: frozenset({"social_care"}),
    AdviceType.preparing_for_adulthood: None,
    AdviceType.other: None,
}

PREPARING_FOR_ADULTHOOD_FROM_YEAR = 9
NOT_FOUND = "No assessment with this id."

_Part = TypeVar("_Part", AdviceRequest, ClockException)


def _case(assessment: Assessment) -> dict[str, Any]:
    """The case an assessment event is about, as the catalogue's builders take it."""
    return {"subject_id": assessment.subject_id, "purpose": assessment.purpose,
            "case_reference": assessment.reference, "assessment_id": assessment.id}


def _audit(session: Session, principal: Principal, build: Callable[..., AuditEvent], assessment: Assessment,
           **details: object) -> None:
    auditing.record(session, build(principal, **_case(assessment), details=details))


def _not_future(value: date, today: date, what: str) -> None:
    if value > today:
        raise InvalidInput(f"{what} cannot be in the future.")


def _found_in_assessment(found: _Part | None, what: str) -> _Part:
    """A record the path names within its assessment, or not found (``what`` names its kind)."""
    if found is None:
        raise NotFound(f"No {what} with this id in this assessment.")
    return found


# Opening and finding cases

def _caseworker_of(session: Session, organisation_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """The user if they may be a case officer of ``organisation_id``'s cases: a caseworker of it."""
    user = repository.get_user(session, user_id)
    if user is None or user.organisation_id != organisation_id or user.role != Role.caseworker.value:
        raise InvalidInput("The case officer must be a caseworker of the organisation that runs the case.")
    return user


def open_assessment(session: Session, principal: Principal, data: AssessmentCreate, today: date) -> Assessment:
    """Open a case for a child on behalf of the caller's organisation, with a new case reference."""
    organisation = repository.get_organisation(session, principal.organisation_id) if principal.organisation_id else None
    if not purpose_permitted(organisation.kind if organisation else None, data.purpose):
        raise Forbidden(f"Your organisation may not act for the purpose {data.purpose.value}.")
    if not may_open_cases(organisation.kind if organisation else None):
        raise Forbidden("Only the council's SEN team opens EHC needs assessment cases.")
    if data.purpose not in CASE_PURPOSES:
        raise InvalidInput("An assessment case is opened for the purpose EHC_NEEDS_ASSESSMENT.")
    if repository.get_subject(session, data.subject_id) is None:
        raise NotFound("No child or young person with this id.")
    # Held like a withdrawal or a gather: two caseworkers opening a case for the same child at once
    # take turns, and the second finds the first's case.
    hold_subject(session, data.subject_id)
    _refuse_second_case(session, data.subject_id, data.purpose.value)
    _not_future(data.received_on, today, "The date the request was received")
    assert organisation is not None
    officer = _caseworker_of(session, organisation.id, data.case_officer_user_id or principal.user_id).id
    number = repository.next_case_number(session, data.received_on.year)
    assessment = Assessment(
        reference=f"EHC-{data.received_on.year}-{number:06d}", subject_id=data.subject_id,
        organisation_id=organisation.id, opened_by_user_id=principal.user_id, case_officer_user_id=officer,
        purpose=data.purpose.value, received_on=data.received_on, status="open",
    )
    repository.add(session, assessment)
    _audit(session, principal, catalogue.assessment_opened, assessment, received_on=data.received_on.isoformat(),
           case_officer_user_id=str(officer) if officer != principal.user_id else None)
    return assessment


def may_open_cases(organisation_kind: str | None) -> bool:
    """Whether staff of an organisation of this kind open EHC needs assessment cases: the council's
    SEN team only (Children and Families Act 2014 s.36: the local authority assesses); advice givers
    and social care take part in a case but do not open one."""
    return organisation_kind in CASE_OPENING_KINDS


def _refuse_second_case(session: Session, subject_id: uuid.UUID, purpose: str) -> None:
    """409 naming the open case when the child already has one for ``purpose``."""
    existing = repository.open_case_of(session, subject_id, purpose)
    if existing is not None:
        raise Conflict(f"This child already has an open case for this purpose: {existing.reference}. "
                       "Work on that case, or close it before opening another.",
                       extra={"assessment_id": str(existing.id), "reference": existing.reference})


def open_case_for(session: Session, principal: Principal, subject_id: uuid.UUID, purpose: str) -> Assessment | None:
    """Before the open form: 403 unless the caller's organisation opens cases; else the child's open
    case for ``purpose`` (run by the caller's organisation), if there is one, so the form can send
    the caseworker to it instead of opening a second."""
    organisation = repository.get_organisation(session, principal.organisation_id) if principal.organisation_id else None
    if not may_open_cases(organisation.kind if organisation else None):
        raise Forbidden("Only the council's SEN team opens EHC needs assessment cases.")
    existing = repository.open_case_of(session, subject_id, purpose)
    if existing is None or existing.organisation_id != principal.organisation_id:
        return None
    return existing


def hand_over(session: Session, principal: Principal, assessment_id: uuid.UUID, data: CaseOfficerChange) -> Assessment:
    """Make another caseworker of the case's organisation its case officer, with the reason why."""
    assessment = _open_for_change(session, principal, assessment_id)
    officer = _caseworker_of(session, assessment.organisation_id, data.user_id)
    if officer.id == assessment.case_officer_user_id:
        raise Conflict(f"{officer.display_name} is already the case officer of this case.")
    previous = assessment.case_officer_user_id
    assessment.case_officer_user_id = officer.id
    session.flush()
    _audit(session, principal, catalogue.case_officer_changed, assessment,
           from_user_id=str(previous), to_user_id=str(officer.id), reason=data.reason)
    return assessment


def _visible_subjects(session: Session, principal: Principal, now: datetime) -> list[uuid.UUID]:
    if principal.role is not Role.safeguarding_lead:
        return []
    return break_glass_repository.subjects_with_active_access(session, principal.user_id, now)


def visible_assessment(
    session: Session, principal: Principal, assessment_id: uuid.UUID, *, for_update: bool = False
) -> Assessment:
    """The case if the caller may see it: their organisation runs it, or (for a safeguarding lead)
    they hold a break-glass access to the child. Any other case is answered as not found."""
    assessment = repository.get_assessment(session, assessment_id, for_update=for_update)
    if assessment is None:
        raise NotFound(NOT_FOUND)
    if principal.organisation_id is not None and assessment.organisation_id == principal.organisation_id:
        return assessment
    if principal.role is Role.safeguarding_lead:
        access = break_glass_repository.active_access(session, principal.user_id, assessment.subject_id, utcnow())
        if access is not None:
            _audit(session, principal, catalogue.break_glass_case_read, assessment, break_glass_id=str(access.id))
            return assessment
    raise NotFound(NOT_FOUND)


def _open_for_change(session: Session, principal: Principal, assessment_id: uuid.UUID) -> Assessment:
    assessment = visible_assessment(session, principal, assessment_id, for_update=True)
    if assessment.organisation_id != principal.organisation_id:
        raise Forbidden("Break-glass access lets you read this case, not change it.")
    if assessment.status != "open":
        raise Conflict("This assessment is closed; it can no longer be changed.")
    return assessment


# Advice requests

def add_advice_request(
    session: Session, principal: Principal, assessment_id: uuid.UUID, data: AdviceRequestCreate, today: date
) -> AdviceRequest:
    """Record that advice of one reg 6 type was asked of an organisation (or of the family)."""
    assessment = _open_for_change(session, principal, assessment_id)
    requested_on = data.requested_on or today
    _not_future(requested_on, today, "The date the advice was requested")
    if requested_on < assessment.received_on:
        raise InvalidInput("Advice cannot be requested before the request for assessment was received.")
    if data.advice_type is AdviceType.family_views:
        if data.organisation_id is not None:
            raise InvalidInput("The family's views are asked of the family: leave organisation_id empty.")
    else:
        if data.organisation_id is None:
            raise InvalidInput("Say which organisation is asked for this advice (organisation_id).")
        organisation = repository.get_organisation(session, data.organisation_id)
        if organisation is None:
            raise InvalidInput("No organisation with this organisation_id.")
        givers = ADVICE_GIVERS[data.advice_type]
        if givers is not None and organisation.kind not in givers:
            raise InvalidInput(
                f"{data.advice_type.value} advice is given by: {', '.join(sorted(givers))}; "
                f"{organisation.name} is not one."
            )
    if data.advice_type is AdviceType.preparing_for_adulthood:
        subject = repository.get_subject(session, assessment.subject_id)
        if subject and subject.date_of_birth and (
            school_year_group(subject.date_of_birth, requested_on) < PREPARING_FOR_ADULTHOOD_FROM_YEAR
        ):
            raise InvalidInput("Advice on preparing for adulthood is sought from year 9; this child is younger.")
    if repository.open_advice_request_exists(session, assessment.id, data.advice_type.value, data.organisation_id):
        raise Conflict("This advice has already been requested from this organisation and is still awaited.")
    advice = AdviceRequest(
        assessment_id=assessment.id, advice_type=data.advice_type.value, organisation_id=data.organisation_id,
        requested_on=requested_on, status="requested", note=data.note, created_by_user_id=principal.user_id,
    )
    repository.add(session, advice)
    _audit(session, principal, catalogue.advice_requested, assessment, advice_request_id=str(advice.id),
           advice_type=advice.advice_type, organisation_id=str(advice.organisation_id) if advice.organisation_id else None)
    return advice


def update_advice_request(
    session: Session, principal: Principal, assessment_id: uuid.UUID, advice_request_id: uuid.UUID,
    data: AdviceRequestUpdate, today: date,
) -> AdviceRequest:
    """Record that advice was received, declined, or replaced by existing advice under reg 6(4)."""
    assessment = _open_for_change(session, principal, assessment_id)
    advice = _found_in_assessment(repository.get_advice_request(session, assessment.id, advice_request_id), "advice request")
    if advice.status != "requested":
        raise Conflict(f"This advice request is already {advice.status}.")
    if data.status != "reused" and data.reuse_agreement is not None:
        raise InvalidInput("A reuse agreement is recorded only with the status reused.")
    if data.status == "received":
        received_on = data.received_on or today
        _not_future(received_on, today, "The date the advice was received")
        if received_on < advice.requested_on:
            raise InvalidInput("Advice cannot be received before it was requested.")
        advice.received_on = received_on
    elif data.status == "declined":
        if not data.declined_reason:
            raise InvalidInput("Say why the advice was declined (declined_reason).")
        advice.declined_reason = data.declined_reason
    else:
        _record_reuse(session, principal, assessment, advice, data, today)
    advice.status = data.status
    if data.note:
        advice.note = data.note
    advice.updated_at = utcnow()
    session.flush()
    auditing.record(session, catalogue.advice_changed(
        principal, status=data.status, **_case(assessment), advice_request_id=advice.id, advice_type=advice.advice_type))
    return advice


def _record_reuse(
    session: Session, principal: Principal, assessment: Assessment, advice: AdviceRequest,
    data: AdviceRequestUpdate, today: date,
) -> None:
    agreement = data.reuse_agreement
    if agreement is None:
        raise InvalidInput("Reuse under reg 6(4) needs the agreement of the family, the author and the council (reuse_agreement).")
    council_agreed_on = agreement.council_agreed_on or today
    for value, what in ((agreement.family_agreed_on, "The family's agreement"),
                        (agreement.author_agreed_on, "The author's agreement"),
                        (council_agreed_on, "The council's agreement")):
        _not_future(value, today, what)
    if not repository.may_agree_for(session, agreement.family_agreed_by_person_id, assessment.subject_id):
        raise InvalidInput("The person who agreed for the family must be the young person or a parent of the child.")
    if agreement.author_organisation_id and repository.get_organisation(session, agreement.author_organisation_id) is None:
        raise InvalidInput("No organisation with this author_organisation_id.")
    repository.add(session, ReuseAgreement(
        advice_request_id=advice.id, existing_advice=agreement.existing_advice,
        family_agreed_by_person_id=agreement.family_agreed_by_person_id, family_agreed_on=agreement.family_agreed_on,
        author_name=agreement.author_name, author_organisation_id=agreement.author_organisation_id,
        author_agreed_on=agreement.author_agreed_on, council_agreed_by_user_id=principal.user_id,
        council_agreed_on=council_agreed_on,
    ))


# Clock exceptions and steps

def _clock_start(assessment: Assessment, clock: ClockKind, advice: AdviceRequest | None) -> date:
    return advice.requested_on if advice is not None else assessment.received_on


def add_clock_exception(
    session: Session, principal: Principal, assessment_id: uuid.UUID, data: ClockExceptionCreate, today: date
) -> ClockException:
    """Record a reg 5(4), 8(2) or 10(4) exception that pauses or excuses one clock of the case."""
    assessment = _open_for_change(session, principal, assessment_id)
    advice = None
    if data.clock is ClockKind.advice:
        if data.advice_request_id is None:
            raise InvalidInput("An exception to an advice clock names the advice request (advice_request_id).")
        advice = repository.get_advice_request(session, assessment.id, data.advice_request_id)
        if advice is None:
            raise InvalidInput("No advice request with this advice_request_id in this assessment.")
    elif data.advice_request_id is not None:
        raise InvalidInput("Only an advice clock takes an advice_request_id.")
    if data.code not in EXCEPTION_CODES:
        raise InvalidInput(f"Unknown exception code {data.code!r}.")
    if not exception_applies(data.code, data.clock):
        raise InvalidInput(
            f"{EXCEPTION_CODES[data.code].regulation} does not apply to this clock; "
            f"use an exception under {CLOCK_RULES[data.clock].exception_regulation}."
        )
    _not_future(data.starts_on, today, "The start of the exception")
    if data.starts_on < _clock_start(assessment, data.clock, advice):
        raise InvalidInput("The exception cannot start before the clock did.")
    if data.ends_on is not None:
        if data.effect is ExceptionEffect.excuse:
            raise InvalidInput("An excuse has no end date; only a pause ends.")
        if data.ends_on < data.starts_on:
            raise InvalidInput("A pause cannot end before it starts.")
    exception = ClockException(
        assessment_id=assessment.id, clock=data.clock.value, advice_request_id=data.advice_request_id,
        code=data.code, effect=data.effect.value, starts_on=data.starts_on, ends_on=data.ends_on, note=data.note,
        recorded_by_user_id=principal.user_id,
    )
    repository.add(session, exception)
    _audit(session, principal, catalogue.clock_exception_recorded, assessment, clock_exception_id=str(exception.id),
           clock=exception.clock, code=exception.code, effect=exception.effect,
           advice_request_id=str(advice.id) if advice else None)
    return exception


def end_clock_pause(
    session: Session, principal: Principal, assessment_id: uuid.UUID, exception_id: uuid.UUID,
    data: ClockExceptionEnd, today: date,
) -> ClockException:
    """Record the day a pause ended; the clock runs again from then."""
    assessment = _open_for_change(session, principal, assessment_id)
    exception = _found_in_assessment(repository.get_clock_exception(session, assessment.id, exception_id), "clock exception")
    if exception.effect != ExceptionEffect.pause.value or exception.ends_on is not None:
        raise Conflict("Only a pause that is still running can be ended.")
    _not_future(data.ends_on, today, "The end of the pause")
    if data.ends_on < exception.starts_on:
        raise InvalidInput("A pause cannot end before it starts.")
    exception.ends_on = data.ends_on
    session.flush()
    _audit(session, principal, catalogue.clock_exception_ended, assessment, clock_exception_id=str(exception.id),
           code=exception.code)
    return exception


# The family's time to comment on the draft plan (reg 13(1)): at least 15 days.
COMMENT_DAYS = 15


def comment_period() -> timedelta:
    """The family's time to comment on a draft plan (reg 13(1))."""
    return timedelta(days=COMMENT_DAYS)


def comments_until(assessment: Assessment) -> date | None:
    """The last day of the family's 15 days on the draft plan, if a draft has been sent."""
    return assessment.draft_plan_on + timedelta(days=COMMENT_DAYS) if assessment.draft_plan_on else None


def _plan_step(assessment: Assessment, data: StepCreate) -> bool:
    """Record a draft plan, a final plan or a notice of no plan after a decision to assess; True
    when the step ends the case. A final plan follows a draft and the family's 15 days (reg 13);
    a notice that no plan will be issued cannot follow a draft (the council has decided to issue)."""
    if data.step is Step.draft_plan:
        if assessment.draft_plan_on is not None:
            raise Conflict("The draft plan is already recorded.")
        assessment.draft_plan_on = data.completed_on
        return False
    if data.step is Step.final_plan:
        until = comments_until(assessment)
        if until is None:
            raise Conflict("Record the draft plan first: the family see the draft before the final plan "
                           "(Children and Families Act 2014 s.38).")
        if data.completed_on <= until:
            raise InvalidInput(f"The family have until {until:%-d %B %Y} to comment on the draft plan "
                               "(reg 13(1)): the final plan can be issued from the day after.")
        assessment.final_plan_on = data.completed_on
        return True
    if assessment.draft_plan_on is not None:
        raise Conflict("A draft plan has been sent: the council has decided to issue a plan.")
    assessment.no_plan_notice_on = data.completed_on
    return True


@dataclass(frozen=True)
class StepChoice:
    """A statutory step a caseworker may record on the case now, as the steps page offers it."""

    value: str
    step: Step
    decision: Decision | None
    label: str
    hint: str
    ends_case: bool
    # What the family must be told of their right to appeal, where the step is appealable.
    appeal: str | None = None


APPEAL_NOT_TO_ASSESS = (
    "The family can appeal to the First-tier Tribunal (Special Educational Needs and Disability) against the "
    "decision not to carry out an EHC needs assessment (Children and Families Act 2014 s.51(2)(a)). Before "
    "appealing they must contact a mediation adviser, and may ask for mediation (s.55). The notice tells them "
    "so, with the time limit for appealing and where to get information, advice and support.")
APPEAL_NO_PLAN = (
    "The family can appeal to the First-tier Tribunal (Special Educational Needs and Disability) against the "
    "decision not to issue an EHC plan (Children and Families Act 2014 s.51(2)(b)). Before appealing they must "
    "contact a mediation adviser, and may ask for mediation (s.55). The notice tells them so, with the time limit "
    "for appealing and where to get information, advice and support.")


def step_choices(assessment: Assessment) -> list[StepChoice]:
    """The statutory steps that may be recorded on the case now, in the order they happen."""
    if assessment.status != "open":
        return []
    if assessment.decision is None:
        return [
            StepChoice("assess", Step.decision_to_assess, Decision.assess, "Decided to assess",
                       "Stops the 6-week clock for the decision (regs 4-5). Advice is then sought (reg 6).", False),
            StepChoice("not_assess", Step.decision_to_assess, Decision.not_assess, "Decided not to assess",
                       "Stops the 6-week clock and ends the case.", True, APPEAL_NOT_TO_ASSESS),
        ]
    if assessment.draft_plan_on is None:
        return [
            StepChoice("draft_plan", Step.draft_plan, None, "Draft plan sent to the family",
                       f"The family then have at least {COMMENT_DAYS} days to comment and to ask for a school "
                       "or other setting to be named (reg 13(1)).", False),
            StepChoice("notice_of_no_plan", Step.notice_of_no_plan, None, "Notice that no plan will be issued",
                       "Stops the 16-week clock (reg 10) and ends the case.", True, APPEAL_NO_PLAN),
        ]
    return [StepChoice("final_plan", Step.final_plan, None, "Final plan issued",
                       "Stops the 20-week clock (reg 13(2)) and ends the case.", True)]


def record_step(
    session: Session, principal: Principal, assessment_id: uuid.UUID, data: StepCreate, today: date
) -> Assessment:
    """Record a statutory step: the decision whether to assess, the draft plan sent to the family,
    the final plan or the notice that no plan will be issued. Each stops its clock; a decision not
    to assess, a notice of no plan or the final plan ends the case."""
    assessment = _open_for_change(session, principal, assessment_id)
    _not_future(data.completed_on, today, "The date of the step")
    if data.completed_on < assessment.received_on:
        raise InvalidInput("A step cannot be completed before the request was received.")
    if data.step is Step.decision_to_assess:
        if data.decision is None:
            raise InvalidInput("Say whether the council decided to assess (decision).")
        if assessment.decision is not None:
            raise Conflict("The decision whether to assess is already recorded.")
        assessment.decision, assessment.decision_on = data.decision.value, data.completed_on
        closes = data.decision is Decision.not_assess
    else:
        if data.decision is not None:
            raise InvalidInput("Only the decision to assess takes a decision.")
        if assessment.decision != Decision.assess.value:
            raise Conflict("Record the decision to assess first.")
        if assessment.decision_on and data.completed_on < assessment.decision_on:
            raise InvalidInput("This step cannot come before the decision to assess.")
        closes = _plan_step(assessment, data)
    if closes:
        assessment.status, assessment.closed_at = "closed", utcnow()
    session.flush()
    auditing.record(session, catalogue.assessment_step(
        principal, step=data.step.value, **_case(assessment), completed_on=data.completed_on.isoformat(),
        decision=data.decision.value if data.decision else None))
    if closes:
        auditing.record(session, catalogue.assessment_closed(principal, **_case(assessment)))
    return assessment


# Reading: clocks, the case, the overview

def _recorded(exceptions: list[ClockException], clock: ClockKind, advice_id: uuid.UUID | None = None) -> list[RecordedException]:
    return [
        RecordedException(e.code, ExceptionEffect(e.effect), e.starts_on, e.ends_on)
        for e in exceptions
        if e.clock == clock.value and e.advice_request_id == advice_id
    ]


def _clock_read(state: ClockState, advice_id: uuid.UUID | None = None) -> ClockRead:
    return ClockRead(
        kind=state.kind, label=state.label, regulation=state.regulation, advice_request_id=advice_id,
        started_on=state.started_on, statutory_due_on=state.statutory_due_on, due_on=state.due_on,
        status=state.status, completed_on=state.completed_on, days_remaining=state.days_remaining,
        days_overdue=state.days_overdue, exception_codes=list(state.exception_codes),
    )


def case_clocks(assessment: Assessment, exceptions: list[ClockException], today: date) -> list[ClockState]:
    """The case's own clocks (decision, 16 weeks, 20 weeks) on ``today``."""
    not_assessing = assessment.decision == Decision.not_assess.value
    decision = compute_clock(
        ClockKind.decision_to_assess, assessment.received_on, today,
        exceptions=_recorded(exceptions, ClockKind.decision_to_assess), completed_on=assessment.decision_on,
        applicable=assessment.decision_on is not None or assessment.status == "open",
    )
    no_plan = compute_clock(
        ClockKind.notice_of_no_plan, assessment.received_on, today,
        exceptions=_recorded(exceptions, ClockKind.notice_of_no_plan), completed_on=assessment.no_plan_notice_on,
        applicable=not not_assessing and assessment.final_plan_on is None,
    )
    final = compute_clock(
        ClockKind.final_plan, assessment.received_on, today,
        exceptions=_recorded(exceptions, ClockKind.final_plan), completed_on=assessment.final_plan_on,
        applicable=not not_assessing and assessment.no_plan_notice_on is None,
    )
    return [decision, no_plan, final]


def advice_clock(advice: AdviceRequest, exceptions: list[ClockException], today: date, *, case_open: bool = True) -> ClockState:
    """The 6-week clock of one advice request; it stops when the advice arrives, and no longer
    applies once the advice is reused or declined, or the case closed while it was awaited.  The
    family's own views (reg 6(1)(a)) have no such clock: reg 8 sets it for reg 6(1)(b)-(h) only."""
    return compute_clock(
        ClockKind.advice, advice.requested_on, today,
        exceptions=_recorded(exceptions, ClockKind.advice, advice.id),
        completed_on=advice.received_on,
        applicable=advice.advice_type != AdviceType.family_views and (
            advice.status == "received" or (advice.status == "requested" and case_open)),
    )


def advice_status(advice: AdviceRequest, clock: ClockState) -> AdviceStatus:
    """The recorded status, except that a request still awaited after its due date is overdue."""
    if advice.status == "requested" and clock.status is ClockStatus.overdue:
        return AdviceStatus.overdue
    return AdviceStatus(advice.status)


class _CaseData:
    """Everything needed to describe a set of cases, loaded in a fixed number of queries."""

    def __init__(self, session: Session, assessments: list[Assessment]) -> None:
        ids = [a.id for a in assessments]
        self.advice = repository.advice_requests_for(session, ids)
        self.exceptions = repository.exceptions_for(session, ids)
        all_advice = [r for rows in self.advice.values() for r in rows]
        self.reuse = repository.reuse_agreements_for(session, [r.id for r in all_advice])
        self.organisations: dict[uuid.UUID, Organisation] = repository.organisations_by_id(
            session, [a.organisation_id for a in assessments] + [r.organisation_id for r in all_advice]
        )
        self.people = repository.people_by_id(session, [a.subject_id for a in assessments])
        self.officers = repository.users_by_id(session, [a.case_officer_user_id for a in assessments])

    def officer_name(self, assessment: Assessment) -> str:
        return self.officers[assessment.case_officer_user_id].display_name

    def subject_name(self, assessment: Assessment) -> str:
        person = self.people[assessment.subject_id]
        return f"{person.given_name} {person.family_name}"

    def advice_read(
        self, assessment: Assessment, advice: AdviceRequest, exceptions: list[ClockException], today: date
    ) -> AdviceRequestRead:
        clock = advice_clock(advice, exceptions, today, case_open=assessment.status == "open")
        reuse = self.reuse.get(advice.id)
        organisation = self.organisations.get(advice.organisation_id) if advice.organisation_id else None
        return AdviceRequestRead(
            id=advice.id, advice_type=AdviceType(advice.advice_type), regulation=ADVICE_REGULATION[AdviceType(advice.advice_type)],
            organisation_id=advice.organisation_id,
            addressed_to=organisation.name if organisation else "The child's family",
            requested_on=advice.requested_on, due_on=clock.due_on, status=advice_status(advice, clock),
            received_on=advice.received_on, declined_reason=advice.declined_reason, note=advice.note,
            clock=_clock_read(clock, advice.id),
            reuse_agreement=ReuseAgreementRead.model_validate(reuse, from_attributes=True) if reuse else None,
        )


def describe_assessment(session: Session, assessment: Assessment, today: date) -> AssessmentRead:
    """The whole case: its clocks, advice requests and the exceptions recorded against them."""
    data = _CaseData(session, [assessment])
    exceptions = data.exceptions.get(assessment.id, [])
    return AssessmentRead(
        id=assessment.id, reference=assessment.reference, subject_id=assessment.subject_id,
        subject_name=data.subject_name(assessment), organisation_id=assessment.organisation_id,
        organisation_name=data.organisations[assessment.organisation_id].name,
        opened_by_user_id=assessment.opened_by_user_id, case_officer_user_id=assessment.case_officer_user_id,
        case_officer_name=data.officer_name(assessment), purpose=Purpose(assessment.purpose),
        received_on=assessment.received_on, status=assessment.status,
        decision=Decision(assessment.decision) if assessment.decision else None, decision_on=assessment.decision_on,
        no_plan_notice_on=assessment.no_plan_notice_on, final_plan_on=assessment.final_plan_on,
        draft_plan_on=assessment.draft_plan_on, comments_until=comments_until(assessment),
        closed_at=assessment.closed_at,
        clocks=[_clock_read(c) for c in case_clocks(assessment, exceptions, today)],
        advice_requests=[data.advice_read(assessment, a, exceptions, today) for a in data.advice.get(assessment.id, [])],
        clock_exceptions=[
            ClockExceptionRead(
                id=e.id, clock=ClockKind(e.clock), advice_request_id=e.advice_request_id, code=e.code,
                regulation=EXCEPTION_CODES[e.code].regulation, description=EXCEPTION_CODES[e.code].description,
                effect=ExceptionEffect(e.effect), starts_on=e.starts_on, ends_on=e.ends_on, note=e.note,
                recorded_by_user_id=e.recorded_by_user_id, recorded_at=e.recorded_at,
            )
            for e in exceptions
        ],
    )


# The category each kind of advice is, for the advice givers whose records need permission.

class _Permissions:
    """What the family has been asked for this case, how they answered, and what is still missing."""

    def __init__(self) -> None:
        self.awaiting = 0
        self.conflicts: list[ConflictingAnswerRead] = []
        self.missing: list[MissingPermissionRead] = []


def _permissions(
    session: Session, principal: Principal, assessment: Assessment, advice: list[AdviceRequest],
    organisations: dict[uuid.UUID, Organisation],
) -> _Permissions:
    """For an open case: the consent requests for its purpose still awaiting the family, those two
    people who may each decide answered differently (for a person to resolve), and what the case
    needs that no permission (nor the statutory footing) covers: each category an awaited advice
    request or an open consent request asks a holder for, decided now."""
    found = _Permissions()
    if assessment.status != "open":
        return found
    requests = [
        r for r in consent_service.list_requests(session, actor_of(principal), assessment.subject_id)
        if r.purpose == assessment.purpose
    ]
    wanted: dict[tuple[uuid.UUID, str], tuple[str, uuid.UUID | None]] = {}
    for advice_request in advice:
        category = ADVICE_CATEGORY.get(AdviceType(advice_request.advice_type))
        if category and advice_request.status == "requested" and advice_request.organisation_id:
            wanted.setdefault((advice_request.organisation_id, category), ("advice_request", None))
    for r in requests:
        if r.status == "open":
            found.awaiting += 1
            for holder in r.holder_organisation_ids:
                for category in r.categories:
                    wanted[(holder, category)] = ("consent_request", r.id)
        if r.conflict:
            found.conflicts.append(ConflictingAnswerRead(
                consent_request_id=r.id, categories=r.categories,
                answers=[DeciderAnswerRead(name=d.name, standing=d.standing.value, answer=d.answer,
                                           answered_at=d.answered_at) for d in r.deciders if d.answer]))
    if not wanted:
        return found
    holders = sorted({holder for holder, _ in wanted}, key=str)
    named = repository.organisations_by_id(session, [h for h in holders if h not in organisations])
    to = release_policy.recipient(session, subject_id=assessment.subject_id, organisation_id=assessment.organisation_id,
                                  purpose=assessment.purpose, at=utcnow(), assessment_id=assessment.id)
    for holder in holders:
        categories = sorted(c for h, c in wanted if h == holder)
        for ruling in release_policy.decide(session, to, holder, categories):
            needed_for, request_id = wanted[(holder, ruling.category)]
            # Advice sought for this case is taken on the statutory duty: it needs no permission.
            if not ruling.rests_on_missing_permission or (ruling.advice_for and needed_for == "advice_request"):
                continue
            decided = ruling.summary()
            organisation = organisations.get(holder) or named.get(holder)
            found.missing.append(MissingPermissionRead(
                category=decided.category, holder_organisation_id=holder,
                holder_name=organisation.name if organisation else "an organisation", reason=decided.reason,
                needed_for=needed_for, consent_request_id=request_id))
    return found


_LIVE = frozenset({ClockStatus.running, ClockStatus.overdue, ClockStatus.paused})


def overview(
    session: Session, principal: Principal, status: str | None, today: date, *, own_only: bool = False,
) -> list[AssessmentSummary]:
    """The caller's cases, most urgent first: each with its clocks and its overdue advice.

    With ``own_only``, only the cases the caller is the case officer of; otherwise every case of
    their organisation (and, for a safeguarding lead, the cases they hold a break-glass access to)."""
    assessments = repository.list_assessments(
        session, organisation_id=principal.organisation_id,
        also_subjects=[] if own_only else _visible_subjects(session, principal, utcnow()), status=status,
        case_officer_id=principal.user_id if own_only else None,
    )
    data = _CaseData(session, assessments)
    summaries = []
    for assessment in assessments:
        if assessment.organisation_id != principal.organisation_id:
            _audit(session, principal, catalogue.break_glass_case_read, assessment, listed_in="overview")
        exceptions = data.exceptions.get(assessment.id, [])
        clocks = case_clocks(assessment, exceptions, today)
        advice = [data.advice_read(assessment, a, exceptions, today) for a in data.advice.get(assessment.id, [])]
        awaited = [a for a in advice if a.clock.status in _LIVE]
        live_due = [c.due_on for c in clocks if c.status in _LIVE] + [a.due_on for a in awaited]
        permissions = _permissions(session, principal, assessment, data.advice.get(assessment.id, []),
                                   data.organisations)
        summaries.append(AssessmentSummary(
            id=assessment.id, reference=assessment.reference, subject_id=assessment.subject_id,
            subject_name=data.subject_name(assessment), case_officer_user_id=assessment.case_officer_user_id,
            case_officer_name=data.officer_name(assessment), received_on=assessment.received_on,
            status=assessment.status,
            clocks=[_clock_read(c) for c in clocks], next_due_on=min(live_due) if live_due else None,
            overdue_clocks=sum(1 for c in clocks if c.status is ClockStatus.overdue),
            advice_outstanding=len(awaited),
            overdue_advice=[a for a in advice if a.status is AdviceStatus.overdue],
            consent_requests_awaiting=permissions.awaiting, conflicting_answers=len(permissions.conflicts),
            missing_permissions=permissions.missing, conflicts=permissions.conflicts,
        ))
    summaries.sort(key=lambda s: (s.status != "open", s.next_due_on or date.max, s.reference))
    return summaries


def overview_counts(session: Session, principal: Principal, status: str | None) -> dict[str, int]:
    """How many cases the caller is case officer of ("me") and their organisation runs ("all")."""
    if principal.organisation_id is None:
        return {"me": 0, "all": 0}
    return {
        "me": repository.count_assessments(session, organisation_id=principal.organisation_id, status=status,
                                           case_officer_id=principal.user_id),
        "all": repository.count_assessments(session, organisation_id=principal.organisation_id, status=status),
    }
