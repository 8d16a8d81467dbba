"""Family pages: the children a parent (or the young person) decides for, requests waiting for
an answer, permissions given and withdrawn, and who has seen the child's information."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from broker.api.consents import signed_receipt
from broker.auth.principal import Principal, Role
from broker.auth.relationships import PageSubjectInScope
from broker.auth.sessions import require_web_roles
from broker.families import family_preview, family_release, family_view
from broker.permissions import consent_actions
from broker.platform.db import SessionDep
from broker.platform.errors import NotFound
from broker.records import erasure
from broker.web.forms import FormState, VerifiedForm, render_form_page
from consent.models import Person
from consent.schemas import AnswerCreate, ConsentWithdraw
from consent.vocabulary import Status

router = APIRouter(prefix="/family", include_in_schema=False)

Family = Annotated[Principal, Depends(require_web_roles(Role.family))]
ANSWERS = ("approve_all", "approve_part", "decline")


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def _child(caller: Principal, subject: Person) -> dict[str, Any]:
    return {"id": subject.id, "name": family_view.full_name(subject), "is_self": family_view.is_self(caller, subject)}


@router.get("", response_class=HTMLResponse)
def home(request: Request, caller: Family, session: SessionDep) -> HTMLResponse:
    """Each child or young person the signed-in person may decide for."""
    return _page(request, "family/home.html", {"children": family_view.children(session, caller)})


@router.get("/{subject_id}/requests", response_class=HTMLResponse)
def requests_page(request: Request, caller: Family, subject: PageSubjectInScope, session: SessionDep) -> HTMLResponse:
    """Requests for permission still waiting for this person's answer."""
    return _page(request, "family/requests.html", {
        "child": _child(caller, subject), "requests": family_view.pending_requests(session, caller, subject.id),
    })


def _pending(session: SessionDep, caller: Principal, subject: Person, request_id: uuid.UUID) -> family_view.PendingRequest:
    pending = family_view.pending_request(session, caller, subject.id, request_id)
    if pending is None:
        raise NotFound("There is no request with that id waiting for your answer.")
    return pending


def _answer_page(request: Request, caller: Principal, subject: Person, pending: family_view.PendingRequest,
                 state: FormState, ticked_categories: list[str], ticked_holders: list[str]) -> HTMLResponse:
    return render_form_page(request, "family/answer.html", state, {
        "child": _child(caller, subject), "item": pending,
        "ticked_categories": ticked_categories, "ticked_holders": ticked_holders,
    })


@router.get("/{subject_id}/requests/{request_id}", response_class=HTMLResponse)
def answer_form(request: Request, caller: Family, subject: PageSubjectInScope, request_id: uuid.UUID,
                session: SessionDep) -> HTMLResponse:
    """One request in full, with the answer form."""
    pending = _pending(session, caller, subject, request_id)
    return _answer_page(request, caller, subject, pending, FormState(),
                        [c.value for c in pending.categories], [h.value for h in pending.holders])


@router.post("/{subject_id}/requests/{request_id}", response_class=HTMLResponse)
def answer(request: Request, caller: Family, subject: PageSubjectInScope, request_id: uuid.UUID,
           form: VerifiedForm, session: SessionDep) -> Response:
    """Approve all, approve part (fewer kinds of information or services, a shorter time) or decline."""
    pending = _pending(session, caller, subject, request_id)
    state = FormState.from_form(form)
    choice = state.value("answer")
    categories = [v for v in form.getlist("categories") if isinstance(v, str)]
    holders = [v for v in form.getlist("holders") if isinstance(v, str)]
    days: int | None = None
    if choice not in ANSWERS:
        state.add_error("answer", "Select whether you agree to all of it, part of it, or none of it",
                        anchor="answer")
    elif choice == "approve_part":
        asked_categories = {c.value for c in pending.categories}
        asked_holders = {h.value for h in pending.holders}
        if not categories or not set(categories) <= asked_categories:
            state.add_error("categories", "Select at least one kind of information you agree to share",
                            anchor="categories")
        if not holders or not set(holders) <= asked_holders:
            state.add_error("holders", "Select at least one service that may share it", anchor="holders")
        typed = state.read_text("days", max_length=5)
        if typed:
            if not typed.isdigit() or not 1 <= int(typed) <= pending.valid_for_days:
                state.add_error("days", f"Enter a number of days from 1 to {pending.valid_for_days}")
            else:
                days = int(typed)
    if state.has_errors:
        return _answer_page(request, caller, subject, pending, state, categories, holders)
    data = AnswerCreate(
        answer=choice,
        categories=categories if choice == "approve_part" else None,
        holder_organisation_ids=[uuid.UUID(h) for h in holders] if choice == "approve_part" else None,
        valid_for_days=days,
    )
    _, consent = consent_actions.answer(session, caller, request_id, data)
    done = f"/family/{subject.id}/requests/{request_id}/answered"
    if consent is not None:
        done += f"?permission={consent.id}"
    return RedirectResponse(done, status_code=303)


