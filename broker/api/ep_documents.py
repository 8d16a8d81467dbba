"""The EP paper store: educational psychologists upload a scanned paper report with its metadata,
once, so it becomes available to requests that are permitted to see EP advice."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel

from adapters.models import EpPaperDocument
from broker.auth import Principal, Role, require_roles
from broker.platform.db import SessionDep
from broker.records import paper_reports
from broker.records.encryption.service import RecordEncryption, get_record_encryption

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
    document = paper_reports.file_paper_report(
        session, caller, encryption, person_id=person_id, document_type=document_type, title=title, author=author,
        document_date=document_date, file_name=file.filename or "", media_type=file.content_type or "",
        content=await file.read(paper_reports.MAX_PAPER_BYTES + 1), paper_file_reference=paper_file_reference)
    return PaperDocumentRead.of(document)


@router.get("/people/{person_id}/ep-documents", response_model=list[PaperDocumentRead])
def list_paper_reports(person_id: uuid.UUID, session: SessionDep, caller: Caseworker) -> list[PaperDocumentRead]:
    """The paper reports filed for a child (metadata only; the EP service's own view)."""
    return [PaperDocumentRead.of(d) for d in paper_reports.paper_reports_of(session, caller, person_id)]
