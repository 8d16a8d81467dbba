"""Information governance pages: only IG auditors, form tokens on every post, the design
system's errors, and every search and export recorded in the audit log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.platform.db import Database

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
PAGES = ["/ig/audit", "/ig/integrity", "/ig/break-glass", "/ig/reports"]


@pytest.fixture
def auditor(app: FastAPI, web_session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    cookies, _ = web_session("ig.auditor")
    with TestClient(app, base_url="https://testserver", cookies=cookies) as client:
        yield client


def _events(database: Database, event_type: str) -> list[AuditEntry]:
    with database.unit_of_work() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.event_type == event_type)).scalars())


@pytest.mark.parametrize("username", ["sen.caseworker", "safeguarding.lead", "sarah.clarke"])
def test_other_roles_are_refused(app: FastAPI, web_session, username: str) -> None:  # type: ignore[no-untyped-def]
    cookies, _ = web_session(username)
    with TestClient(app, base_url="https://testserver", cookies=cookies) as client:
        for path in PAGES:
            assert client.get(path).status_code == 403, path
        assert client.get("/ig/audit/0").status_code == 403
        assert client.get("/ig/audit/export?format=csv").status_code == 403


def test_the_navigation_lists_the_ig_pages(auditor: TestClient) -> None:
    page = auditor.get("/ig/audit").text
    for path in PAGES:
        assert f'href="{path}"' in page


def test_search_filters_pages_and_is_audited(auditor: TestClient, database: Database) -> None:
    before = len(_events(database, "audit.searched"))
    page = auditor.get("/ig/audit", params={"search": "1"}).text
    assert "Entry 0:" in page
    page = auditor.get("/ig/audit", params={"actor": "ig.auditor"}).text
    assert "audit.searched" in page
    after = _events(database, "audit.searched")
    assert len(after) == before + 2
    assert after[-1].details_data["actor_user_id"] == str(demo_id("user:ig.auditor"))


def test_bad_filters_give_an_error_summary(auditor: TestClient) -> None:
    response = auditor.get("/ig/audit", params={"subject": "not-a-uuid", "actor": "nobody.here",
                                                "from-day": "31", "from-month": "2", "from-year": "2026"})
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert "Enter the subject id in full" in response.text
    assert "There is no user with this username" in response.text
    assert "Start date must be a real date" in response.text


def test_open_an_entry(auditor: TestClient) -> None:
    auditor.get("/ig/audit", params={"search": "1"})
    page = auditor.get("/ig/audit/0")
    assert page.status_code == 200 and "Audit entry 0" in page.text
    assert auditor.get("/ig/audit/99999999").status_code == 404


def test_export_json_lines_and_csv(auditor: TestClient, database: Database) -> None:
    auditor.get("/ig/audit", params={"search": "1"})
    response = auditor.get("/ig/audit/export", params={"actor": "ig.auditor", "format": "jsonl"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[0]["type"] == "checkpoint"
    assert lines[1:] and all(line["actor_username"] == "ig.auditor" for line in lines[1:])
    csv_response = auditor.get("/ig/audit/export", params={"format": "csv"})
    assert csv_response.text.startswith("seq,recorded_at")
    assert len(_events(database, "audit.exported")) == 2
    assert auditor.get("/ig/audit/export", params={"format": "pdf"}).status_code == 422


def _token(client: TestClient, path: str) -> str:
    match = _TOKEN.search(client.get(path).text)
    assert match
    return match.group(1)


def test_integrity_shows_the_checkpoint_and_verifies(auditor: TestClient, database: Database) -> None:
    token = _token(auditor, "/ig/integrity")
    page = auditor.post("/ig/integrity", data={"form_token": token})
    assert page.status_code == 200
    assert "Passed" in page.text and "entries a second" in page.text
    assert "Tree size" in page.text
    assert _events(database, "audit.verified")[-1].details_data["ok"] is True


def test_integrity_names_the_first_bad_entry(auditor: TestClient, database: Database) -> None:
    from sqlalchemy import text

    from tests.audit.test_verification import drop_guards
    token = _token(auditor, "/ig/integrity")
    auditor.post("/ig/integrity", data={"form_token": token})
    with database.unit_of_work() as session:
        drop_guards(session)
        session.execute(text("UPDATE audit_entries SET outcome = 'deny' WHERE seq = 1"))
    page = auditor.post("/ig/integrity", data={"form_token": token})
    assert "The audit log failed verification" in page.text
    assert "The first bad entry is 1" in page.text


def test_posts_without_the_form_token_are_refused(auditor: TestClient, app: FastAPI) -> None:
    assert auditor.post("/ig/integrity", data={}).status_code == 403
    assert auditor.post(f"/ig/break-glass/{demo_id('nothing')}", data={"outcome": "appropriate"}).status_code == 403


@pytest.fixture
def access_id(app: FastAPI, auth_headers) -> str:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        response = client.post("/api/v1/break-glass", headers=auth_headers("safeguarding.lead"), json={
            "subject_id": str(demo_id("person:leo")), "reason_code": "risk_of_significant_harm",
            "reason_text": "Police called to the home overnight; strategy discussion at 10:00 today."})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_break_glass_queue_and_review(auditor: TestClient, access_id: str, database: Database) -> None:
    queue = auditor.get("/ig/break-glass").text
    assert f"/ig/break-glass/{access_id}" in queue and "Leo" in queue
    path = f"/ig/break-glass/{access_id}"
    token = _token(auditor, path)
    bad = auditor.post(path, data={"form_token": token, "outcome": "referred", "family_may_be_told": "no"})
    assert bad.status_code == 422
    assert "There is a problem" in bad.text
    assert "Say why the access was not appropriate or was referred" in bad.text
    assert "Say why telling the family would put the child at risk" in bad.text
    missing = auditor.post(path, data={"form_token": token})
    assert "Select the outcome of the review" in missing.text and "Select whether the family may be told" in missing.text
    done = auditor.post(path, data={"form_token": token, "outcome": "appropriate", "family_may_be_told": "yes"})
    assert done.status_code == 200 and "Review recorded" in done.text
    assert "There are no break-glass accesses waiting for review" in auditor.get("/ig/break-glass").text
    assert _events(database, "break_glass.reviewed")
    again = auditor.post(path, data={"form_token": token, "outcome": "appropriate", "family_may_be_told": "yes"})
    assert again.status_code == 422 and "already been reviewed" in again.text
    assert auditor.get(f"/ig/break-glass/{demo_id('nothing')}").status_code == 404


def _decide(client: TestClient, headers: dict[str, str], categories: list[str]) -> int:
    body = {"subject_id": str(demo_id("person:amelia")), "recipient_organisation_id": str(demo_id("org:NCC-SEN")),
            "purpose": "EHC_NEEDS_ASSESSMENT", "holder_organisation_id": str(demo_id("org:NCC-EPS")),
            "categories": categories}
    return client.post("/api/v1/decisions", json=body, headers=headers).status_code


def test_reports_count_refusals_only_and_unusual_volumes(
    auditor: TestClient, client: TestClient, auth_headers, database: Database,  # type: ignore[no-untyped-def]
) -> None:
    """Real decisions: permits (Amelia's family allowed EP advice), one denial (social care plan,
    not allowed) and one refused request (a parent may not ask for a decision)."""
    for username, permits in (("sen.caseworker", 30), ("sc.caseworker", 2), ("ep.psychologist", 3)):
        for _ in range(permits):
            assert _decide(client, auth_headers(username), ["EP_ADVICE"]) == 200
    assert _decide(client, auth_headers("sen.caseworker"), ["SC_PLAN"]) == 200
    assert _decide(client, auth_headers("sarah.clarke"), ["EP_ADVICE"]) == 403
    assert len(_events(database, "decision.made")) == 36

    page = auditor.get("/ig/reports")
    assert page.status_code == 200
    unusual = page.text.split('id="unusual-list"')[1].split("</ul>")[0]
    assert "sen.caseworker" in unusual and "sc.caseworker" not in unusual
    denials = page.text.split('id="denials-list"')[1].split("</ul>")[0]
    lines = re.findall(r"</a>: ([A-Za-z ]+) \(([a-z_.]+)\), ([a-z]+), by ([a-z.]+)", denials)
    assert sorted(lines) == [("Access decision", "decision.made", "deny", "sen.caseworker"),
                             ("Request refused", "request.refused", "refused", "sarah.clarke")]
    assert "Denials and refusals (2)" in page.text
    assert _events(database, "audit.reported")[-1].details_data["denials"] == 2
    bad = auditor.get("/ig/reports", params={"multiple": "lots", "to-day": "1", "to-month": "1", "to-year": "2020",
                                             "from-day": "2", "from-month": "1", "from-year": "2020"})
    assert bad.status_code == 422
    assert "Enter a number between 1 and 100" in bad.text
    assert "End date must be the same as or after the start date" in bad.text
