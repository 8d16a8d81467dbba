"""Caseworkers' page for what became of an advice request: received (on a date), declined (with
the reason), or replaced by existing advice under reg 6(4), with the agreement of the family, the
author and the council, as ``POST /api/v1/assessments/{id}/advice-requests/{advice_request_id}``
takes it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from broker.assessments import lookups
from broker.assessments import service as assessments
from broker.assessments.models import AdviceRequest, Assessment
from broker.assessments.schemas import AdviceRequestUpdate, AdviceType, ReuseAgreementCreate
from broker.families.family_view import full_name
from broker.platform.clock import council_today
from broker.platform.db import SessionDep
from broker.platform.errors import Conflict, InvalidInput
from broker.web.casework import ADVICE_LABELS, Caseworker, advice_givers, own_case
from broker.web.forms import FormState, VerifiedForm, render_form_page

router = APIRouter(include_in_schema=False)

STATUSES = ("received", "declined", "reused")
# Where a refusal of the rules is shown on the details page of each status: its first field.
_FIRST_FIELD = {"received": ("received", "received-day"), "declined": ("declined_reason", "declined_reason"),
                "reused": ("existing_advice", "existing_advice")}
_NOTE_LIMIT = 4000


def _advice(session: SessionDep, case: Assessment, advice_id: uuid.UUID) -> AdviceRequest:
    return lookups.advice_request(session, case, advice_id)


def _page(request: Request, session: SessionDep, case: Assessment, advice: AdviceRequest,
          state: FormState) -> HTMLResponse:
    """The choice of what happened; once chosen, the details that choice needs (one question a page)."""
    addressed = lookups.organisation(session, advice.organisation_id)
    return render_form_page(request, "casework/advice_status.html", state, {
        "case": case, "advice": advice, "label": ADVICE_LABELS[AdviceType(advice.advice_type)],
        "addressed_to": addressed.name if addressed else "the family",
        "family": [(str(p.id), full_name(p) + (" (the child or young person)" if p.id == case.subject_id else ""))
                   for p in lookups.who_may_agree_for(session, case.subject_id)],
        "organisations": advice_givers(session), "chosen": state.value("status") if state.value("status") in STATUSES else None,
    })


@router.get("/assessments/{assessment_id}/advice/{advice_id}", response_class=HTMLResponse)
def status_form(request: Request, caller: Caseworker, assessment_id: uuid.UUID, advice_id: uuid.UUID,
                session: SessionDep, status: str | None = None) -> HTMLResponse:
    """Record that advice asked for arrived, was declined, or is replaced by existing advice: first
    what happened (``?status=``), then the details it needs."""
    case = own_case(session, caller, assessment_id)
    state = FormState({"status": status} if status is not None else {})
    if "chosen" in request.query_params and status not in STATUSES:
        state.add_error("status", "Select what happened to the advice request", anchor="status")
    return _page(request, session, case, _advice(session, case, advice_id), state)


def _day(state: FormState, name: str, label: str, *, required: bool, not_before: date | None = None,
         before_what: str = "") -> date | None:
    """A date that is not in the future (and not before ``not_before``), or None with an error recorded."""
    value = state.read_date(name, label=label, required=required, past=False)
    if value is None:
        return None
    if value > council_today():
        state.add_error(name, f"{label} must be today or in the past", anchor=f"{name}-day", parts=("day", "month", "year"))
    elif not_before is not None and value < not_before:
        state.add_error(name, f"{label} must be on or after {before_what} ({not_before.strftime('%-d %B %Y')})",
                        anchor=f"{name}-day", parts=("day", "month", "year"))
    return value


def _note(state: FormState, name: str, *, missing: str, short: str, too_long: str) -> str:
    text = state.read_text(name, missing=missing, max_length=_NOTE_LIMIT, too_long=too_long)
    if text and len(text) < 3:
        state.add_error(name, short)
    return text


def _reuse(state: FormState, family: set[str]) -> dict[str, Any]:
    existing = _note(state, "existing_advice", missing="Say which existing advice is reused",
                     short="Say which existing advice is reused: its title, author and date",
                     too_long=f"Which advice is reused must be {_NOTE_LIMIT} characters or fewer")
    agreed_by = state.value("family_agreed_by")
    if agreed_by not in family:
        state.add_error("family_agreed_by", "Select who agreed for the family", anchor="family_agreed_by")
    family_on = _day(state, "family_agreed", "The date the family agreed", required=True)
    author = state.read_text("author_name", missing="Enter the name of the advice's author", max_length=200,
                             too_long="The author's name must be 200 characters or fewer")
    organisation = state.value("author_organisation")
    try:
        author_organisation = uuid.UUID(organisation) if organisation else None
    except ValueError:
        state.add_error("author_organisation", "Select the author's organisation from the list")
        author_organisation = None
    author_on = _day(state, "author_agreed", "The date the author agreed", required=True)
    council_on = _day(state, "council_agreed", "The date the council agreed", required=False)
    return {"existing_advice": existing, "family_agreed_by_person_id": agreed_by, "family_agreed_on": family_on,
            "author_name": author, "author_organisation_id": author_organisation, "author_agreed_on": author_on,
            "council_agreed_on": council_on}


def _update(state: FormState, advice: AdviceRequest, family: set[str]) -> AdviceRequestUpdate | None:
    """The update the form describes, or None with its errors recorded in ``state``."""
    status = state.value("status")
    if status not in STATUSES:
        state.add_error("status", "Select what happened to the advice request", anchor="status")
        return None
    fields: dict[str, Any] = {"status": status}
    if status == "received":
        fields["received_on"] = _day(state, "received", "The date the advice was received", required=False,
                                     not_before=advice.requested_on, before_what="the day it was asked for")
    elif status == "declined":
        fields["declined_reason"] = _note(
            state, "declined_reason", missing="Say why the advice was declined",
            short="Say in a few words why the advice was declined",
            too_long=f"Why it was declined must be {_NOTE_LIMIT} characters or fewer")
    else:
        fields["reuse_agreement"] = _reuse(state, family)
    if state.has_errors:
        return None
    try:
        if status == "reused":
            fields["reuse_agreement"] = ReuseAgreementCreate(**fields["reuse_agreement"])
        return AdviceRequestUpdate(**fields)
    except ValidationError:
        _refused(state, status, "Check the details of the agreement and try again")
        return None


def _refused(state: FormState, status: str, message: str) -> None:
    name, anchor = _FIRST_FIELD[status]
    state.add_error(name, message, anchor=anchor)


@router.post("/assessments/{assessment_id}/advice/{advice_id}")
def record_status(request: Request, caller: Caseworker, assessment_id: uuid.UUID, advice_id: uuid.UUID,
                  form: VerifiedForm, session: SessionDep) -> Response:
    """Record the advice request's new status; the rules of the API apply (only an awaited request
    changes, dates are not in the future, reuse needs all three agreements)."""
    case = own_case(session, caller, assessment_id)
    advice = _advice(session, case, advice_id)
    state = FormState.from_form(form)
    family = {str(p.id) for p in lookups.who_may_agree_for(session, case.subject_id)}
    update = _update(state, advice, family)
    if update is None:
        return _page(request, session, case, advice, state)
    try:
        assessments.update_advice_request(session, caller, case.id, advice.id, update, council_today())
    except (InvalidInput, Conflict) as refused:
        session.rollback()
        _refused(state, update.status, str(refused.detail))
        return _page(request, session, case, _advice(session, case, advice_id), state)
    return RedirectResponse(f"/assessments/{case.id}?advice_status={update.status}", status_code=303)
