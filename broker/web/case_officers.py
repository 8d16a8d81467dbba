"""Caseworkers' page for handing a case over to another caseworker of the team, with the reason,
as ``POST /api/v1/assessments/{id}/case-officer`` takes it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from broker.accounts.models import User
from broker.assessments import lookups
from broker.assessments import service as assessments
from broker.assessments.models import Assessment
from broker.assessments.schemas import CaseOfficerChange
from broker.platform.db import SessionDep
from broker.platform.errors import Conflict, InvalidInput
from broker.web.casework import Caseworker, own_case
from broker.web.forms import FormState, VerifiedForm, render_form_page

router = APIRouter(include_in_schema=False)

REASON_LIMIT = 500


def _others(session: SessionDep, case: Assessment) -> list[User]:
    """The caseworkers of the case's organisation who are not its case officer now."""
    return [u for u in lookups.caseworkers_of(session, case.organisation_id)
            if u.id != case.case_officer_user_id]


def _page(request: Request, session: SessionDep, case: Assessment, state: FormState) -> HTMLResponse:
    officer = lookups.user(session, case.case_officer_user_id)
    return render_form_page(request, "casework/case_officer.html", state, {
        "case": case, "officer": officer, "others": _others(session, case), "reason_limit": REASON_LIMIT,
    })


@router.get("/assessments/{assessment_id}/case-officer", response_class=HTMLResponse)
def hand_over_form(request: Request, caller: Caseworker, assessment_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """Hand the case over: choose another caseworker of your team and say why."""
    return _page(request, session, own_case(session, caller, assessment_id), FormState())


def _change(state: FormState, others: list[User]) -> CaseOfficerChange | None:
    """The handover the form describes, or None with its errors recorded in ``state``."""
    chosen = next((u for u in others if str(u.id) == state.value("user_id")), None)
    if chosen is None:
        state.add_error("user_id", "Select who will be the case officer", anchor="user_id")
    reason = state.read_text("reason", missing="Say why the case is handed over", max_length=REASON_LIMIT,
                             too_long=f"Why the case is handed over must be {REASON_LIMIT} characters or fewer")
    if state.has_errors or chosen is None:
        return None
    return CaseOfficerChange(user_id=chosen.id, reason=reason)


@router.post("/assessments/{assessment_id}/case-officer")
def hand_over(request: Request, caller: Caseworker, assessment_id: uuid.UUID, form: VerifiedForm,
              session: SessionDep) -> Response:
    """Make the chosen caseworker the case officer; the handover and its reason go to the audit log."""
    case = own_case(session, caller, assessment_id)
    state = FormState.from_form(form)
    change = _change(state, _others(session, case))
    if change is None:
        return _page(request, session, case, state)
    try:
        assessments.hand_over(session, caller, case.id, change)
    except (InvalidInput, Conflict) as refused:
        session.rollback()
        state.add_error("user_id", str(refused.detail), anchor="user_id")
        return _page(request, session, own_case(session, caller, assessment_id), state)
    return RedirectResponse(f"/assessments/{case.id}?handed_over=1", status_code=303)
