"""Identity links (auto, review, confirm, reject, unlink, undo) and the EP paper store, on a real database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session

from adapters import service
from adapters.connection import SourceSystemConfig
from adapters.ep_paper import EpPaperAdapter
from adapters.errors import Conflict, InvalidInput
from adapters.identity import Demographics
from adapters.models import LinkStatus
from adapters.protocol import Candidate, DataCategory, FetchContext
from adapters.simulators.pdf import scanned_report

SUBJECT = Demographics("Amelia", "Clarke", date(2016, 3, 14), "F", "NS1 4AB", "9434765919")


def candidate(ref: str, given: str = "Amelia", nhs: str | None = None, system: str = "social_care") -> Candidate:
    if given == "Emilia":  # a spelling variant of both names and no postcode: a person must check
        return Candidate(system, ref, given, "Clark", date(2016, 3, 14), "Female", None, {})
    return Candidate(system, ref, given, "Clarke", date(2016, 3, 14), "Female", "NS1 4AB",
                     {"nhs_number": nhs} if nhs else {})


def test_matches_become_links_or_reviews_and_only_links_are_used(session: Session) -> None:
    person = uuid.uuid4()
    changes = service.record_matches(session, person, SUBJECT, [
        candidate("MOS1", nhs="9434765919"), candidate("CF2", given="Emilia"), candidate("CF3", given="Grace")])
    assert {(c.link.source_person_ref, c.to_status) for c in changes} == {
        ("MOS1", LinkStatus.linked), ("CF2", LinkStatus.pending_review)}
    assert service.linked_refs(session, person) == {"social_care": ["MOS1"]}
    session.commit()


def test_confirm_reject_unlink_and_undo_keep_history(session: Session) -> None:
    person = uuid.uuid4()
    [change] = service.record_matches(session, person, SUBJECT, [candidate("CF2", given="Emilia")])
    link = change.link
    with pytest.raises(Conflict):
        service.confirm_link(session, link.id, "sen.caseworker", expected_version=link.version - 1)
    service.confirm_link(session, link.id, "sen.caseworker", expected_version=link.version)
    assert service.linked_refs(session, person) == {"social_care": ["CF2"]}
    with pytest.raises(InvalidInput):
        service.unlink(session, link.id, "sen.caseworker", reason=" ")
    service.unlink(session, link.id, "sen.caseworker", reason="different child: checked with the school")
    assert service.linked_refs(session, person) == {}
    service.undo_last_change(session, link.id, "sen.caseworker")
    assert link.status == LinkStatus.linked
    service.undo_last_change(session, link.id, "sen.caseworker")
    assert link.status == LinkStatus.unlinked
    _, history = service.link_with_history(session, link.id)
    assert [h.action for h in history] == ["queued", "confirm", "unlink", "undo", "undo"]
    session.commit()


def test_a_rejected_match_is_not_linked_again_automatically(session: Session) -> None:
    person = uuid.uuid4()
    [change] = service.record_matches(session, person, SUBJECT, [candidate("CF2", given="Emilia")])
    service.reject_link(session, change.link.id, "sen.caseworker", reason="different child")
    assert service.record_matches(session, person, SUBJECT, [candidate("CF2", given="Emilia")]) == []
    with pytest.raises(Conflict):
        service.confirm_link(session, change.link.id, "sen.caseworker")
    assert service.review_queue(session)[1] == 0


class _Sealer:
    """Stands in for the broker's envelope encryption (this package never imports the broker):
    a value bound to its row, so the test sees that the store seals and opens through it."""

    def __init__(self) -> None:
        self.erased: set[uuid.UUID] = set()

    def seal(self, session: Session, subject_id: uuid.UUID, document_id: uuid.UUID, plaintext: bytes) -> bytes:
        return b"sealed:" + document_id.bytes + plaintext[::-1]

    def open(self, session: Session, subject_id: uuid.UUID, document_id: uuid.UUID, sealed: bytes) -> bytes | None:
        if subject_id in self.erased:
            return None
        prefix = b"sealed:" + document_id.bytes
        assert sealed.startswith(prefix), "opened for another row"
        return sealed[len(prefix):][::-1]


def test_paper_reports_are_stored_once_sealed_and_fetched_with_provenance(session: Session, database) -> None:  # type: ignore[no-untyped-def]
    person = uuid.uuid4()
    scan = scanned_report(7)
    sealer = _Sealer()
    upload = dict(person_id=person, document_type="ep_report", title="EP report (paper file)", author="Ms Joan Hale",
                  document_date=date(2018, 5, 1), media_type="application/pdf", content=scan,
                  uploaded_by="ep.psychologist", paper_file_reference="Box 12 / file 7", sealer=sealer)
    document = service.upload_paper_document(session, **upload)
    session.commit()
    assert document.content != scan and document.content == sealer.seal(session, person, document.id, scan)
    with pytest.raises(Conflict):
        service.upload_paper_document(session, **upload)
    with pytest.raises(InvalidInput):
        service.upload_paper_document(session, **{**upload, "content": b"not a pdf"})
    with pytest.raises(InvalidInput):
        service.upload_paper_document(session, **{**upload, "document_type": "consultation_note"})
    session.rollback()
    adapter = EpPaperAdapter(SourceSystemConfig("ep_paper", "ep_paper", ""), sessions=database.sessions, sealer=sealer)
    items = asyncio.run(adapter.fetch(str(person), [DataCategory.EP_ADVICE], FetchContext("EHC_NEEDS_ASSESSMENT")))
    assert len(items) == 1 and items[0].document == scan and items[0].source_record_id == str(document.id)
    assert items[0].content["stored_hash"] == document.content_hash and items[0].content["paper_file_reference"]
    assert asyncio.run(adapter.health()).healthy
    # Once the child's key is destroyed there is nothing left to release.
    sealer.erased.add(person)
    assert asyncio.run(adapter.fetch(str(person), [DataCategory.EP_ADVICE], FetchContext("EHC_NEEDS_ASSESSMENT"))) == []
