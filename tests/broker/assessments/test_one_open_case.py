"""One open case per child and purpose: a second is refused (409 naming the first), on the API and
when two caseworkers open at the same moment; only the SEN team opens cases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.platform.clock import council_today
from broker.platform.db import Database

pytestmark = pytest.mark.usefixtures("demo")

AMELIA = str(demo_id("person:amelia"))
AMELIA_CASE = str(demo_id("assessment:amelia"))
JORDAN = str(demo_id("person:jordan"))


@pytest.fixture
def sen(auth_headers):  # type: ignore[no-untyped-def]
    return auth_headers("sen.caseworker")


def _open(client: TestClient, headers: dict[str, str], subject: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/assessments", headers=headers, json={
        "subject_id": subject, "received_on": (council_today() - timedelta(days=2)).isoformat()})


def _openings(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.event_type == "assessment.opened")) or 0


def test_a_second_case_for_the_same_child_is_409_naming_the_first(
        client: TestClient, sen, database: Database) -> None:  # type: ignore[no-untyped-def]
    before = _openings(database)
    response = _open(client, sen, AMELIA)
    assert response.status_code == 409
    problem = response.json()
    assert problem["assessment_id"] == AMELIA_CASE
    assert problem["reference"] in problem["detail"]
    listed = client.get("/api/v1/assessments?officer=all", headers=sen).json()
    assert [c["id"] for c in listed if c["subject_id"] == AMELIA] == [AMELIA_CASE]
    assert _openings(database) == before


def test_once_the_case_has_ended_another_may_be_opened(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    first = _open(client, sen, JORDAN)
    assert first.status_code == 201
    assert _open(client, sen, JORDAN).status_code == 409
    step = {"step": "decision_to_assess", "completed_on": council_today().isoformat(), "decision": "not_assess"}
    assert client.post(f"/api/v1/assessments/{first.json()['id']}/steps", headers=sen, json=step).status_code == 200
    second = _open(client, sen, JORDAN)
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


def test_two_caseworkers_opening_at_once_make_one_case(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    headers = [auth_headers("sen.caseworker"), auth_headers("sen.caseworker2")]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def open_one(h: dict[str, str]) -> None:
        start.wait()
        statuses.append(_open(client, h, JORDAN).status_code)

    threads = [threading.Thread(target=open_one, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    listed = client.get("/api/v1/assessments?officer=all", headers=headers[0]).json()
    assert len([c for c in listed if c["subject_id"] == JORDAN]) == 1


@pytest.mark.parametrize("username", ["ep.psychologist", "sc.caseworker"])
def test_only_the_sen_team_opens_cases(client: TestClient, auth_headers, username: str) -> None:  # type: ignore[no-untyped-def]
    response = _open(client, auth_headers(username), JORDAN)
    assert response.status_code == 403
