"""Caseworkers' pages for the exceptions to a case's statutory clocks (reg 5(4), 8(2), 10(4)):
record one against a clock, and end a pause, as ``POST /api/v1/assessments/{id}/clock-exceptions``
and ``.../clock-exceptions/{exception_id}/end`` take them. The codes are the API's own
(``broker.assessments.clocks.EXCEPTION_CODES``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from broker.assessments import lookups
from broker.assessments import service as assessments
from broker.assessments.clocks import CLOCK_RULES, EXCEPTION_CODES, ClockKind, ExceptionEffect, exception_applies
from broker.assessments.models import Assessment, ClockException
from broker.assessments.schemas import AdviceType, ClockExceptionCreate, ClockExceptionEnd
from broker.platform.clock import council_today
from broker.platform.db import SessionDep
from broker.platform.errors import Conflict, InvalidInput
from broker.web.casework import ADVICE_LABELS, Caseworker, own_case
from broker.web.forms import FormState, VerifiedForm, render_form_page

router = APIRouter(include_in_schema=False)

_DATE_PARTS = ("day", "month", "year")
_CASE_CLOCKS = (ClockKind.decision_to_assess, ClockKind.notice_of_no_plan, ClockKind.final_plan)
_ADVICE = "advice:"


@dataclass(frozen=True)
class ClockChoice:
    """A clock an exception may be recorded against: one of the case's, or one advice request's."""

    value: str
    label: str
    kind: ClockKind
    started_on: date
    advice_request_id: uuid.UUID | None = None


def clock_choices(session: SessionDep, case: Assessment) -> list[ClockChoice]:
    """The case's own clocks, then the clock of each advice request awaited or received."""
    choices = [ClockChoice(k.value, CLOCK_RULES[k].label, k, case.received_on) for k in _CASE_CLOCKS]
    advice = lookups.advice_requests_of(session, case)
    organisations = lookups.organisations_by_id(session, [a.organisation_id for a in advice])
    for a in advice:
        if a.status not in ("requested", "received"):
            continue
        label = ADVICE_LABELS[AdviceType(a.advice_type)]
        if a.organisation_id in organisations:
            label += f" from {organisations[a.organisation_id].name}"
        choices.append(ClockChoice(f"{_ADVICE}{a.id}", label, ClockKind.advice, a.requested_on, a.id))
    return choices


def _record_page(request: Request, session: SessionDep, case: Assessment, state: FormState) -> HTMLResponse:
    return render_form_page(request, "casework/clock_exception.html", state, {
        "case": case, "clocks": clock_choices(session, case),
        "codes": [(c, "For: " + "; ".join(sorted(CLOCK_RULES[k].label for k in c.clocks)))
                  for c in EXCEPTION_CODES.values()],
    })


