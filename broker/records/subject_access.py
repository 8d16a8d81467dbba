"""Subject access: everything the broker holds about one child, for information governance to
review before it is released (UK GDPR Art 15).

``subject_access_export`` gathers it into one JSON-ready dictionary: the child and their
identifiers, the links to each source system's record (with their history), the adults and
organisations related to the child, every permission with its full version and status history,
the consent requests and answers, the assessments, the gathered items (opened; an erased item is
listed as destroyed), the paper reports filed with the broker, the break-glass accesses, and the
whole audit history about the child (the fuller IG view, not the family's filtered one).
``render_report`` turns it into a readable HTML page.  Producing it is audited
(``subject_access.exported``): the auditors are audited too.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.models import EpPaperDocument, IdentityLink, IdentityLinkChange
from audit import repository as audit_repository
from broker.assessments.models import AdviceRequest, Assessment
from broker.audit_trail import auditing, catalogue
from broker.auth.principal import Principal
from broker.break_glass.models import BreakGlassAccess
from broker.gathering.models import TABLE, GatheredItem
from broker.gathering.repository import hold_subject
from broker.permissions import release_policy
from broker.permissions.release_policy import Release
from broker.platform.errors import NotFound
from broker.records.encryption.documents import PaperDocumentSealer
from broker.records.encryption.service import RecordEncryption, RecordShredded, RecordUnreadable, SealedField
from consent import service as consent_service
from consent.models import Organisation, Person, PersonIdentifier, Relationship, utcnow
from consent.vocabulary import DATA_CATEGORIES, PURPOSES

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
DESTROYED = "destroyed"


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _columns(row: object, names: list[str]) -> dict[str, Any]:
    return {name: _iso(getattr(row, name)) if not isinstance(getattr(row, name), uuid.UUID) else str(getattr(row, name))
            for name in names}


def subject_access_export(
    session: Session, encryption: RecordEncryption, subject_id: uuid.UUID, at: datetime | None = None,
) -> dict[str, Any]:
    """Everything held about the child ``subject_id``, as JSON-ready data (NotFound if none).
    The child is held first and the export's instant taken after, so it is one state of the
    child's permissions and items: a withdrawal either committed before it (and what rested
    only on it is gone) or waits for it."""
    hold_subject(session, subject_id)
    at = at or utcnow()
    subject = session.get(Person, subject_id)
    if subject is None or not subject.is_subject:
        raise NotFound("No such child or young person.")
    organisations = {o.id: o.name for o in session.scalars(select(Organisation))}
    return {
        "generated_at": at.isoformat(),
        "subject": {
            **_columns(subject, ["id", "given_name", "family_name", "date_of_birth", "sex", "address_confidential",
                                 "created_at"]),
            "identifiers": [{"scheme": i.scheme, "value": i.value} for i in session.scalars(
                select(PersonIdentifier).where(PersonIdentifier.person_id == subject_id)
                .order_by(PersonIdentifier.scheme))],
        },
        "identity_links": _identity_links(session, subject_id),
        "related_people": _related(session, subject_id, organisations),
        "permissions": [c.model_dump(mode="json") for c in
                        consent_service.list_consents(session, consent_service.AUTOMATIC, subject_id, at)],
        "consent_requests": [r.model_dump(mode="json") for r in
                             consent_service.list_requests(session, consent_service.AUTOMATIC, subject_id, at)],
        "assessments": _assessments(session, subject_id),
        "gathered_items": _gathered_items(session, encryption, subject_id, organisations),
        "paper_reports": _paper_reports(session, encryption, subject_id),
        "break_glass_accesses": [
            {**_columns(b, ["id", "reason_code", "reason_text", "opened_at", "expires_at", "review_due_on",
                            "reviewed_at", "review_outcome", "review_notes", "released_to_family_at",
                            "withheld_from_family_reason"]),
             "organisation": organisations.get(b.organisation_id) if b.organisation_id else None}
            for b in session.scalars(select(BreakGlassAccess).where(BreakGlassAccess.subject_id == subject_id)
                                     .order_by(BreakGlassAccess.opened_at))],
        "access_history": [
            {**_columns(e, ["seq", "recorded_at", "event_type", "outcome", "actor_username", "actor_role", "purpose",
                            "case_reference", "reason"]),
             "organisation": organisations.get(uuid.UUID(e.actor_organisation_id)) if e.actor_organisation_id else None,
             "details": e.details_data}
            for e in audit_repository.find_entries(session, subject_id=str(subject_id))],
    }


def _identity_links(session: Session, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    links = list(session.scalars(select(IdentityLink).where(IdentityLink.person_id == subject_id)
                                 .order_by(IdentityLink.source_system, IdentityLink.created_at)))
    changes = list(session.scalars(select(IdentityLinkChange).where(
        IdentityLinkChange.link_id.in_([link.id for link in links])).order_by(IdentityLinkChange.sequence)))
    return [{
        **_columns(link, ["id", "source_system", "source_person_ref", "status", "method", "score", "reasons",
                          "candidate", "held_by", "created_at", "updated_at"]),
        "history": [_columns(c, ["sequence", "from_status", "to_status", "action", "actor", "reason", "at"])
                    for c in changes if c.link_id == link.id],
    } for link in links]


def _related(session: Session, subject_id: uuid.UUID, organisations: dict[uuid.UUID, str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Relationship, Person).outerjoin(Person, Person.id == Relationship.related_person_id)
        .where(Relationship.subject_id == subject_id).order_by(Relationship.created_at)).all()
    return [{
        "name": f"{person.given_name} {person.family_name}" if person else organisations.get(r.organisation_id),  # type: ignore[arg-type]
        "person_id": str(person.id) if person else None,
        **_columns(r, ["relationship_type", "parental_responsibility", "pr_basis", "court_restriction",
                       "representative_kind", "capacity_assessment_ref", "has_care", "created_at"]),
    } for r, person in rows]


def _assessments(session: Session, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    cases = list(session.scalars(select(Assessment).where(Assessment.subject_id == subject_id)
                                 .order_by(Assessment.created_at)))
    advice = list(session.scalars(select(AdviceRequest).where(
        AdviceRequest.assessment_id.in_([c.id for c in cases])).order_by(AdviceRequest.requested_on)))
    return [{
        **_columns(c, ["id", "reference", "purpose", "received_on", "status", "decision_on", "decision",
                       "no_plan_notice_on", "final_plan_on", "closed_at"]),
        "advice_requests": [_columns(a, ["advice_type", "requested_on", "status", "received_on", "declined_reason",
                                         "note"]) for a in advice if a.assessment_id == c.id],
    } for c in cases]


def _gathered_items(session: Session, encryption: RecordEncryption, subject_id: uuid.UUID,
                    organisations: dict[uuid.UUID, str]) -> list[dict[str, Any]]:
    releases = {item.id: answer for item, _, answer in release_policy.stored_releases(session, subject_id, utcnow())}
    items = []
    for row in session.scalars(select(GatheredItem).where(GatheredItem.subject_id == subject_id)
                               .order_by(GatheredItem.retrieved_at, GatheredItem.source_record_id)):
        entry = {
            **_columns(row, ["id", "source_system", "source_record_id", "category", "purpose", "effective_date",
                             "retrieved_at", "media_type", "content_hash", "sensitivity", "consent_id",
                             "consent_version"]),
            "holder": organisations.get(row.holder_organisation_id),
            **_basis(releases.get(row.id)),
        }
        try:
            title, payload = encryption.open_many(session, subject_id, [
                _field(row, "title"), _field(row, "content")])
        except RecordShredded:
            entry.update(status=DESTROYED, title=None, content=None, document_base64=None)
        except RecordUnreadable:
            entry.update(status="unreadable", title=None, content=None, document_base64=None)
        else:
            opened = json.loads(payload)
            entry.update(status="held", title=title.decode(), content=opened["content"],
                         document_base64=opened["document"])
        items.append(entry)
    return items


def _basis(answer: Release | None) -> dict[str, Any]:
    """Why the item is shared now, by the release policy, in the export's words."""
    if answer is None or not answer.released or answer.basis is None:
        return {"basis": None, "basis_in_words": "No longer shared with anyone: what it rested on has ended."}
    return {"basis": answer.basis.value, "basis_in_words": answer.in_words}


