"""Caseworkers' pages: their EHC needs assessments with the clocks and overdue advice, opening a
case for a child, advice requests, the permission status per source, gathering and the gathered
bundle with its provenance, asking the family for what is missing, and the identity review queue."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from broker.assessments import lookups
from broker.assessments import service as assessments
from broker.assessments.models import Assessment
from broker.assessments.schemas import AdviceRequestCreate, AdviceType, AssessmentCreate
from broker.auth.principal import Principal, Role
from broker.auth.sessions import require_web_roles
from broker.families.family_view import category_label, full_name
from broker.gathering import service as gathering
from broker.gathering.case_gather import gather_case
from broker.gathering.recorded import recorded_gather
from broker.gathering.schemas import BundleRead, GatherRead
from broker.identity import linking
from broker.identity.holders import holdings
from broker.permissions import case_permissions
from broker.permissions.purposes import Purpose
from broker.platform.clock import council_today
from broker.platform.db import DatabaseDep, SessionDep
from broker.platform.errors import Conflict, InvalidInput, NotFound
from broker.records.encryption.service import RecordEncryptionDep
from broker.web.forms import FormState, VerifiedForm, render_form_page
from consent.models import Organisation, Person, utcnow

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[Principal, Depends(require_web_roles(Role.caseworker))]

ADVICE_LABELS = {
    AdviceType.family_views: "The family's views",
    AdviceType.education: "Educational advice",
    AdviceType.health: "Medical advice",
    AdviceType.psychological: "Psychological advice",
    AdviceType.social_care: "Social care advice",
    AdviceType.preparing_for_adulthood: "Preparing for adulthood",
    AdviceType.other: "Other advice",
}
SOURCE_SYSTEMS = {
    "education": "Education records system", "social_care": "Social care records system",
    "educational_psychology": "Educational psychology records system", "ep_paper": "Scanned paper files",
}
SOURCE_STATUS = {
    "ok": "Answered", "timeout": "Did not answer in time", "down": "Not available",
    "not_linked": "Child's record not linked yet", "not_asked": "Not asked: no permission",
    "holder_unknown": "Not asked: school not registered", "holder_changed": "Not released: school changed",
}


def _page(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context)


def own_case(session: SessionDep, caller: Principal, assessment_id: uuid.UUID) -> Assessment:
    case = assessments.visible_assessment(session, caller, assessment_id)
    if case.organisation_id != caller.organisation_id:
        raise NotFound("There is no assessment with that id among your team's cases.")
    return case


def _subject(session: SessionDep, subject_id: uuid.UUID) -> Person:
    return lookups.child(session, subject_id)


def _organisations(session: SessionDep, ids: set[uuid.UUID]) -> dict[str, str]:
    return lookups.organisation_names(session, ids)


@router.get("/assessments", response_class=HTMLResponse)
def overview(request: Request, caller: Caseworker, session: SessionDep, officer: str = "me") -> HTMLResponse:
    """Open assessments, most urgent first, with their clocks, overdue advice and case officer:
    yours (``?officer=me``, the default) or all your team's (``?officer=all``)."""
    if officer not in ("me", "all"):
        raise InvalidInput("Choose your cases (officer=me) or all your team's cases (officer=all).")
    cases = assessments.overview(session, caller, "open", council_today(), own_only=officer == "me")
    return _page(request, "casework/assessments.html", {
        "cases": cases, "advice_labels": ADVICE_LABELS, "officer": officer,
        "counts": assessments.overview_counts(session, caller, "open"),
    })


