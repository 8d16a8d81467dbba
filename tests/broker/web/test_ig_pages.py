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
from broker.db import Database
from broker.demo import demo_id

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
