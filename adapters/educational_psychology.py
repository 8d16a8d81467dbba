"""The educational psychology adapter: reports (often scanned PDFs) from an EP records system.

Consultation notes leave the service only once released one by one; a note the system lists
without ``released: true`` is dropped here as well.
"""

from __future__ import annotations

from collections.abc import Iterable

from adapters.http_adapter import HttpSourceAdapter
from adapters.pdf_content import UnreadablePdf, active_content
from adapters.protocol import (
    Candidate,
    DataCategory,
    FetchContext,
    PersonQuery,
    RecordItem,
    releasable,
    requestable,
    utcnow,
)

REPORT_TYPES = frozenset({"psychological_advice", "ep_report", "assessment_report"})
PDF_MAGIC = b"%PDF-"


class EducationalPsychologyAdapter(HttpSourceAdapter):
    kind = "educational_psychology"
    categories = frozenset({DataCategory.EP_ADVICE})
    identifier_schemes = frozenset({"nhs_number"})

    async def find_person(self, query: PersonQuery, context: FetchContext) -> list[Candidate]:
        """Cases by NHS number, or by date of birth and names."""
        answer = await self.search("/api/cases/search", "nhs_number", query, context)
        if answer is None:
            return []
        return self.candidates(self.parse_json(answer), "cases", lambda c: Candidate(
            self.name, str(c["caseRef"]), c.get("forename"), c.get("surname"),
            self.parse_date(c.get("dateOfBirth")), None, c.get("postcode"),
            {"nhs_number": c["nhsNumber"]} if c.get("nhsNumber") else {}))

    @staticmethod
    def may_leave(metadata: dict) -> bool:
        kind = metadata.get("type")
        return kind in REPORT_TYPES or (kind == "consultation_note" and metadata.get("released") is True)

    async def fetch(
        self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext
    ) -> list[RecordItem]:
        """The case's reports (and released consultation notes), each with its PDF."""
        return await self._documents(person_ref, categories, context, with_content=True)

    async def describe(
        self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext
    ) -> list[RecordItem]:
        """The same reports from the case's document list alone: no PDF is sent."""
        return await self._documents(person_ref, categories, context, with_content=False)

    async def _documents(self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext,
                         *, with_content: bool) -> list[RecordItem]:
        if DataCategory.EP_ADVICE not in requestable(categories):
            return []
        answer = await self.connection.request("GET", f"/api/cases/{person_ref}/documents", context=context)
        if answer.status == 404:
            return []
        payload = self.parse_json(answer)
        items = []
        try:
            for metadata in payload["documents"]:
                if not self.may_leave(metadata):
                    continue
                body = None
                if with_content:
                    document = await self.connection.request(
                        "GET", f"/api/documents/{metadata['documentId']}/content", context=context)
                    if document.status == 404:
                        continue
                    if document.media_type != "application/pdf" or not document.body.startswith(PDF_MAGIC):
                        raise self.malformed("a document that is not a PDF")
                    if _active(document.body):
                        raise self.malformed("a PDF with active content (JavaScript, actions or embedded files)")
                    body = document.body
                items.append(RecordItem(
                    self.name, str(metadata["documentId"]), DataCategory.EP_ADVICE, str(metadata["title"]),
                    self.parse_date(metadata.get("date")), utcnow(),
                    {"case_ref": person_ref, "type": metadata["type"], "author": metadata.get("author"),
                     "scanned": bool(metadata.get("scanned")), "date": metadata.get("date"),
                     "written_for": _case_reference(metadata.get("forCase"))},
                    body, "application/pdf", written_for=_case_reference(metadata.get("forCase"))))
        except (KeyError, TypeError, AttributeError):
            raise self.malformed("unexpected document list") from None
        return releasable(items)


def _active(body: bytes) -> bool:
    """Whether a PDF acts on the reader's machine (or cannot be read to tell): never passed on."""
    try:
        return bool(active_content(body))
    except UnreadablePdf:
        return True


def _case_reference(value: object) -> str | None:
    """The council's case reference a document says it was written for, if it is one."""
    return value if isinstance(value, str) and 0 < len(value) <= 40 and value.isprintable() else None


ADAPTER = EducationalPsychologyAdapter