@router.get("/assessments/{assessment_id}/clock-exceptions/new", response_class=HTMLResponse)
def record_form(request: Request, caller: Caseworker, assessment_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """Record an exception that pauses or excuses one of the case's statutory clocks."""
    return _record_page(request, session, own_case(session, caller, assessment_id), FormState())


def _not_future(state: FormState, name: str, label: str, value: date | None) -> None:
    if value is not None and value > council_today():
        state.add_error(name, f"{label} must be today or in the past", anchor=f"{name}-day", parts=_DATE_PARTS)


def _exception(state: FormState, choices: list[ClockChoice]) -> ClockExceptionCreate | None:
    """The exception the form describes, or None with its errors recorded in ``state``."""
    clock = next((c for c in choices if c.value == state.value("clock")), None)
    if clock is None:
        state.add_error("clock", "Select the clock the exception applies to", anchor="clock")
    code = state.value("code")
    if code not in EXCEPTION_CODES:
        state.add_error("code", "Select the regulation that allows the exception", anchor="code")
    elif clock is not None and not exception_applies(code, clock.kind):
        state.add_error("code", f"{EXCEPTION_CODES[code].regulation} does not apply to this clock: choose an "
                        f"exception under {CLOCK_RULES[clock.kind].exception_regulation}", anchor="code")
    effect = state.value("effect")
    if effect not in {e.value for e in ExceptionEffect}:
        state.add_error("effect", "Select whether the exception pauses or excuses the clock", anchor="effect")
    starts = state.read_date("starts", label="The date the exception started", past=False)
    _not_future(state, "starts", "The date the exception started", starts)
    if starts is not None and clock is not None and starts < clock.started_on:
        state.add_error("starts", "The exception cannot start before the clock did "
                        f"({clock.started_on.strftime('%-d %B %Y')})", anchor="starts-day", parts=_DATE_PARTS)
    ends = state.read_date("ends", label="The date the pause ended", required=False, past=False)
    if ends is not None and effect == ExceptionEffect.excuse.value:
        state.add_error("ends", "An excuse has no end date: leave it blank, or choose a pause",
                        anchor="ends-day", parts=_DATE_PARTS)
    elif ends is not None and starts is not None and ends < starts:
        state.add_error("ends", "A pause cannot end before it starts", anchor="ends-day", parts=_DATE_PARTS)
    note = state.read_text("note", missing="Say what happened", max_length=4000,
                           too_long="What happened must be 4000 characters or fewer")
    if note and len(note) < 3:
        state.add_error("note", "Say in a few words what happened")
    if state.has_errors or clock is None or starts is None:
        return None
    try:
        return ClockExceptionCreate(clock=clock.kind, advice_request_id=clock.advice_request_id, code=code,
                                    effect=ExceptionEffect(effect), starts_on=starts, ends_on=ends, note=note)
    except ValidationError:
        state.add_error("clock", "Check the details of the exception and try again", anchor="clock")
        return None


@router.post("/assessments/{assessment_id}/clock-exceptions/new")
def record(request: Request, caller: Caseworker, assessment_id: uuid.UUID, form: VerifiedForm,
           session: SessionDep) -> Response:
    """Record the exception; it shows on its clock, and a pause moves the clock's due date."""
    case = own_case(session, caller, assessment_id)
    state = FormState.from_form(form)
    exception = _exception(state, clock_choices(session, case))
    if exception is None:
        return _record_page(request, session, case, state)
    try:
        assessments.add_clock_exception(session, caller, case.id, exception, council_today())
    except (InvalidInput, Conflict) as refused:
        session.rollback()
        state.add_error("clock", str(refused.detail), anchor="clock")
        return _record_page(request, session, case, state)
    return RedirectResponse(f"/assessments/{case.id}?exception=recorded#clock-exceptions", status_code=303)


def _recorded(session: SessionDep, case: Assessment, exception_id: uuid.UUID) -> ClockException:
    return lookups.clock_exception(session, case, exception_id)


def _end_page(request: Request, session: SessionDep, case: Assessment, exception: ClockException,
              state: FormState) -> HTMLResponse:
    label = next((c.label for c in clock_choices(session, case)
                  if c.kind.value == exception.clock and c.advice_request_id == exception.advice_request_id),
                 CLOCK_RULES[ClockKind(exception.clock)].label)
    return render_form_page(request, "casework/clock_exception_end.html", state, {
        "case": case, "exception": exception, "code": EXCEPTION_CODES.get(exception.code), "clock_label": label,
    })


@router.get("/assessments/{assessment_id}/clock-exceptions/{exception_id}/end", response_class=HTMLResponse)
def end_form(request: Request, caller: Caseworker, assessment_id: uuid.UUID, exception_id: uuid.UUID,
             session: SessionDep) -> HTMLResponse:
    """Record the day a pause ended."""
    case = own_case(session, caller, assessment_id)
    return _end_page(request, session, case, _recorded(session, case, exception_id), FormState())


@router.post("/assessments/{assessment_id}/clock-exceptions/{exception_id}/end")
def end(request: Request, caller: Caseworker, assessment_id: uuid.UUID, exception_id: uuid.UUID,
        form: VerifiedForm, session: SessionDep) -> Response:
    """End the pause; the clock runs again, its due date moved by the days it was paused."""
    case = own_case(session, caller, assessment_id)
    exception = _recorded(session, case, exception_id)
    state = FormState.from_form(form)
    ends = state.read_date("ends", label="The date the pause ended", past=False)
    _not_future(state, "ends", "The date the pause ended", ends)
    if ends is not None and ends < exception.starts_on:
        state.add_error("ends", "The pause cannot end before it started "
                        f"({exception.starts_on.strftime('%-d %B %Y')})", anchor="ends-day", parts=_DATE_PARTS)
    if state.has_errors or ends is None:
        return _end_page(request, session, case, exception, state)
    try:
        assessments.end_clock_pause(session, caller, case.id, exception.id, ClockExceptionEnd(ends_on=ends),
                                    council_today())
    except (InvalidInput, Conflict) as refused:
        session.rollback()
        state.add_error("ends", str(refused.detail), anchor="ends-day", parts=_DATE_PARTS)
        return _end_page(request, session, case, _recorded(session, case, exception_id), state)
    return RedirectResponse(f"/assessments/{case.id}?exception=ended#clock-exceptions", status_code=303)
