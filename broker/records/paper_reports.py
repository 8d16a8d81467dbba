"""The EP paper store seen from the broker: who may file a scanned paper report, for whom, and the
audit entry each filing leaves."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from adapters import service
from adapters.models import EpPaperDocument
from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record
from broker.auth import Principal
from broker.platform.errors import Forbidden, NotFound, PayloadTooLarge
from broker.records.encryption.documents import PaperDocumentSealer
from broker.records.encryption.service import RecordEncryption
from consent import repository as consent_repository

MAX_PAPER_BYTES = service.MAX_PAPER_BYTES


def _require_ep_staff(session: Session, caller: Principal) -> None:
    organisation = consent_repository.organisation(session, caller.organisation_id) if caller.organisation_id else None
    if organisation is None or organisation.kind != "ep_service":
        raise Forbidden("only the educational psychology service files paper reports")


def _require_subject(session: Session, person_id: uuid.UUID) -> None:
    if consent_repository.subject(session, person_id) is None:
        raise NotFound("no such child or young person")


def file_paper_report(
    session: Session, caller: Principal, encryption: RecordEncryption, *, person_id: uuid.UUID,
    document_type: str, title: str, author: str, document_date: date, file_name: str, media_type: str,
    content: bytes, paper_file_reference: str | None,
) -> EpPaperDocument:
    """File one scanned paper EP report for a child (EP service staff only), its bytes sealed; the
    same scan is filed once.  The filing is recorded in the audit log."""
    _require_ep_staff(session, caller)
    _require_subject(session, person_id)
    service.check_paper_file_name(file_name)
    if len(content) > MAX_PAPER_BYTES:
        raise PayloadTooLarge(f"the file is larger than {MAX_PAPER_BYTES // 1_000_000} MB")
    document = service.upload_paper_document(
        session, person_id=person_id, document_type=document_type, title=title, author=author,
        document_date=document_date, media_type=media_type.lower(), content=content,
        uploaded_by=caller.username, sealer=PaperDocumentSealer(encryption),
        paper_file_reference=paper_file_reference)
    record(session, catalogue.ep_document_uploaded(
        caller, subject_id=person_id, document_id=document.id, content_hash=document.content_hash,
        size_bytes=document.size_bytes, document_type=document_type))
    return document


def paper_reports_of(session: Session, caller: Principal, person_id: uuid.UUID) -> list[EpPaperDocument]:
    """The paper reports filed for a child (EP service staff only)."""
    _require_ep_staff(session, caller)
    _require_subject(session, person_id)
    return list(service.paper_documents(session, person_id))
