"""Path traversal and control characters in the names of uploaded paper reports are refused,
and nothing is stored or written to disk when they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.models import EpPaperDocument
from adapters.simulators.pdf import scanned_report
from broker.dev.demo import demo_id

LEO = str(demo_id("person:leo"))
FORM = {"person_id": LEO, "document_type": "ep_report", "title": "EP report (paper file)",
        "author": "Ms Joan Hale", "document_date": "2019-03-01", "paper_file_reference": "Box 3 / 41"}
HOSTILE_NAMES = ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "C:report.pdf", "..",
                 "report.pdf\x00.png", "report\x1b.pdf", "scans/report.pdf"]


def _raw_multipart(file_name: str, content: bytes) -> tuple[bytes, str]:
    """The form as a hostile client would send it: the file name's bytes as they are (an HTTP
    library would percent-encode a NUL or a line break)."""
    boundary = "hostile-boundary-1234"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in FORM.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
                 + file_name.encode() + b'"\r\nContent-Type: application/pdf\r\n\r\n' + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EpPaperDocument)) or 0


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_file_name_with_a_path_or_control_characters_is_refused(
    client: TestClient, auth_headers, session: Session, settings, name: str,  # type: ignore[no-untyped-def]
) -> None:
    files_before = sorted(p for p in Path(settings.data_dir).rglob("*"))
    body, content_type = _raw_multipart(name, scanned_report(21))
    response = client.post("/api/v1/ep-documents", content=body,
                           headers={**auth_headers("ep.psychologist"), "content-type": content_type})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "plain name" in response.json()["detail"]
    assert _stored(session) == 0
    assert sorted(p for p in Path(settings.data_dir).rglob("*")) == files_before


@pytest.mark.parametrize("field", ["title", "author", "paper_file_reference"])
@pytest.mark.parametrize("value", ["Report\x00", "Report\r\nX-Injected: 1", "../../\x1b[2Jreport"])
def test_control_characters_in_the_report_details_are_refused(
    client: TestClient, auth_headers, session: Session, field: str, value: str,  # type: ignore[no-untyped-def]
) -> None:
    response = client.post("/api/v1/ep-documents", data={**FORM, field: value},
                           files={"file": ("report.pdf", scanned_report(22), "application/pdf")},
                           headers=auth_headers("ep.psychologist"))
    assert response.status_code == 422, response.text
    assert _stored(session) == 0


def test_a_plain_name_is_accepted(client: TestClient, auth_headers, session: Session) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/ep-documents", data=FORM,
                           files={"file": ("EP report 2019 (scan).pdf", scanned_report(23), "application/pdf")},
                           headers=auth_headers("ep.psychologist"))
    assert response.status_code == 201, response.text
    assert _stored(session) == 1
