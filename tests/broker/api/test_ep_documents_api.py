"""EP staff file scanned paper reports; nobody else may."""

from __future__ import annotations

import asyncio
import base64
import uuid

import pytest

from adapters.models import EpPaperDocument
from adapters.protocol import DataCategory, FetchContext
from adapters.simulators.pdf import report_with_javascript, scanned_report
from broker.dev.demo import demo_id
from broker.records import subject_access
from broker.records.encryption.documents import PaperDocumentSealer
from broker.records.encryption.service import RecordUnreadable, shred_subject


def _form(person: str) -> dict[str, str]:
    return {"person_id": person, "document_type": "ep_report", "title": "EP report (paper file)",
            "author": "Ms Joan Hale", "document_date": "2019-03-01", "paper_file_reference": "Box 3 / 41"}


def test_ep_staff_upload_once_and_list(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers("ep.psychologist")
    leo = str(demo_id("person:leo"))
    scan = scanned_report(11)
    created = client.post("/api/v1/ep-documents", data=_form(leo), files={"file": ("scan.pdf", scan, "application/pdf")},
                          headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["size_bytes"] == len(scan) and created.json()["uploaded_by"] == "ep.psychologist"
    again = client.post("/api/v1/ep-documents", data=_form(leo), files={"file": ("scan.pdf", scan, "application/pdf")},
                        headers=headers)
    assert again.status_code == 409
    listed = client.get(f"/api/v1/people/{leo}/ep-documents", headers=headers).json()
    assert [d["id"] for d in listed] == [created.json()["id"]]


def test_bad_uploads_and_other_staff_are_refused(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    leo = str(demo_id("person:leo"))
    ep = auth_headers("ep.psychologist")
    not_pdf = client.post("/api/v1/ep-documents", data=_form(leo), files={"file": ("x.pdf", b"hello", "application/pdf")},
                          headers=ep)
    assert not_pdf.status_code == 422
    parent = client.post("/api/v1/ep-documents", data=_form(str(demo_id("person:sarah"))),
                         files={"file": ("x.pdf", scanned_report(12), "application/pdf")}, headers=ep)
    assert parent.status_code == 404
    sen = client.post("/api/v1/ep-documents", data=_form(leo),
                      files={"file": ("x.pdf", scanned_report(13), "application/pdf")}, headers=auth_headers("sen.caseworker"))
    assert sen.status_code == 403
    assert client.get(f"/api/v1/people/{leo}/ep-documents", headers=auth_headers("sarah.clarke")).status_code == 403


def test_a_stored_scan_is_sealed_under_the_childs_key_and_erased_with_it(client, auth_headers, database, app) -> None:  # type: ignore[no-untyped-def]
    leo, amelia = demo_id("person:leo"), demo_id("person:amelia")
    scan = scanned_report(21)
    ids = {}
    for child, pdf in ((leo, scan), (amelia, scanned_report(22))):
        created = client.post("/api/v1/ep-documents", data=_form(str(child)),
                              files={"file": ("scan.pdf", pdf, "application/pdf")}, headers=auth_headers("ep.psychologist"))
        assert created.status_code == 201, created.text
        ids[child] = uuid.UUID(created.json()["id"])
    sealer = PaperDocumentSealer(app.state.record_encryption)
    with database.sessions() as session:
        stored = session.get(EpPaperDocument, ids[leo])
        assert stored is not None and scan[:64] not in stored.content and scan[-64:] not in stored.content
        # A sealed scan moved onto another child's row does not open there.
        with pytest.raises(RecordUnreadable):
            sealer.open(session, amelia, ids[amelia], stored.content)
    adapter = next(a for a in app.state.adapters if a.name == "ep_paper")
    context = FetchContext("EHC_NEEDS_ASSESSMENT")
    fetched = asyncio.run(adapter.fetch(str(leo), [DataCategory.EP_ADVICE], context))
    assert [i.document for i in fetched] == [scan]
    with database.sessions() as session:
        [report] = subject_access.subject_access_export(session, app.state.record_encryption, leo)["paper_reports"]
    assert report["state"] == "held" and base64.b64decode(report["document_base64"]) == scan
    with database.unit_of_work() as session:
        shred_subject(session, app.state.record_encryption, leo, reason="erasure requested")
    assert asyncio.run(adapter.fetch(str(leo), [DataCategory.EP_ADVICE], context)) == []
    with database.sessions() as session:
        [report] = subject_access.subject_access_export(session, app.state.record_encryption, leo)["paper_reports"]
    assert report["state"] == "destroyed" and report["document_base64"] is None
    assert len(asyncio.run(adapter.fetch(str(amelia), [DataCategory.EP_ADVICE], context))) == 1


def test_a_pdf_that_runs_javascript_is_refused_and_nothing_is_stored(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    leo = str(demo_id("person:leo"))
    ep = auth_headers("ep.psychologist")
    before = client.get(f"/api/v1/people/{leo}/ep-documents", headers=ep).json()
    refused = client.post("/api/v1/ep-documents", data=_form(leo), headers=ep,
                          files={"file": ("report.pdf", report_with_javascript(["EP report"]), "application/pdf")})
    assert refused.status_code == 422
    assert "active content (JavaScript)" in refused.json()["detail"]
    assert client.get(f"/api/v1/people/{leo}/ep-documents", headers=ep).json() == before
