"""Information governance pages: search, open and export the audit log; check its integrity;
review break-glass accesses; and reports of denials and unusual volumes of access.

Every search, look-up and export is itself recorded in the audit log, as the API's are.
"""

from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import repository as audit_repository
from audit import service as audit_service
from audit.events import AuditEvent
from audit.export import entry_record
from audit.verification import verify_log
from broker.accounts.models import User
from broker.assessments.service import council_today
from broker.audit_trail import auditing, catalogue
from broker.auth.principal import Principal, Role
from broker.auth.sessions import require_web_roles
from broker.break_glass import repository as break_glass_repository
from broker.break_glass import service as break_glass
from broker.break_glass.schemas import BreakGlassReviewCreate, ReviewOutcome
from broker.platform.db import SessionDep, read_one_snapshot
from broker.platform.errors import BrokerError, NotFound
from broker.web.forms import FormState, VerifiedForm, render_form_page
from consent.models import Organisation, Person, utcnow

router = APIRouter(prefix="/ig", include_in_schema=False)

Auditor = Annotated[Principal, Depends(require_web_roles(Role.ig_auditor))]
PAGE_SIZE = 25
EXPORT_LIMIT = 50_000
FILTER_FIELDS = ("subject", "actor", "organisation", "event_type",
                 "from-day", "from-month", "from-year", "to-day", "to-month", "to-year")


def _record(session: Session, event: AuditEvent) -> None:
    auditing.record(session, event)


# --- Searching the log ------------------------------------------------------------------------

def _resolve(session: Session, state: FormState, filters: dict[str, Any], name: str, query: Any,
             key: str, unknown: str) -> None:
    """Turn what the auditor typed (a username, an organisation code) into the id the log holds."""
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        state.add_error(name, unknown)
    else:
        filters[key] = str(found)


def _read_filters(session: Session, state: FormState) -> dict[str, Any]:
    """The search form's filters as ``find_entries`` arguments; errors go on ``state``."""
    filters: dict[str, Any] = {}
    subject = state.read_text("subject", max_length=36, too_long="Subject id must be 36 characters or fewer")
    if subject:
        try:
            filters["subject_id"] = str(uuid.UUID(subject))
        except ValueError:
            state.add_error("subject", "Enter the subject id in full, like 0b5c1f4e-6f1d-4f53-9c3e-2d6d1c9a1b7e")
    actor = state.read_text("actor", max_length=100, too_long="Username must be 100 characters or fewer")
    if actor:
        _resolve(session, state, filters, "actor", select(User.id).where(User.username == actor),
                 "actor_user_id", "There is no user with this username")
    code = state.read_text("organisation", max_length=64, too_long="Organisation code must be 64 characters or fewer")
    if code:
        _resolve(session, state, filters, "organisation", select(Organisation.id).where(Organisation.code == code.upper()),
                 "actor_organisation_id", "There is no organisation with this code")
    event_type = state.read_text("event_type", max_length=100, too_long="Event type must be 100 characters or fewer")
    if event_type:
        filters["event_types"] = [event_type]
    since = state.read_date("from", label="Start date", required=False, past=False)
    until = state.read_date("to", label="End date", required=False, past=False)
    if since and until and until < since:
        state.add_error("to", "End date must be the same as or after the start date", anchor="to-day",
                        parts=("day", "month", "year"))
    if since:
        filters["since"] = datetime.combine(since, clock.min, UTC)
    if until:
        filters["until"] = datetime.combine(until + timedelta(days=1), clock.min, UTC)
    return filters


def _described(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in filters.items() if v}


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
    filters = _read_filters(session, state)
    after = state.value("after")
    after_seq = int(after) if after.isdigit() else None
    if state.has_errors:
        return render_form_page(request, "ig/audit.html", state, context)
    entries = audit_repository.find_entries(session, **filters, after_seq=after_seq, limit=PAGE_SIZE + 1)
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    _record(session, catalogue.audit_searched(caller, filters=_described(filters) | {"results": len(entries)}))
    context.update(
        entries=[entry_record(e) for e in entries],
        next_url=f"/ig/audit?{_query_string(state, search='1', after=str(entries[-1].seq))}" if more else None,
        export_query=_query_string(state),
        first_page=after_seq is None,
    )
    return render_form_page(request, "ig/audit.html", state, context)


