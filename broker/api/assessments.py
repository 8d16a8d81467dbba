"""EHC needs assessment cases: open, read, hand over, advice requests, clock exceptions, steps, the overview."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from broker.assessments import service
from broker.assessments.clocks import EXCEPTION_CODES
from broker.assessments.schemas import (
    AdviceRequestCreate,
    AdviceRequestRead,
    AdviceRequestUpdate,
    AssessmentCreate,
    AssessmentRead,
    AssessmentSummary,
    CaseOfficerChange,
    ClockExceptionCreate,
    ClockExceptionEnd,
    ClockExceptionRead,
    ExceptionCodeRead,
    StepCreate,
)
from broker.audit_trail import auditing, catalogue
from broker.audit_trail.refusals import mark_audited
from broker.auth import Principal, Role, require_roles
from broker.platform.clock import council_today
from broker.platform.db import DatabaseDep, SessionDep
from broker.platform.errors import Forbidden

router = APIRouter(prefix="/api/v1", tags=["assessments"])

Caller = Annotated[Principal, Depends(require_roles(Role.caseworker, Role.safeguarding_lead))]
CaseworkerCaller = Annotated[Principal, Depends(require_roles(Role.caseworker))]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such case, or not one of your organisation's cases."}}


@router.post("/assessments", status_code=status.HTTP_201_CREATED, response_model=AssessmentRead,
             responses={403: {"description": "Your organisation may not act for this purpose, or does not open cases."},
                        404: {"description": "No such child."},
                        409: {"description": "The child already has an open case for this purpose: "
                                             "`assessment_id` and `reference` name it."},
                        422: {"description": "Bad input, or the case officer named is not a caseworker of your organisation."}})
def open_assessment(
    data: AssessmentCreate, caller: Caller, session: SessionDep, database: DatabaseDep, request: Request
) -> AssessmentRead:
    """Open an EHC needs assessment for a child; ``received_on`` is day 0 of the statutory clocks.

    You become its case officer unless ``case_officer_user_id`` names another caseworker of your
    organisation.

    A purpose the caller's organisation may not use is refused (403), and the refusal is written
    to the audit log in a transaction of its own."""
    today = council_today()
    try:
        assessment = service.open_assessment(session, caller, data, today)
    except Forbidden as refusal:
        session.rollback()
        auditing.record_separately(database, catalogue.assessment_open_refused(
            caller, subject_id=data.subject_id, purpose=data.purpose.value, reason=refusal.detail))
        mark_audited(request)
        raise
    return service.describe_assessment(session, assessment, today)


@router.get("/assessments", response_model=list[AssessmentSummary])
def list_assessments(
    caller: Caller, session: SessionDep,
    status_filter: Annotated[Literal["open", "closed", "all"], Query(alias="status")] = "open",
    officer: Annotated[Literal["me", "all"] | None, Query(
        description="me: the cases you are the case officer of; all: every case of your organisation. "
                    "Defaults to me for a caseworker, and to all for a safeguarding lead (who is no case's officer).",
    )] = None,
) -> list[AssessmentSummary]:
    """Cases, most urgent first: each case's clocks, its overdue advice and its case officer.

    By default a caseworker sees their own cases (``officer=me``); ``officer=all`` lists every case of
    their organisation, whoever its case officer. ``status`` (default ``open``) filters either list."""
    own_only = (officer or ("me" if caller.role is Role.caseworker else "all")) == "me"
    return service.overview(session, caller, None if status_filter == "all" else status_filter, council_today(),
                            own_only=own_only)


@router.get("/assessments/exception-codes", response_model=list[ExceptionCodeRead])
def list_exception_codes(caller: Caller) -> list[ExceptionCodeRead]:
    """The exception codes a clock exception may cite, and the clocks each applies to."""
    return [
        ExceptionCodeRead(code=c.code, regulation=c.regulation, description=c.description, clocks=sorted(c.clocks))
        for c in EXCEPTION_CODES.values()
    ]


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead, responses=_NOT_FOUND)
def read_assessment(assessment_id: uuid.UUID, caller: Caller, session: SessionDep) -> AssessmentRead:
    """One case: its status, clocks (due dates, days remaining or overdue, exceptions) and advice requests."""
    assessment = service.visible_assessment(session, caller, assessment_id)
    return service.describe_assessment(session, assessment, council_today())


@router.post("/assessments/{assessment_id}/case-officer", response_model=AssessmentRead,
             responses={**_NOT_FOUND,
                        409: {"description": "The case is closed, or that caseworker is already its case officer."},
                        422: {"description": "Bad input, or the user is not a caseworker of the case's organisation."}})
def hand_over(
    assessment_id: uuid.UUID, data: CaseOfficerChange, caller: CaseworkerCaller, session: SessionDep
) -> AssessmentRead:
    """Hand the case over: another caseworker of the case's organisation becomes its case officer.

    Any caseworker of that organisation may hand a case over; the reason is kept in the audit log
    (``assessment.case_officer_changed``, with the previous and the new case officer)."""
    assessment = service.hand_over(session, caller, assessment_id, data)
    return service.describe_assessment(session, assessment, council_today())


@router.post("/assessments/{assessment_id}/advice-requests", status_code=status.HTTP_201_CREATED,
             response_model=AdviceRequestRead, responses={**_NOT_FOUND, 409: {"description": "Already awaited, or the case is closed."}})
def request_advice(
    assessment_id: uuid.UUID, data: AdviceRequestCreate, caller: Caller, session: SessionDep
) -> AdviceRequestRead:
    """Record advice asked for under reg 6(1); it is due 6 weeks after it was requested (reg 8)."""
    today = council_today()
    advice = service.add_advice_request(session, caller, assessment_id, data, today)
    return _advice_read(session, caller, assessment_id, advice.id)


@router.post("/assessments/{assessment_id}/advice-requests/{advice_request_id}", response_model=AdviceRequestRead,
             responses={**_NOT_FOUND, 409: {"description": "The request is no longer awaited, or the case is closed."}})
def update_advice_request(
    assessment_id: uuid.UUID, advice_request_id: uuid.UUID, data: AdviceRequestUpdate, caller: Caller,
    session: SessionDep,
) -> AdviceRequestRead:
    """Record that advice was received, declined, or replaced by existing advice under reg 6(4)
    (with the agreement of the family, the author and the council)."""
    service.update_advice_request(session, caller, assessment_id, advice_request_id, data, council_today())
    return _advice_read(session, caller, assessment_id, advice_request_id)


@router.post("/assessments/{assessment_id}/clock-exceptions", status_code=status.HTTP_201_CREATED,
             response_model=ClockExceptionRead, responses=_NOT_FOUND)
def record_clock_exception(
    assessment_id: uuid.UUID, data: ClockExceptionCreate, caller: Caller, session: SessionDep
) -> ClockExceptionRead:
    """Record a reg 5(4), 8(2) or 10(4) exception that pauses or excuses one clock; it shows on the clock."""
    exception = service.add_clock_exception(session, caller, assessment_id, data, council_today())
    return _exception_read(session, caller, assessment_id, exception.id)


@router.post("/assessments/{assessment_id}/clock-exceptions/{exception_id}/end", response_model=ClockExceptionRead,
             responses=_NOT_FOUND)
def end_clock_pause(
    assessment_id: uuid.UUID, exception_id: uuid.UUID, data: ClockExceptionEnd, caller: Caller, session: SessionDep
) -> ClockExceptionRead:
    """Record the day a pause ended; the clock runs again with the paused days added."""
    service.end_clock_pause(session, caller, assessment_id, exception_id, data, council_today())
    return _exception_read(session, caller, assessment_id, exception_id)


@router.post("/assessments/{assessment_id}/steps", response_model=AssessmentRead, responses=_NOT_FOUND)
def record_step(assessment_id: uuid.UUID, data: StepCreate, caller: Caller, session: SessionDep) -> AssessmentRead:
    """Record the decision whether to assess, the notice that no plan will be issued, or the final
    plan; each stops its clock, and all but a decision to assess close the case."""
    today = council_today()
    assessment = service.record_step(session, caller, assessment_id, data, today)
    return service.describe_assessment(session, assessment, today)


def _advice_read(session: SessionDep, caller: Principal, assessment_id: uuid.UUID, advice_id: uuid.UUID) -> AdviceRequestRead:
    case = service.describe_assessment(session, service.visible_assessment(session, caller, assessment_id), council_today())
    return next(a for a in case.advice_requests if a.id == advice_id)


def _exception_read(session: SessionDep, caller: Principal, assessment_id: uuid.UUID, exception_id: uuid.UUID) -> ClockExceptionRead:
    case = service.describe_assessment(session, service.visible_assessment(session, caller, assessment_id), council_today())
    return next(e for e in case.clock_exceptions if e.id == exception_id)
