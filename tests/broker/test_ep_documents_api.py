"""EP staff file scanned paper reports; nobody else may."""

from __future__ import annotations

from broker.demo import demo_id
from adapters.simulators.pdf import scanned_report


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
