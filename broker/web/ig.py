"""Information governance pages: search, open and export the audit log; check its integrity;
review break-glass accesses; and reports of denials and unusual volumes of access.

Every search, look-up and export is itself recorded in the audit log, as the API's are.
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from audit.export import entry_record
from broker.audit_trail import governance
from broker.auth.principal import Principal, Role
from broker.auth.sessions import require_web_roles
from broker.break_glass import reviews
from broker.break_glass import service as break_glass
from broker.break_glass.models import BreakGlassAccess
from broker.break_glass.schemas import BreakGlassReviewCreate, ReviewOutcome
from broker.platform.clock import council_today
from broker.platform.db import SessionDep
from broker.platform.errors import BrokerError
from broker.web.forms import FormState, VerifiedForm, render_form_page
from consent.models import utcnow

router = APIRouter(prefix="/ig", include_in_schema=False)

Auditor = Annotated[Principal, Depends(require_web_roles(Role.ig_auditor))]
PAGE_SIZE = 25
EXPORT_LIMIT = 50_000
FILTER_FIELDS = ("subject", "actor", "organisation", "event_type",
                 "from-day", "from-month", "from-year", "to-day", "to-month", "to-year")


# --- Searching the log ------------------------------------------------------------------------

def _read_search(session: Session, state: FormState) -> governance.AuditSearch:
    """The search form's filters; errors go on ``state``."""
    subject_id = actor_user_id = actor_organisation_id = None
    subject = state.read_text("subject", max_length=36, too_long="Subject id must be 36 characters or fewer")
    if subject:
        try:
            subject_id = str(uuid.UUID(subject))
        except ValueError:
            state.add_error("subject", "Enter the subject id in full, like 0b5c1f4e-6f1d-4f53-9c3e-2d6d1c9a1b7e")
    actor = state.read_text("actor", max_length=100, too_long="Username must be 100 characters or fewer")
    if actor:
        actor_user_id = governance.user_id_for(session, actor)
        if actor_user_id is None:
            state.add_error("actor", "There is no user with this username")
    code = state.read_text("organisation", max_length=64, too_long="Organisation code must be 64 characters or fewer")
    if code:
        actor_organisation_id = governance.organisation_id_for(session, code)
        if actor_organisation_id is None:
            state.add_error("organisation", "There is no organisation with this code")
    event_type = state.read_text("event_type", max_length=100, too_long="Event type must be 100 characters or fewer")
    since = state.read_date("from", label="Start date", required=False, past=False)
    until = state.read_date("to", label="End date", required=False, past=False)
    if since and until and until < since:
        state.add_error("to", "End date must be the same as or after the start date", anchor="to-day",
                        parts=("day", "month", "year"))
    start, end = governance.day_range(since, until)
    return governance.AuditSearch(subject_id=subject_id, actor_user_id=actor_user_id,
                                  actor_organisation_id=actor_organisation_id,
                                  event_types=(event_type,) if event_type else (), since=start, until=end)


def _query_string(state: FormState, **extra: str) -> str:
    values = {k: state.value(k) for k in FILTER_FIELDS if state.value(k)}
    return urlencode({**values, **extra})


