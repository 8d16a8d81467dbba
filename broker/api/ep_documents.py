"""The EP paper store: educational psychologists upload a scanned paper report with its metadata,
once, so it becomes available to requests that are permitted to see EP advice."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel

from adapters import service
from adapters.models import EpPaperDocument
from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record
from broker.auth import Principal, Role, require_roles
from broker.platform.db import SessionDep
from broker.platform.errors import Forbidden, NotFound, PayloadTooLarge
from broker.records.encryption.documents import PaperDocumentSealer
from broker.records.encryption.service import RecordEncryption, get_record_encryption
from consent.models import Organisation, Person

router = APIRouter(prefix="/api/v1", tags=["EP paper store"])

Caseworker = Annotated[Principal, Depends(require_roles(Role.caseworker))]


class PaperDocumentRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    document_type: str
    title: str
    author: str
    document_date: date
    paper_file_reference: str | None
    media_type: str
    size_bytes: int
    content_hash: str
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, document: EpPaperDocument) -> PaperDocumentRead:
        return cls.model_validate(document, from_attributes=True)


def _require_ep_staff(session: SessionDep, caller: Principal) -> None:
    organisation = session.get(Organisation, caller.organisation_id) if caller.organisation_id else None
    if organisation is None or organisation.kind != "ep_service":
        raise Forbidden("only the educational psychology service files paper reports")


def _require_subject(session: SessionDep, person_id: uuid.UUID) -> None:
    person = session.get(Person, person_id)
    if person is None or not person.is_subject:
        raise NotFound("no such child or young person")


@router.post("/ep-documents", response_model=PaperDocumentRead, status_code=201)
async def upload_paper_report(
    session: SessionDep, caller: Caseworker, encryption: Annotated[RecordEncryption, Depends(get_record_encryption)],
    person_id: Annotated[uuid.UUID, Form()], document_type: Annotated[str, Form(max_length=32)],
    title: Annotated[str, Form(max_length=200)], author: Annotated[str, Form(max_length=200)],
    document_date: Annotated[date, Form()], file: Annotated[UploadFile, File()],
    paper_file_reference: Annotated[str | None, Form(max_length=100)] = None,
) -> PaperDocumentRead:
    """Upload one scanned paper EP report (PDF, TIFF, PNG or JPEG) for a child, with who wrote it
    and when.  The same scan is accepted once; consultation notes are not filed here."""
    _require_ep_staff(session, caller)
    _require_subject(session, person_id)
    service.check_paper_file_name(file.filename or "")
    content = await file.read(service.MAX_PAPER_BYTES + 1)
    if len(content) > service.MAX_PAPER_BYTES:
        raise PayloadTooLarge(f"the file is larger than {service.MAX_PAPER_BYTES // 1_000_000} MB")
    document = service.upload_paper_document(
        session, person_id=person_id, document_type=document_type, title=title, author=author,
        document_date=document_date, media_type=(file.content_type or "").lower(), content=content,
        uploaded_by=caller.username, sealer=PaperDocumentSealer(encryption),
        paper_file_reference=paper_file_reference)
    record(session, catalogue.ep_document_uploaded(
        caller, subject_id=person_id, document_id=document.id, content_hash=document.content_hash,
        size_bytes=document.size_bytes, document_type=document_type))
    return PaperDocumentRead.of(document)


@router.get("/people/{person_id}/ep-documents", response_model=list[PaperDocumentRead])
def list_paper_reports(person_id: uuid.UUID, session: SessionDep, caller: Caseworker) -> list[PaperDocumentRead]:
    """The paper reports filed for a child (metadata only; the EP service's own view)."""
    _require_ep_staff(session, caller)
    _require_subject(session, person_id)
    return [PaperDocumentRead.of(d) for d in service.paper_documents(session, person_id)]
