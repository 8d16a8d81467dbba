"""An educational psychology records system: case search, document metadata and PDF content.

Reports are PDFs, many of them scans of paper files.  Advice an educational psychologist writes
for a council's assessment (``POST /api/cases/{ref}/advice``, an action inside the EP service's
own system) is listed with the council's case reference (``forCase``), so that it can be told
from the service's earlier reports.  Consultation notes stay with the service:
they are listed only once an educational psychologist has released that note (one by one, at
``POST /api/documents/{id}/release``, an action inside the EP service's own system).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, Field

from adapters.simulators.common import (
    Control,
    SearchRequest,
    SimulatorCredentials,
    SimulatorState,
    System,
    answer,
    install_common,
    search_matches,
)
from adapters.simulators.pdf import report_with_javascript, scanned_report, typed_report
from adapters.simulators.population import EpCase, EpDocument, Population


def _visible(document: EpDocument, released: set[str]) -> bool:
    return document.doc_type != "consultation_note" or document.released or document.document_id in released


def _metadata(case: EpCase, document: EpDocument, released: set[str]) -> dict[str, Any]:
    return {"documentId": document.document_id, "caseRef": case.case_ref, "type": document.doc_type,
            "title": document.title, "author": document.author, "date": document.document_date.isoformat(),
            "scanned": document.scanned, "mediaType": "application/pdf", "forCase": document.written_for,
            "released": _visible(document, released) if document.doc_type == "consultation_note" else None}


def document_bytes(case: EpCase, document: EpDocument) -> bytes:
    if document.scanned:
        return scanned_report(sum(map(ord, document.document_id)))
    return typed_report([
        "Northshire Educational Psychology Service",
        document.title,
        f"Child: {case.forename} {case.surname}    Date of birth: {case.dob:%d/%m/%Y}",
        f"Author: {document.author}    Date: {document.document_date:%d %B %Y}",
        "",
        "Summary of needs: difficulties with working memory and processing speed;",
        "strengths in verbal reasoning. Recommended: pre-teaching of vocabulary,",
        "chunked instructions, and a quiet workspace for assessments.",
    ])


class AdviceWritten(BaseModel):
    """Psychological advice an EP has written for a council's assessment."""

    for_case: str = Field(alias="forCase", min_length=1, max_length=40)
    author: str = Field(min_length=1, max_length=200)
    title: str = Field(default="Psychological advice (EHC needs assessment)", max_length=200)
    written_on: date | None = Field(default=None, alias="date")


def _json(state: SimulatorState, payload: Any) -> Response:
    return answer(state, json.dumps(payload, default=str).encode(), "application/json")


def create_app(population: Population, credentials: SimulatorCredentials) -> FastAPI:
    app = FastAPI(title="Educational psychology records simulator", docs_url="/docs")
    install_common(app, credentials)
    # Releases made in this running system; the shared population itself never changes.
    released: set[str] = set()
    # Advice written in this running system, per case reference of the EP service.
    written: dict[str, list[EpDocument]] = {}

    def case_of(case_ref: str) -> EpCase:
        case = population.ep.get(case_ref)
        if case is None:
            raise HTTPException(404, detail="no such case")
        return case

    def documents_of(case: EpCase) -> list[EpDocument]:
        return case.documents + written.get(case.case_ref, [])

    def find_document(document_id: str) -> tuple[EpCase, EpDocument] | None:
        for case_ref, documents in written.items():
            for document in documents:
                if document.document_id == document_id:
                    return population.ep[case_ref], document
        return population.ep_document(document_id)

    @app.post("/api/cases/search")
    def search(query: SearchRequest, state: System) -> Response:
        """Cases by NHS number, or by date of birth with names."""
        if not (query.nhs_number or query.date_of_birth):
            raise HTTPException(422, detail="give an NHS number or a date of birth")
        found = [{"caseRef": c.case_ref, "forename": c.forename, "surname": c.surname,
                  "dateOfBirth": c.dob.isoformat(), "nhsNumber": c.nhs_number, "postcode": c.postcode}
                 for c in population.ep.values()
                 if search_matches(query, nhs=c.nhs_number, upn=None, given=c.forename, family=c.surname, dob=c.dob)]
        return _json(state, {"cases": found[:25]})

    @app.get("/api/cases/{case_ref:path}/documents")
    def documents(case_ref: str, state: System) -> Response:
        """Metadata of the case's documents that may leave the service."""
        case = case_of(case_ref)
        return _json(state, {"documents": [_metadata(case, d, released) for d in documents_of(case)
                                           if _visible(d, released)]})

    @app.post("/api/cases/{case_ref:path}/advice", status_code=201)
    def write_advice(case_ref: str, advice: AdviceWritten, state: Control) -> dict[str, Any]:
        """An EP's advice written for a council's assessment (an action inside this system)."""
        case = case_of(case_ref)
        number = sum(len(d) for d in written.values()) + 1
        document = EpDocument(document_id=f"EPA-{number:06d}", doc_type="psychological_advice", title=advice.title,
                              author=advice.author, document_date=advice.written_on or date.today(), scanned=False,
                              written_for=advice.for_case)
        written.setdefault(case.case_ref, []).append(document)
        return _metadata(case, document, released)

    def visible_document(document_id: str) -> tuple[EpCase, EpDocument]:
        found = find_document(document_id)
        if found is None or not _visible(found[1], released):
            raise HTTPException(404, detail="no such document")
        return found

    @app.get("/api/documents/{document_id}/content")
    def content(document_id: str, state: System) -> Response:
        """The document's PDF."""
        case, document = visible_document(document_id)
        if state.switches.active_pdf:
            return answer(state, report_with_javascript([document.title]), "application/pdf")
        return answer(state, document_bytes(case, document), "application/pdf")

    @app.post("/api/documents/{document_id}/release")
    def release(document_id: str, state: Control) -> dict[str, Any]:
        """Release one consultation note (an EP's decision, made in this system)."""
        found = population.ep_document(document_id)
        if found is None:
            raise HTTPException(404, detail="no such document")
        released.add(document_id)
        return _metadata(*found, released)

    return app