def _field(row: GatheredItem, name: str) -> SealedField:
    return SealedField(TABLE, row.id, name, getattr(row, name))


def _paper_reports(session: Session, encryption: RecordEncryption, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    sealer = PaperDocumentSealer(encryption)
    reports = []
    for d in session.scalars(select(EpPaperDocument).where(EpPaperDocument.person_id == subject_id)
                             .order_by(EpPaperDocument.uploaded_at)):
        scan = sealer.open(session, subject_id, d.id, d.content)
        reports.append({
            **_columns(d, ["id", "document_type", "title", "author", "document_date", "paper_file_reference",
                           "media_type", "size_bytes", "content_hash", "uploaded_by", "uploaded_at"]),
            "state": "held" if scan is not None else "destroyed",
            "document_base64": base64.b64encode(scan).decode() if scan is not None else None,
        })
    return reports


def audit_export(session: Session, subject_id: uuid.UUID, *, by: Principal | catalogue.Operator,
                 export: dict[str, Any], fmt: str) -> None:
    """Audit that a subject access export was produced (counts only, never what it holds)."""
    auditing.record(session, catalogue.subject_access_exported(
        by, subject_id=subject_id, fmt=fmt, counts={k: len(v) for k, v in export.items() if isinstance(v, list)}))


def _label(table: dict[str, Any], fallback: str) -> Callable[[str | None], str]:
    def label(code: str | None) -> str:
        known = table.get(code or "")
        return known.label if known else (code or fallback)
    return label


def render_report(export: dict[str, Any]) -> str:
    """The export as a readable, self-contained HTML page in plain English."""
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    environment.filters["category"] = _label(DATA_CATEGORIES, "other information")
    environment.filters["purpose"] = _label(PURPOSES, "another purpose")
    environment.filters["when"] = lambda v: v.replace("T", " ")[:16] if isinstance(v, str) else ("" if v is None else v)
    return environment.get_template("ig/subject_access_report.html").render(export=export, any=any)

