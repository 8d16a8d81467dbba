"""Caseworkers' pages for a case's statutory steps: the decision whether to assess, the draft plan
sent to the family, the notice that no plan will be issued and the final plan, each checked with
the caseworker before it is recorded (as ``POST /api/v1/assessments/{id}/steps`` records them)."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from broker.assessments import service as assessments
from broker.assessments.models import Assessment
from broker.assessments.schemas import StepCreate
from broker.assessments.service import StepChoice
from broker.auth.principal import Principal
from broker.platform.clock import council_today
from broker.platform.db import SessionDep
from broker.platform.errors import Conflict, InvalidInput
from broker.web.casework import Caseworker, own_case
from broker.web.forms import FormState, VerifiedForm, render_form_page

router = APIRouter(include_in_schema=False)

_DATE_PARTS = ("day", "month", "year")


def _form_page(request: Request, case: Assessment, state: FormState) -> HTMLResponse:
    return render_form_page(request, "casework/step.html", state,
                            {"case": case, "choices": assessments.step_choices(case)})


def _read(state: FormState, case: Assessment) -> tuple[StepChoice, date] | None:
    """The step and its date as the form gives them, or None with the errors recorded."""
    choices = assessments.step_choices(case)
    choice = next((c for c in choices if c.value == state.value("step")), None)
    if choice is None:
        state.add_error("step", "Select the step that was completed", anchor="step")
    completed = state.read_date("completed", label="The date of the step", past=False)
    if completed is not None and completed > council_today():
        state.add_error("completed", "The date of the step must be today or in the past",
                        anchor="completed-day", parts=_DATE_PARTS)
    if state.has_errors or choice is None or completed is None:
        return None
    return choice, completed


def _posted(session: SessionDep, caller: Principal, assessment_id: uuid.UUID,
            form: VerifiedForm) -> tuple[Assessment, FormState, tuple[StepChoice, date] | None]:
    """The caller's case, the posted form, and the step and date it gives (None with its errors)."""
    case = own_case(session, caller, assessment_id)
    state = FormState.from_form(form)
    return case, state, _read(state, case)


@router.get("/assessments/{assessment_id}/steps/new", response_class=HTMLResponse)
def step_form(request: Request, caller: Caseworker, assessment_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """Record a statutory step: the steps that may come next on this case."""
    return _form_page(request, own_case(session, caller, assessment_id), FormState())


@router.post("/assessments/{assessment_id}/steps/new", response_class=HTMLResponse)
def check_step(request: Request, caller: Caseworker, assessment_id: uuid.UUID, form: VerifiedForm,
               session: SessionDep) -> HTMLResponse:
    """Check your answers: what the step stops, whether it ends the case, and what the family is told."""
    case, state, read = _posted(session, caller, assessment_id, form)
    if read is None:
        return _form_page(request, case, state)
    choice, completed = read
    return render_form_page(request, "casework/step_check.html", state, {
        "case": case, "choice": choice, "completed": completed,
        "comments_until": completed + assessments.comment_period() if choice.value == "draft_plan" else None,
    })


@router.post("/assessments/{assessment_id}/steps")
def record_step(request: Request, caller: Caseworker, assessment_id: uuid.UUID, form: VerifiedForm,
                session: SessionDep) -> Response:
    """Record the checked step; it stops its clock on the case page, and may end the case."""
    case, state, read = _posted(session, caller, assessment_id, form)
    if read is None:
        return _form_page(request, case, state)
    choice, completed = read
    try:
        assessments.record_step(session, caller, case.id, StepCreate(
            step=choice.step, completed_on=completed, decision=choice.decision), council_today())
    except (InvalidInput, Conflict) as refused:
        session.rollback()
        state.add_error("completed", str(refused.detail), anchor="completed-day", parts=_DATE_PARTS)
        return _form_page(request, own_case(session, caller, assessment_id), state)
    return RedirectResponse(f"/assessments/{case.id}?step={choice.value}#clocks", status_code=303)