@router.get("/audit/export")
def audit_export(request: Request, caller: Auditor, session: SessionDep) -> Response:
    """Download the filtered entries with their inclusion proofs (JSON Lines or CSV)."""
    state = FormState.from_form(request.query_params)
    filters = _read_filters(session, state)
    fmt = state.value("format") or "jsonl"
    if fmt not in ("jsonl", "csv"):
        state.add_error("format", "Choose JSON Lines or CSV")
    if state.has_errors:
        return render_form_page(request, "ig/audit.html", state, {"entries": None, "next_url": None, "export_query": ""})
    checkpoint = auditing.sign_checkpoint(session, request.app.state.settings)
    entries = audit_repository.find_entries(session, **filters, seqs_below=checkpoint.tree_size, limit=EXPORT_LIMIT)
    out = io.StringIO()
    count = auditing.export_entries(session, entries, checkpoint, request.app.state.settings, out, fmt)
    _record(session, catalogue.audit_exported(caller, filters=_described(filters) | {"results": count, "format": fmt}))
    media = "application/jsonl" if fmt == "jsonl" else "text/csv"
    name = f"audit-export-{utcnow():%Y%m%dT%H%M%SZ}.{fmt}"
    return Response(out.getvalue(), media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/audit/{seq}", response_class=HTMLResponse)
def audit_entry(seq: int, request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """One audit entry, every field; the look-up is recorded."""
    entry = audit_service.get_entry(session, seq)
    _record(session, catalogue.audit_searched(caller, filters={"seq": seq}))
    return request.app.state.templates.TemplateResponse(request, "ig/entry.html", {"entry": entry_record(entry)})


# --- Integrity --------------------------------------------------------------------------------

def _integrity_page(request: Request, session: Session, state: FormState, result: dict[str, Any] | None) -> HTMLResponse:
    checkpoint = audit_service.latest_checkpoint(session)
    return render_form_page(request, "ig/integrity.html", state, {
        "checkpoint": checkpoint, "entries_in_log": audit_repository.next_seq(session), "result": result,
    })


@router.get("/integrity", response_class=HTMLResponse)
def integrity(request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """The latest signed checkpoint, and a button to verify the whole log now."""
    return _integrity_page(request, session, FormState(), None)


@router.post("/integrity", response_class=HTMLResponse)
def run_verification(request: Request, caller: Auditor, form: VerifiedForm, session: SessionDep) -> HTMLResponse:
    """Verify every entry, the stored tree and every signed checkpoint now; show pass or fail and speed."""
    settings = request.app.state.settings
    database = request.app.state.database
    with database.unit_of_work() as signing:
        auditing.sign_checkpoint(signing, settings)
    started = time.perf_counter()
    # One snapshot for the whole check: other processes go on appending and extending the tree.
    with database.sessions() as snapshot:
        read_one_snapshot(snapshot)
        report = verify_log(snapshot, auditing.verifier(settings))
    seconds = time.perf_counter() - started
    _record(session, catalogue.audit_verified(
        caller, ok=report.ok, entries_checked=report.entries_checked,
        checkpoints_checked=report.checkpoints_checked, first_bad_entry=report.first_bad_entry,
        bad_range=list(report.bad_range) if report.bad_range else None))
    result = {
        "ok": report.ok, "entries": report.entries_checked, "checkpoints": report.checkpoints_checked,
        "first_bad_entry": report.first_bad_entry, "bad_range": report.bad_range,
        "problems": report.problems, "seconds": seconds,
        "rate": int(report.entries_checked / seconds) if seconds > 0 else report.entries_checked,
    }
    return _integrity_page(request, session, FormState(), result)


# --- Break-glass reviews ----------------------------------------------------------------------

OUTCOME_LABELS = {
    ReviewOutcome.appropriate.value: "Appropriate",
    ReviewOutcome.not_appropriate.value: "Not appropriate",
    ReviewOutcome.referred.value: "Referred (for example to the Caldicott guardian)",
}


def _name_of_person(session: Session, person_id: uuid.UUID) -> str:
    person = session.get(Person, person_id)
    return f"{person.given_name} {person.family_name}" if person else "Unknown"


def _name_of_user(session: Session, user_id: uuid.UUID | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "Unknown"


def _access_view(session: Session, access: Any, now: datetime, today: date) -> dict[str, Any]:
    read = break_glass.describe(access, now, today)
    return {"access": read, "child": _name_of_person(session, access.subject_id),
            "opened_by": _name_of_user(session, access.opened_by_user_id),
            "reviewed_by": _name_of_user(session, access.reviewed_by_user_id) if access.reviewed_by_user_id else None}


@router.get("/break-glass", response_class=HTMLResponse)
def break_glass_queue(request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """Break-glass accesses waiting for review, overdue and earliest due first; then recent reviews."""
    now, today = utcnow(), council_today()
    pending = [_access_view(session, a, now, today) for a in break_glass.list_reviews(session, False)]
    reviewed = [_access_view(session, a, now, today) for a in break_glass.list_reviews(session, True)]
    reviewed.sort(key=lambda v: v["access"].reviewed_at, reverse=True)
    return request.app.state.templates.TemplateResponse(
        request, "ig/break_glass.html", {"pending": pending, "reviewed": reviewed[:20], "outcomes": OUTCOME_LABELS})


def _get_access(session: Session, access_id: uuid.UUID) -> Any:
    access = break_glass_repository.get(session, access_id)
    if access is None:
        raise NotFound("No break-glass access with this id.")
    return access


def _review_page(request: Request, session: Session, access: Any, state: FormState) -> HTMLResponse:
    view = _access_view(session, access, utcnow(), council_today())
    return render_form_page(request, "ig/break_glass_review.html", state, view | {"outcomes": OUTCOME_LABELS})


@router.get("/break-glass/{access_id}", response_class=HTMLResponse)
def break_glass_review_form(access_id: uuid.UUID, request: Request, caller: Auditor, session: SessionDep) -> HTMLResponse:
    """One access: who opened it, why, for which child; and the review form while it is unreviewed."""
    return _review_page(request, session, _get_access(session, access_id), FormState())


@router.post("/break-glass/{access_id}", response_class=HTMLResponse)
def break_glass_review(
    access_id: uuid.UUID, request: Request, caller: Auditor, form: VerifiedForm, session: SessionDep,
) -> Response:
    """Record the outcome, notes, and whether the family may be told (with a reason if not)."""
    access = _get_access(session, access_id)
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

def _median(values: list[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


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
    start = datetime.combine(since, clock.min, UTC)
    end = datetime.combine(until + timedelta(days=1), clock.min, UTC)
    denials = audit_repository.find_refusals(session, since=start, until=end)
    counts = audit_repository.count_subject_entries_by_actor(session, since=start, until=end)
    median = _median([n for _, n in counts]) if counts else 0
    unusual = [(name, n) for name, n in counts if median and n > multiple * median]
    _record(session, catalogue.audit_reported(caller, since=start.isoformat(), until=end.isoformat(),
                                              denials=len(denials), unusual_users=len(unusual)))
    context.update(denials=[entry_record(e) for e in denials], volumes=counts, unusual=unusual, median=median)
    return render_form_page(request, "ig/reports.html", state, context)
