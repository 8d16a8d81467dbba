"""Case officers: who is responsible for a case, handing it over, and "your cases" in the overview."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.platform.clock import council_today

pytestmark = pytest.mark.usefixtures("demo")

AMELIA_CASE = demo_id("assessment:amelia")
OLIVER_CASE = demo_id("assessment:oliver")
SAM = str(demo_id("user:sen.caseworker"))
NADIA = str(demo_id("user:sen.caseworker2"))


@pytest.fixture
def sen(auth_headers):  # type: ignore[no-untyped-def]
    return auth_headers("sen.caseworker")


@pytest.fixture
def nadia(auth_headers):  # type: ignore[no-untyped-def]
    return auth_headers("sen.caseworker2")


def _open(client: TestClient, headers: dict[str, str], child: str = "jordan", **extra: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/assessments", headers=headers, json={
        "subject_id": str(demo_id(f"person:{child}")), "received_on": (council_today() - timedelta(days=3)).isoformat(),
        **extra})


def hand_over(client: TestClient, headers: dict[str, str], case_id: object, **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/assessments/{case_id}/case-officer", headers=headers, json=body)


def _officer(client: TestClient, headers: dict[str, str], case_id: object) -> tuple[str, str]:
    case = client.get(f"/api/v1/assessments/{case_id}", headers=headers).json()
    return case["case_officer_user_id"], case["case_officer_name"]


def test_the_opener_is_the_case_officer_unless_another_caseworker_is_named(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    mine = _open(client, sen)
    assert mine.status_code == 201, mine.text
    assert (mine.json()["case_officer_user_id"], mine.json()["case_officer_name"]) == (SAM, "Sam Okafor (SEN caseworker)")
    theirs = _open(client, sen, child="leo", case_officer_user_id=NADIA)
    assert theirs.status_code == 201, theirs.text
    assert _officer(client, sen, theirs.json()["id"]) == (NADIA, "Nadia Hussain (SEN caseworker)")
    assert theirs.json()["opened_by_user_id"] == SAM


@pytest.mark.parametrize("user", ["sc.caseworker", "ig.auditor", "sarah.clarke", "unknown"])
def test_opening_with_a_case_officer_who_is_not_a_caseworker_of_the_team_is_422(client: TestClient, sen, user: str) -> None:  # type: ignore[no-untyped-def]
    user_id = str(uuid.uuid4()) if user == "unknown" else str(demo_id("user:" + user))
    before = len(client.get("/api/v1/assessments?officer=all&status=all", headers=sen).json())
    response = _open(client, sen, case_officer_user_id=user_id)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "caseworker of the organisation" in response.json()["detail"]
    assert len(client.get("/api/v1/assessments?officer=all&status=all", headers=sen).json()) == before


def test_a_caseworker_hands_a_case_over_and_it_shows_on_the_case(client: TestClient, sen, nadia) -> None:  # type: ignore[no-untyped-def]
    response = hand_over(client, sen, OLIVER_CASE, user_id=NADIA, reason="  Sam is on leave until March.  ")
    assert response.status_code == 200, response.text
    assert (response.json()["case_officer_user_id"], response.json()["case_officer_name"]) == (
        NADIA, "Nadia Hussain (SEN caseworker)")
    assert _officer(client, sen, OLIVER_CASE) == _officer(client, nadia, OLIVER_CASE) == (
        NADIA, "Nadia Hussain (SEN caseworker)")
    # Any caseworker of the team may hand it on again, the new officer included.
    back = hand_over(client, nadia, OLIVER_CASE, user_id=SAM, reason="Sam is back.")
    assert back.status_code == 200 and back.json()["case_officer_user_id"] == SAM


def test_a_handover_is_audited_with_both_officers_and_the_trimmed_reason(client: TestClient, sen, database) -> None:  # type: ignore[no-untyped-def]
    assert hand_over(client, sen, AMELIA_CASE, user_id=NADIA, reason="  Moving to the post-16 team.  ").status_code == 200
    with database.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.event_type == "assessment.case_officer_changed")).all()
    assert entry.actor_username == "sen.caseworker" and entry.outcome == "success"
    assert entry.subject_id == str(demo_id("person:amelia")) and entry.case_reference
    assert entry.details_data == {"assessment_id": str(AMELIA_CASE), "from_user_id": SAM, "to_user_id": NADIA,
                                  "reason": "Moving to the post-16 team."}


@pytest.mark.parametrize("user", ["sc.caseworker", "safeguarding.lead", "ig.auditor", "admin", "sarah.clarke", "unknown"])
def test_handing_over_to_someone_not_a_caseworker_of_the_team_is_422(client: TestClient, sen, user: str) -> None:  # type: ignore[no-untyped-def]
    user_id = str(uuid.uuid4()) if user == "unknown" else str(demo_id("user:" + user))
    response = hand_over(client, sen, OLIVER_CASE, user_id=user_id, reason="Covering the caseload.")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "The case officer must be a caseworker of the organisation that runs the case."
    assert _officer(client, sen, OLIVER_CASE)[0] == SAM


@pytest.mark.parametrize("body", [
    {"user_id": NADIA},
    {"user_id": NADIA, "reason": "   "},
    {"user_id": NADIA, "reason": "x" * 501},
    {"user_id": "not-an-id", "reason": "Covering."},
    {"reason": "Covering."},
    {"user_id": NADIA, "reason": "Covering.", "extra": 1},
])
def test_bad_handover_bodies_are_422_and_change_nothing(client: TestClient, sen, body: dict) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/api/v1/assessments/{OLIVER_CASE}/case-officer", headers=sen, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _officer(client, sen, OLIVER_CASE)[0] == SAM


def test_a_reason_of_500_characters_is_accepted(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    assert hand_over(client, sen, OLIVER_CASE, user_id=NADIA, reason="y" * 500).status_code == 200


def test_handing_over_to_the_current_officer_is_409(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    response = hand_over(client, sen, OLIVER_CASE, user_id=SAM, reason="No change.")
    assert response.status_code == 409
    assert response.json()["detail"] == "Sam Okafor (SEN caseworker) is already the case officer of this case."


def test_a_closed_case_cannot_be_handed_over(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    step = {"step": "decision_to_assess", "completed_on": council_today().isoformat(), "decision": "not_assess"}
    assert client.post(f"/api/v1/assessments/{OLIVER_CASE}/steps", headers=sen, json=step).status_code == 200
    response = hand_over(client, sen, OLIVER_CASE, user_id=NADIA, reason="Covering.")
    assert response.status_code == 409 and "closed" in response.json()["detail"]
    assert _officer(client, sen, OLIVER_CASE)[0] == SAM


def test_an_unknown_case_or_another_organisations_is_404(client: TestClient, auth_headers, sen) -> None:  # type: ignore[no-untyped-def]
    unknown = hand_over(client, sen, uuid.uuid4(), user_id=NADIA, reason="Covering.")
    other = hand_over(client, auth_headers("ep.psychologist"), OLIVER_CASE, user_id=NADIA, reason="Covering.")
    assert unknown.status_code == other.status_code == 404
    assert unknown.json()["detail"] == other.json()["detail"]


@pytest.mark.parametrize("username", ["safeguarding.lead", "ig.auditor", "admin", "sarah.clarke"])
def test_only_caseworkers_hand_over(client: TestClient, auth_headers, username: str) -> None:  # type: ignore[no-untyped-def]
    response = hand_over(client, auth_headers(username), OLIVER_CASE, user_id=NADIA, reason="Covering.")
    assert response.status_code == 403


def test_a_safeguarding_lead_with_break_glass_may_not_hand_over(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    lead = auth_headers("safeguarding.lead")
    opened = client.post("/api/v1/break-glass", headers=lead, json={
        "subject_id": str(demo_id("person:amelia")), "reason_code": "risk_of_significant_harm",
        "reason_text": "Police called to the home overnight; strategy discussion this morning."})
    assert opened.status_code == 201
    assert hand_over(client, lead, AMELIA_CASE, user_id=NADIA, reason="Covering.").status_code == 403


def _names(client: TestClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = client.get(f"/api/v1/assessments{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [c["subject_name"] for c in response.json()]


def test_the_overview_shows_your_cases_by_default_and_the_teams_on_asking(client: TestClient, sen, nadia) -> None:  # type: ignore[no-untyped-def]
    assert _names(client, sen) == _names(client, sen, "?officer=me") == ["Amelia Clarke", "Oliver Bennett"]
    assert _names(client, nadia) == []
    assert _names(client, nadia, "?officer=all") == ["Amelia Clarke", "Oliver Bennett"]
    assert hand_over(client, sen, OLIVER_CASE, user_id=NADIA, reason="Sam's caseload is full.").status_code == 200
    assert _names(client, sen) == ["Amelia Clarke"]
    assert _names(client, nadia) == ["Oliver Bennett"]
    team = client.get("/api/v1/assessments?officer=all", headers=sen).json()
    assert {c["subject_name"]: c["case_officer_name"] for c in team} == {
        "Amelia Clarke": "Sam Okafor (SEN caseworker)", "Oliver Bennett": "Nadia Hussain (SEN caseworker)"}
    assert client.get("/api/v1/assessments?officer=someone", headers=sen).status_code == 422


def test_the_status_filter_applies_to_either_list(client: TestClient, sen, nadia) -> None:  # type: ignore[no-untyped-def]
    assert hand_over(client, sen, OLIVER_CASE, user_id=NADIA, reason="Covering.").status_code == 200
    step = {"step": "decision_to_assess", "completed_on": council_today().isoformat(), "decision": "not_assess"}
    assert client.post(f"/api/v1/assessments/{OLIVER_CASE}/steps", headers=nadia, json=step).status_code == 200
    assert _names(client, nadia) == [] and _names(client, nadia, "?status=closed") == ["Oliver Bennett"]
    assert _names(client, sen, "?status=closed") == []
    assert _names(client, sen, "?status=closed&officer=all") == ["Oliver Bennett"]
    assert _names(client, sen, "?status=all&officer=all") == ["Amelia Clarke", "Oliver Bennett"]


def test_a_safeguarding_leads_overview_defaults_to_every_case_they_may_see(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    lead = auth_headers("safeguarding.lead")
    client.post("/api/v1/break-glass", headers=lead, json={
        "subject_id": str(demo_id("person:amelia")), "reason_code": "risk_of_significant_harm",
        "reason_text": "Police called to the home overnight; strategy discussion this morning."})
    assert _names(client, lead) == _names(client, lead, "?officer=all") == ["Amelia Clarke"]
    assert _names(client, lead, "?officer=me") == []