@router.get("/audit", response_class=HTMLResponse)
def audit_search(request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """Search the audit log by subject, actor, organisation, event type and dates; 25 entries a page."""
    state = FormState.from_form(request.query_params)
    searched = any(state.value(k) for k in FILTER_FIELDS) or "search" in request.query_params
    context: dict[str, Any] = {"entries": None, "next_url": None, "export_query": ""}
    if not searched:
        return render_form_page(request, "ig/audit.html", state, context)
    search = _read_search(session, state)
    after = state.value("after")
    after_seq = int(after) if after.isdigit() else None
    if state.has_errors:
        return render_form_page(request, "ig/audit.html", state, context)
    page = governance.search_entries(session, caller, search, after_seq=after_seq, limit=PAGE_SIZE)
    context.update(
        entries=[entry_record(e) for e in page.entries],
        next_url=f"/ig/audit?{_query_string(state, search='1', after=str(page.entries[-1].seq))}" if page.more else None,
        export_query=_query_string(state),
        first_page=after_seq is None,
    )
    return render_form_page(request, "ig/audit.html", state, context)


@router.get("/audit/export")
def audit_export(request: Request, caller: Auditor, session: SessionDep) -> Response:
    """Download the filtered entries with their inclusion proofs (JSON Lines or CSV)."""
    state = FormState.from_form(request.query_params)
    search = _read_search(session, state)
    fmt = state.value("format") or "jsonl"
    if fmt not in ("jsonl", "csv"):
        state.add_error("format", "Choose JSON Lines or CSV")
    if state.has_errors:
        return render_form_page(request, "ig/audit.html", state, {"entries": None, "next_url": None, "export_query": ""})
    out = io.StringIO()
    governance.export_entries(session, caller, request.app.state.settings, search, out, fmt, limit=EXPORT_LIMIT)
    media = "application/jsonl" if fmt == "jsonl" else "text/csv"
    name = f"audit-export-{utcnow():%Y%m%dT%H%M%SZ}.{fmt}"
    return Response(out.getvalue(), media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/audit/{seq}", response_class=HTMLResponse)
def audit_entry(seq: int, request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """One audit entry, every field; the look-up is recorded."""
    entry = governance.read_entry(session, caller, seq)
    return request.app.state.templates.TemplateResponse(request, "ig/entry.html", {"entry": entry_record(entry)})


# --- Integrity --------------------------------------------------------------------------------

def _integrity_page(request: Request, session: Session, state: FormState, result: dict[str, Any] | None) -> HTMLResponse:
    status = governance.integrity_status(session)
    return render_form_page(request, "ig/integrity.html", state, {
        "checkpoint": status.checkpoint, "entries_in_log": status.entries_in_log, "result": result,
    })


@router.get("/integrity", response_class=HTMLResponse)
def integrity(request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """The latest signed checkpoint, and a button to verify the whole log now."""
    return _integrity_page(request, session, FormState(), None)


@router.post("/integrity", response_class=HTMLResponse)
def run_verification(request: Request, caller: Auditor, form: VerifiedForm, session: SessionDep) -> HTMLResponse:
    """Verify every entry, the stored tree and every signed checkpoint now; show pass or fail and speed."""
    run = governance.verify_now(request.app.state.database, session, caller, request.app.state.settings)
    report = run.report
    result = {
        "ok": report.ok, "entries": report.entries_checked, "checkpoints": report.checkpoints_checked,
        "first_bad_entry": report.first_bad_entry, "bad_range": report.bad_range,
        "problems": report.problems, "seconds": run.seconds, "rate": run.rate,
    }
    return _integrity_page(request, session, FormState(), result)


# --- Break-glass reviews ----------------------------------------------------------------------

OUTCOME_LABELS = {
    ReviewOutcome.appropriate.value: "Appropriate",
    ReviewOutcome.not_appropriate.value: "Not appropriate",
    ReviewOutcome.referred.value: "Referred (for example to the Caldicott guardian)",
}


@router.get("/break-glass", response_class=HTMLResponse)
def break_glass_queue(request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """Break-glass accesses waiting for review, overdue and earliest due first; then recent reviews."""
    pending, reviewed = reviews.review_queue(session, utcnow(), council_today())
    return request.app.state.templates.TemplateResponse(
        request, "ig/break_glass.html", {"pending": pending, "reviewed": reviewed, "outcomes": OUTCOME_LABELS})


def _review_page(request: Request, session: Session, access: BreakGlassAccess, state: FormState) -> HTMLResponse:
    view = reviews.under_review(session, access, utcnow(), council_today())
    return render_form_page(request, "ig/break_glass_review.html", state, vars(view) | {"outcomes": OUTCOME_LABELS})


@router.get("/break-glass/{access_id}", response_class=HTMLResponse)
def break_glass_review_form(access_id: uuid.UUID, request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """One access: who opened it, why, for which child; and the review form while it is unreviewed."""
    return _review_page(request, session, reviews.access_to_review(session, access_id), FormState())


@router.post("/break-glass/{access_id}", response_class=HTMLResponse)
def break_glass_review(
    access_id: uuid.UUID, request: Request, caller: Auditor, form: VerifiedForm, session: SessionDep,
) -> Response:
    """Record the outcome, notes, and whether the family may be told (with a reason if not)."""
    access = reviews.access_to_review(session, access_id)
    state = FormState.from_form(form)
    outcome = state.value("outcome")
    if outcome not in OUTCOME_LABELS:
        state.add_error("outcome", "Select the outcome of the review", anchor="outcome")
    notes = state.read_text("notes", max_length=4000, too_long="Notes must be 4,000 characters or fewer")
    if outcome and outcome != ReviewOutcome.appropriate.value and len(notes) < 3:
        state.add_error("notes", "Say why the access was not appropriate or was referred")
    told = state.value("family_may_be_told")
    if told not in ("yes", "no"):
        state.add_error("family_may_be_told", "Select whether the family may be told", anchor="family_may_be_told")
    reason = state.read_text("withheld_reason", max_length=4000, too_long="Reason must be 4,000 characters or fewer")
    if told == "no" and len(reason) < 3:
        state.add_error("withheld_reason", "Say why telling the family would put the child at risk")
    if state.has_errors:
        return _review_page(request, session, access, state)
    try:
        data = BreakGlassReviewCreate(
            outcome=outcome, notes=notes or None, family_may_be_told=told == "yes",
            withheld_from_family_reason=reason if told == "no" else None)
        break_glass.review_access(session, caller, access.id, data)
    except ValidationError:
        state.add_error("notes", "Notes must be at least 3 characters")
        return _review_page(request, session, access, state)
    except BrokerError as exc:
        state.add_error("outcome", exc.detail, anchor="outcome")
        return _review_page(request, session, access, state)
    return RedirectResponse(f"/ig/break-glass/{access.id}?reviewed=1", status_code=303)


# --- Reports ----------------------------------------------------------------------------------

@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """Denials and refusals in a period, and users whose access to children's records exceeds a
    multiple of the median user's in that period (last 30 days unless dates are given)."""
    state = FormState.from_form(request.query_params)
    since = state.read_date("from", label="Start date", required=False, past=False)
    until = state.read_date("to", label="End date", required=False, past=False)
    multiple_text = state.read_text("multiple", max_length=5) or "3"
    state.values["multiple"] = multiple_text
    try:
        multiple = float(multiple_text)
        if not 1 <= multiple <= 100:
            raise ValueError
    except ValueError:
        state.add_error("multiple", "Enter a number between 1 and 100, like 3")
        multiple = 3.0
    today = council_today()
    until = until or today
    since = since or until - timedelta(days=30)
    if until < since:
        state.add_error("to", "End date must be the same as or after the start date", anchor="to-day",
                        parts=("day", "month", "year"))
    context: dict[str, Any] = {"since": since, "until": until, "multiple": multiple, "denials": [], "volumes": [],
                               "median": 0}
    if state.has_errors:
        return render_form_page(request, "ig/reports.html", state, context)
    report = governance.access_report(session, caller, since, until, multiple)
    context.update(denials=[entry_record(e) for e in report.denials], volumes=report.volumes,
                   unusual=report.unusual, median=report.median)
    return render_form_page(request, "ig/reports.html", state, context)