@router.get("/{subject_id}/requests/{request_id}/preview", response_class=HTMLResponse)
def preview(request: Request, caller: Family, subject: PageSubjectInScope, request_id: uuid.UUID,
            session: SessionDep) -> HTMLResponse:
    """Before answering: what each service would share, as titles, dates and kinds, not contents."""
    pending = _pending(session, caller, subject, request_id)
    services = family_preview.preview(session, caller, request.app.state.settings, request.app.state.adapters,
                                      subject.id, request_id)
    return _page(request, "family/preview.html", {"child": _child(caller, subject), "item": pending,
                                                  "services": services})


@router.get("/{subject_id}/requests/{request_id}/answered", response_class=HTMLResponse)
def answered(request: Request, caller: Family, subject: PageSubjectInScope, request_id: uuid.UUID,
             session: SessionDep, permission: uuid.UUID | None = None) -> HTMLResponse:
    """The confirmation: what was agreed (if anything), and the receipt to download."""
    given = family_view.permission(session, caller, subject.id, permission) if permission else None
    return _page(request, "family/answered.html", {"child": _child(caller, subject), "permission": given})


@router.get("/{subject_id}/permissions", response_class=HTMLResponse)
def permissions_page(request: Request, caller: Family, subject: PageSubjectInScope, session: SessionDep,
                     withdrawn: uuid.UUID | None = None) -> HTMLResponse:
    """Every permission about the child: what it allows, since and until when; what the council
    has gathered on its statutory duty (shared, when and why: not the family's to withdraw); and,
    after a withdrawal, what stopped and what did not, and why."""
    effects = family_release.withdrawal_effects(session, caller, subject.id, withdrawn) if withdrawn else None
    return _page(request, "family/permissions.html", {
        "child": _child(caller, subject), "permissions": family_view.permissions(session, caller, subject.id),
        "withdrawn": withdrawn is not None, "effects": effects,
        "statutory": family_release.statutory_shares(session, caller, subject.id),
        "grace_days": request.app.state.settings.withdrawal_grace_days,
    })


def _active(session: SessionDep, caller: Principal, subject: Person, consent_id: uuid.UUID) -> family_view.Permission:
    found = family_view.permission(session, caller, subject.id, consent_id)
    if found is None or found.status is not Status.active:
        raise NotFound("There is no permission with that id that you can withdraw.")
    return found


@router.get("/{subject_id}/permissions/{consent_id}/withdraw", response_class=HTMLResponse)
def withdraw_form(request: Request, caller: Family, subject: PageSubjectInScope, consent_id: uuid.UUID,
                  session: SessionDep) -> HTMLResponse:
    """Are you sure? Exactly what stops if the permission is withdrawn, what does not, and why."""
    return render_form_page(request, "family/withdraw.html", FormState(), _withdraw_context(
        request, session, caller, subject, consent_id))


def _withdraw_context(request: Request, session: SessionDep, caller: Principal, subject: Person,
                      consent_id: uuid.UUID) -> dict[str, Any]:
    return {"child": _child(caller, subject), "permission": _active(session, caller, subject, consent_id),
            "effects": family_release.withdrawal_effects(session, caller, subject.id, consent_id),
            "grace_days": request.app.state.settings.withdrawal_grace_days}


@router.post("/{subject_id}/permissions/{consent_id}/withdraw")
def withdraw(request: Request, caller: Family, subject: PageSubjectInScope, consent_id: uuid.UUID,
             form: VerifiedForm, session: SessionDep) -> Response:
    """Withdraw the permission: sharing under it stops now."""
    _active(session, caller, subject, consent_id)
    state = FormState.from_form(form)
    reason = state.read_text("reason", max_length=2000, too_long="Your reason must be 2000 characters or fewer")
    if state.has_errors:
        return render_form_page(request, "family/withdraw.html", state, _withdraw_context(
            request, session, caller, subject, consent_id))
    erasure.withdraw(session, caller, consent_id, ConsentWithdraw(reason=reason or None),
                     request.app.state.settings, request.app.state.record_encryption)
    return RedirectResponse(f"/family/{subject.id}/permissions?withdrawn={consent_id}", status_code=303)


@router.get("/{subject_id}/permissions/{consent_id}/receipt")
def receipt(request: Request, caller: Family, subject: PageSubjectInScope, consent_id: uuid.UUID,
            session: SessionDep) -> Response:
    """The permission's signed receipt, as a file to keep."""
    if family_view.permission(session, caller, subject.id, consent_id) is None:
        raise NotFound("There is no permission with that id.")
    signed = signed_receipt(request, session, caller, consent_id)
    return Response(
        json.dumps(signed.model_dump(mode="json"), indent=2), media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="permission-receipt-{consent_id}.json"'},
    )


@router.get("/{subject_id}/access", response_class=HTMLResponse)
def access_page(request: Request, caller: Family, subject: PageSubjectInScope, session: SessionDep,
                page: str | None = None) -> HTMLResponse:
    """Who has seen or asked for the child's information, newest first, a page at a time
    (``page`` is a cursor from the previous or next page link)."""
    history = family_view.access_history(
        session, caller, subject.id, secret=request.app.state.settings.secret_key.get_secret_value(), cursor=page)
    return _page(request, "family/access.html", {
        "child": _child(caller, subject), "entries": history.lines, "older": history.older,
        "newer": history.newer, "first_page": page is None,
    })