@router.get("/children/{child_id}/assessments/new", response_class=HTMLResponse)
def open_form(request: Request, caller: Caseworker, child_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """Open an EHC needs assessment: the day the request was received starts the clocks."""
    child = _subject(session, child_id)
    existing = assessments.open_case_for(session, caller, child.id, Purpose.EHC_NEEDS_ASSESSMENT.value)
    return render_form_page(request, "casework/open.html", FormState(),
                            {"child": child, "name": full_name(child), "existing": existing})


@router.post("/children/{child_id}/assessments/new")
def open_case(request: Request, caller: Caseworker, child_id: uuid.UUID, form: VerifiedForm,
              session: SessionDep) -> Response:
    """Open the case and go to it."""
    child = _subject(session, child_id)
    state = FormState.from_form(form)
    received = state.read_date("received", label="The date the request was received", past=False)
    today = council_today()
    if received is not None and received > today:
        state.add_error("received", "The date the request was received must be today or in the past",
                        anchor="received-day", parts=("day", "month", "year"))
    if state.has_errors or received is None:
        return render_form_page(request, "casework/open.html", state, {"child": child, "name": full_name(child)})
    case = assessments.open_assessment(session, caller, AssessmentCreate(
        subject_id=child.id, received_on=received, purpose=Purpose.EHC_NEEDS_ASSESSMENT), today)
    return RedirectResponse(f"/assessments/{case.id}?opened=1", status_code=303)


def _case_context(request: Request, session: SessionDep, caller: Principal, case: Assessment) -> dict[str, Any]:
    described = assessments.describe_assessment(session, case, council_today())
    settings, registry = request.app.state.settings, request.app.state.adapters
    held_by = holdings(session, settings, registry, case.subject_id)
    status = case_permissions.permission_status(session, caller, settings, registry, case.subject_id, case.purpose,
                                                held_by=held_by, assessment_id=case.id)
    return {"case": described, "permissions": status, "advice_labels": ADVICE_LABELS,
            "missing": any(s.missing for s in status), "systems": SOURCE_SYSTEMS,
            "holders_not_known": [h for h in held_by if h.holder_id is None]}


@router.get("/assessments/{assessment_id}", response_class=HTMLResponse)
def case_page(request: Request, caller: Caseworker, assessment_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """One case: its clocks, advice requests, the permission per source and category, and Gather."""
    case = own_case(session, caller, assessment_id)
    return _page(request, "casework/case.html", _case_context(request, session, caller, case))


def advice_givers(session: SessionDep) -> list[Organisation]:
    return lookups.advice_givers(session)


def _advice_page(request: Request, session: SessionDep, case: Assessment, state: FormState) -> HTMLResponse:
    return render_form_page(request, "casework/advice.html", state, {
        "case": case, "advice_labels": ADVICE_LABELS, "organisations": advice_givers(session),
    })


@router.get("/assessments/{assessment_id}/advice", response_class=HTMLResponse)
def advice_form(request: Request, caller: Caseworker, assessment_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """Record that advice was asked for under reg 6(1)."""
    return _advice_page(request, session, own_case(session, caller, assessment_id), FormState())


@router.post("/assessments/{assessment_id}/advice")
def record_advice(request: Request, caller: Caseworker, assessment_id: uuid.UUID, form: VerifiedForm,
                  session: SessionDep) -> Response:
    """Record the advice request; its 6-week clock starts on the day it was asked for."""
    case = own_case(session, caller, assessment_id)
    state = FormState.from_form(form)
    kind = state.value("advice_type")
    organisation: uuid.UUID | None = None
    if kind not in {t.value for t in AdviceType}:
        state.add_error("advice_type", "Select the kind of advice", anchor="advice_type")
    elif kind != AdviceType.family_views.value:
        try:
            organisation = uuid.UUID(state.value("organisation"))
        except ValueError:
            state.add_error("organisation", "Select who was asked for the advice")
    requested = state.read_date("requested", label="The date the advice was asked for", required=False, past=False)
    if requested is not None and requested > council_today():
        state.add_error("requested", "The date the advice was asked for must be today or in the past",
                        anchor="requested-day", parts=("day", "month", "year"))
    if requested is not None and requested < case.received_on:
        state.add_error("requested", "The date the advice was asked for must be on or after the day the request "
                        f"was received ({case.received_on.strftime('%-d %B %Y')})",
                        anchor="requested-day", parts=("day", "month", "year"))
    if state.has_errors:
        return _advice_page(request, session, case, state)
    try:
        assessments.add_advice_request(session, caller, case.id, AdviceRequestCreate(
            advice_type=AdviceType(kind), organisation_id=organisation, requested_on=requested),
            council_today())
    except (InvalidInput, Conflict) as refused:
        state.add_error("advice_type", str(refused.detail), anchor="advice_type")
        return _advice_page(request, session, case, state)
    return RedirectResponse(f"/assessments/{case.id}?advice=1", status_code=303)


@router.post("/assessments/{assessment_id}/gather")
async def gather(request: Request, caller: Caseworker, assessment_id: uuid.UUID, form: VerifiedForm,
                 database: DatabaseDep, encryption: RecordEncryptionDep) -> Response:
    """Find the child in the source systems, then gather what the release policy allows (the
    same use case as the API's gather), and go to the answer (POST-redirect-GET: reloading the
    answer never gathers again)."""
    result = await gather_case(database, caller, request.app.state.settings, request.app.state.adapters, encryption,
                               assessment_id=assessment_id)
    return RedirectResponse(f"/assessments/{assessment_id}/gathers/{result.id}", status_code=303)


@router.get("/assessments/{assessment_id}/gathers/{gather_id}", response_class=HTMLResponse)
def gathered(request: Request, caller: Caseworker, assessment_id: uuid.UUID, gather_id: uuid.UUID,
             session: SessionDep, encryption: RecordEncryptionDep) -> HTMLResponse:
    """One of your gathers for this case: per source what was released, what was withheld and why,
    and which permission is missing, read back from the gather's audit entry and the stored bundle
    (the sources are not asked again). Another person's gather, or another case's, is not found."""
    case = own_case(session, caller, assessment_id)
    result = recorded_gather(session, caller, encryption, gather_id, subject_id=case.subject_id,
                             purpose=case.purpose, case_reference=case.reference, assessment_id=case.id)
    if result is None:
        raise NotFound("There is no gather with that id among your gathers for this case.")
    held_by = {s.holder_organisation_id for s in result.sources if s.holder_organisation_id}
    return _page(request, "casework/gathered.html", {
        "case": case, "name": full_name(_subject(session, case.subject_id)), "result": GatherRead.of(result),
        "waiting_for_review": linking.waiting_for_review(session, case.subject_id),
        "holders": _organisations(session, held_by),
        "status_labels": SOURCE_STATUS, "systems": SOURCE_SYSTEMS, "label": category_label,
    })


@router.get("/assessments/{assessment_id}/bundle", response_class=HTMLResponse)
def bundle(request: Request, caller: Caseworker, assessment_id: uuid.UUID, session: SessionDep,
           encryption: RecordEncryptionDep) -> HTMLResponse:
    """The gathered items your team may see now, each with where it came from, when, and under
    which permission; what is no longer served, and why."""
    case = own_case(session, caller, assessment_id)
    now = utcnow()
    read = BundleRead.of(gathering.bundle(session, caller, encryption, case.subject_id, case.purpose, case.reference,
                                          case.id), now)
    holders = {i.provenance.holder_organisation_id for i in read.items if i.provenance.holder_organisation_id}
    return _page(request, "casework/bundle.html", {
        "case": case, "name": full_name(_subject(session, case.subject_id)), "bundle": read,
        "holders": _organisations(session, holders), "systems": SOURCE_SYSTEMS, "label": category_label,
    })


def _ask_page(request: Request, session: SessionDep, caller: Principal, case: Assessment, state: FormState,
              ticked: list[str] | None) -> HTMLResponse:
    status = case_permissions.permission_status(session, caller, request.app.state.settings,
                                                request.app.state.adapters, case.subject_id, case.purpose,
                                                assessment_id=case.id)
    missing = [m for s in status for m in s.missing]
    options = list({m.code: m for m in missing}.values())
    return render_form_page(request, "casework/ask.html", state, {
        "case": case, "name": full_name(_subject(session, case.subject_id)), "options": options,
        "ticked": [o.code for o in options] if ticked is None else ticked,
        "sources": [s for s in status if s.missing],
    })


@router.get("/assessments/{assessment_id}/ask", response_class=HTMLResponse)
def ask_form(request: Request, caller: Caseworker, assessment_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """Ask the family, in one request, for the permissions this case is missing."""
    return _ask_page(request, session, caller, own_case(session, caller, assessment_id), FormState(), None)


@router.post("/assessments/{assessment_id}/ask")
def ask(request: Request, caller: Caseworker, assessment_id: uuid.UUID, form: VerifiedForm,
        session: SessionDep) -> Response:
    """Raise the consent request; everyone who may decide for the child is told."""
    case = own_case(session, caller, assessment_id)
    state = FormState.from_form(form)
    categories = [v for v in form.getlist("categories") if isinstance(v, str)]
    if not categories:
        state.add_error("categories", "Select at least one kind of information to ask for", anchor="categories")
    why = state.read_text("why", missing="Say why you need the information", max_length=2000,
                          too_long="Why you need it must be 2000 characters or fewer")
    if why and len(why) < 10:
        state.add_error("why", "Say in a sentence why you need the information")
    typed = state.read_text("days", missing="Enter how many days the permission would last", max_length=5)
    if typed and (not typed.isdigit() or not 1 <= int(typed) <= 730):
        state.add_error("days", "Enter a number of days from 1 to 730")
    if_declined = state.read_text("if_declined", missing="Say what happens if the family says no", max_length=2000,
                                  too_long="What happens if they say no must be 2000 characters or fewer")
    if if_declined and len(if_declined) < 10:
        state.add_error("if_declined", "Say in a sentence what happens if the family says no")
    if not state.has_errors:
        try:
            case_permissions.ask_family(session, caller, request.app.state.settings, request.app.state.adapters,
                                subject_id=case.subject_id, purpose=case.purpose, categories=categories, why=why,
                                valid_for_days=int(typed), if_declined=if_declined, assessment_id=case.id)
        except InvalidInput:
            state.add_error("categories", "Select information that is still missing", anchor="categories")
    if state.has_errors:
        return _ask_page(request, session, caller, case, state, categories)
    return RedirectResponse(f"/assessments/{case.id}?asked=1", status_code=303)


@router.get("/identity-reviews", response_class=HTMLResponse)
def identity_reviews(request: Request, caller: Caseworker, session: SessionDep) -> HTMLResponse:
    """Possible matches between a child and a source system's record, waiting for a person to decide."""
    links, total = linking.review_queue(session)
    return render_form_page(request, "casework/identity_reviews.html", FormState(), {"links": links, "total": total})


@router.post("/identity-reviews/{link_id}")
def decide_identity(request: Request, caller: Caseworker, link_id: uuid.UUID, form: VerifiedForm,
                    session: SessionDep) -> Response:
    """Confirm that the record is the same child, or reject the match."""
    state = FormState.from_form(form)
    choice = state.value("same_person")
    version = state.value("version")
    if choice not in ("yes", "no") or not version.isdigit():
        links, total = linking.review_queue(session)
        state.add_error(f"same_person-{link_id}", "Select whether this is the same child",
                        anchor=f"same_person-{link_id}")
        return render_form_page(request, "casework/identity_reviews.html", state,
                                {"links": links, "total": total, "error_link": str(link_id)})
    linking.decide_link(session, caller, link_id, same_person=choice == "yes", version=int(version), reason=None)
    return RedirectResponse(f"/identity-reviews?decided={'confirmed' if choice == 'yes' else 'rejected'}",
                            status_code=303)
