"""Subject access: everything held about a child, as JSON and a readable report; IG only; audited."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.models import IdentityLink
from broker.cli import app as cli
from broker.dev.demo import demo_id
from broker.platform.db import Database
from broker.platform.settings import Settings
from broker.records.encryption.service import RecordEncryption, shred_subject
from broker.records.subject_access import render_report, subject_access_export
from tests.broker.audit_entries import entries_since, next_seq
from tests.broker.records.builders import LEO, open_case, store_item

URL = f"/api/v1/subjects/{LEO}/subject-access-export"


@pytest.fixture
def held(database: Database, settings: Settings, demo) -> None:  # type: ignore[no-untyped-def]
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        store_item(session, encryption, text="the-psychologist-observed-leo", assessment_id=open_case(session))
        session.add(IdentityLink(person_id=LEO, source_system="education", source_person_ref="P-LEO", status="linked",
                                 method="upn", score=1.0, held_by="8202001"))


def test_the_export_holds_every_section_with_the_items_opened(database: Database, settings: Settings, held) -> None:
    with database.sessions() as session:
        export = subject_access_export(session, RecordEncryption.from_settings(settings), LEO)
    assert export["subject"]["given_name"] == "Leo"
    # The demo permission Leo's mother gave and withdrew, with its whole history.
    permission = export["permissions"][0]
    assert [e["status"] for e in permission["status_history"]] == ["active", "withdrawn"]
    assert permission["versions"][0]["scope"][0]["data_category"] == "EDU_ATTENDANCE"
    assert [r["name"] for r in export["related_people"]] and export["assessments"][0]["status"] == "open"
    [item] = export["gathered_items"]
    assert item["status"] == "held" and item["content"] == {"summary": "the-psychologist-observed-leo"}
    # Which school holds Leo's education record is about Leo too.
    assert [(link["source_person_ref"], link["held_by"]) for link in export["identity_links"]] == [("P-LEO", "8202001")]
    assert {e["event_type"] for e in export["access_history"]} >= {"consent.granted", "consent.withdrawn"}
    json.dumps(export)  # JSON-ready throughout
    page = render_report(export)
    assert "Everything we hold about Leo" in page and "the-psychologist-observed-leo" in page
    assert "Attendance" in page or "attendance" in page  # the vocabulary's label, not the code


def test_an_erased_item_is_listed_as_destroyed(database: Database, settings: Settings, held) -> None:
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        shred_subject(session, encryption, LEO, reason="erasure request ER-1")
    with database.sessions() as session:
        export = subject_access_export(session, encryption, LEO)
    [item] = export["gathered_items"]
    assert item["status"] == "destroyed" and item["content"] is None and item["title"] is None
    assert "Destroyed: this copy has been erased" in render_report(export)


def test_only_information_governance_may_export_and_the_export_is_audited(
        client: TestClient, database: Database, auth_headers, held) -> None:  # type: ignore[no-untyped-def]
    for username in ("sen.caseworker", "emma.walsh"):
        assert client.get(URL, headers=auth_headers(username)).status_code == 403
    ig = auth_headers("ig.auditor")
    assert client.get(f"/api/v1/subjects/{demo_id('person:nobody')}/subject-access-export", headers=ig).status_code == 404
    with database.sessions() as session:
        start = next_seq(session)
    response = client.get(URL, headers=ig)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert response.json()["gathered_items"][0]["status"] == "held"
    page = client.get(URL, params={"format": "html"}, headers=ig)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Everything we hold about Leo" in page.text
    with database.sessions() as session:
        events = entries_since(session, start)
    assert [(e.event_type, e.actor_username, e.details["format"]) for e in events] == [
        ("subject_access.exported", "ig.auditor", "json"), ("subject_access.exported", "ig.auditor", "html")]
    assert events[0].details["counts"]["gathered_items"] == 1
    assert "the-psychologist-observed-leo" not in repr(events)


def test_the_command_writes_a_private_json_file_and_report(
        database: Database, settings: Settings, held, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"BROKER_DATABASE_URL": settings.database_url, "BROKER_ENVIRONMENT": "test",
                        "BROKER_DATA_DIR": str(settings.data_dir)}.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "sar"
    result = CliRunner().invoke(cli, ["sar", "export", str(LEO), "--out", str(out), "--requested-by", "ig.officer"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / f"sar-{LEO}.json").read_text())
    assert data["gathered_items"][0]["content"] == {"summary": "the-psychologist-observed-leo"}
    assert "Everything we hold about Leo" in (out / f"sar-{LEO}.html").read_text()
    assert stat.S_IMODE((out / f"sar-{LEO}.json").stat().st_mode) == 0o600
    assert CliRunner().invoke(cli, ["sar", "export", "not-a-uuid"]).exit_code == 2
    assert CliRunner().invoke(cli, ["sar", "export", str(demo_id("person:nobody")), "--out", str(out)]).exit_code == 1


def test_the_report_shows_requests_and_each_deciders_answer(database: Database, settings: Settings, demo) -> None:  # type: ignore[no-untyped-def]
    with database.sessions() as session:
        export = subject_access_export(session, RecordEncryption.from_settings(settings), demo_id("person:amelia"))
    answers = {d["name"]: d["answer"] for r in export["consent_requests"] for d in r["deciders"]}
    assert set(answers.values()) >= {"approve_all", "decline"}
    page = render_report(export)
    assert "Requests for permission and the answers" in page and "approve all" in page and "decline" in page
    assert "SC_ASSESSMENT" not in page.split("Who has seen")[0]  # labels, not codes, above the raw log
