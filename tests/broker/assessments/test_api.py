"""The assessments API: opening cases, the clocks, advice requests, exceptions, steps, the overview."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from broker.dev.demo import demo_id
from broker.platform.clock import council_today

pytestmark = pytest.mark.usefixtures("demo")

AMELIA_CASE = demo_id("assessment:amelia")
OLIVER_CASE = demo_id("assessment:oliver")


def person(key: str) -> str:
    return str(demo_id("person:" + key))


def org(code: str) -> str:
    return str(demo_id("org:" + code))


def days_ago(n: int) -> str:
    return (council_today() - timedelta(days=n)).isoformat()


@pytest.fixture
def sen(auth_headers):  # type: ignore[no-untyped-def]
    return auth_headers("sen.caseworker")


def open_case(client: TestClient, headers: dict[str, str], subject: str = "jordan", received: int = 10) -> dict:
    response = client.post("/api/v1/assessments", headers=headers,
                           json={"subject_id": person(subject), "received_on": days_ago(received)})
    assert response.status_code == 201, response.text
    return response.json()


def request_advice(client: TestClient, headers: dict[str, str], case_id: object, **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/assessments/{case_id}/advice-requests", headers=headers, json=body)


# Opening a case

def test_a_caseworker_opens_a_case_with_a_reference_and_three_clocks(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    case = open_case(client, sen, received=10)
    assert re.fullmatch(r"EHC-\d{4}-\d{6}", case["reference"])
    assert case["status"] == "open" and case["closed_at"] is None
    assert case["subject_name"] == "Jordan Hughes" and case["organisation_name"] == "Northshire SEN team"
    clocks = {c["kind"]: c for c in case["clocks"]}
    assert clocks["decision_to_assess"]["due_on"] == days_ago(10 - 42)
    assert clocks["decision_to_assess"]["days_remaining"] == 32
    assert clocks["notice_of_no_plan"]["due_on"] == days_ago(10 - 112)
    assert clocks["final_plan"]["due_on"] == days_ago(10 - 140)
    assert {c["status"] for c in case["clocks"]} == {"running"}
    again = client.get(f"/api/v1/assessments/{case['id']}", headers=sen).json()
    assert again == case


def test_case_references_are_consecutive(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    first = open_case(client, sen, "jordan", received=3)["reference"]
    second = open_case(client, sen, "leo", received=3)["reference"]
    assert first[:9] == second[:9] and int(second[-6:]) == int(first[-6:]) + 1


def test_opening_needs_a_token_and_a_case_role(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    body = {"subject_id": person("jordan"), "received_on": days_ago(1)}
    assert client.post("/api/v1/assessments", json=body).status_code == 401
    for username in ("sarah.clarke", "ig.auditor", "admin"):
        assert client.post("/api/v1/assessments", json=body, headers=auth_headers(username)).status_code == 403


@pytest.mark.parametrize("username", ["sc.caseworker", "safeguarding.lead"])
def test_a_caseworker_whose_organisation_may_not_use_the_purpose_gets_403(client: TestClient, auth_headers, username: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/assessments", headers=auth_headers(username),
                           json={"subject_id": person("jordan"), "received_on": days_ago(1)})
    assert response.status_code == 403
    assert "EHC_NEEDS_ASSESSMENT" in response.json()["detail"]


def test_a_refused_opening_is_written_to_the_audit_log_and_opens_nothing(client: TestClient, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from audit.models import AuditEntry
    from broker.assessments.models import Assessment

    response = client.post("/api/v1/assessments", headers=auth_headers("sc.caseworker"),
                           json={"subject_id": person("jordan"), "received_on": days_ago(1)})
    assert response.status_code == 403
    with database.sessions() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
        assert (entry.event_type, entry.outcome, entry.actor_username) == ("assessment.open_refused", "refused", "sc.caseworker")
        assert (entry.subject_id, entry.purpose) == (person("jordan"), "EHC_NEEDS_ASSESSMENT")
        assert s.scalars(select(Assessment).where(Assessment.subject_id == demo_id("person:jordan"))).all() == []


def test_a_purpose_outside_the_sen_teams_list_is_403_and_a_non_case_purpose_is_422(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    base = {"subject_id": person("jordan"), "received_on": days_ago(1)}
    assert client.post("/api/v1/assessments", headers=sen, json={**base, "purpose": "SAFEGUARDING"}).status_code == 403
    assert client.post("/api/v1/assessments", headers=sen, json={**base, "purpose": "EHC_ANNUAL_REVIEW"}).status_code == 422
    assert client.post("/api/v1/assessments", headers=sen, json={**base, "purpose": "NOSY"}).status_code == 422


@pytest.mark.parametrize("subject", [str(uuid.uuid4()), person("sarah")])
def test_an_unknown_child_is_404(client: TestClient, sen, subject: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/assessments", headers=sen, json={"subject_id": subject, "received_on": days_ago(1)})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("body", [
    {"received_on": "2026-01-01"},
    {"subject_id": "not-a-uuid", "received_on": "2026-01-01"},
    {"subject_id": "PERSON", "received_on": "yesterday"},
    {"subject_id": "PERSON", "received_on": "2026-01-01", "colour": "blue"},
    {"subject_id": "PERSON", "received_on": "FUTURE"},
])
def test_bad_input_to_open_is_422_and_opens_nothing(client: TestClient, sen, body: dict) -> None:  # type: ignore[no-untyped-def]
    body = {k: (person("jordan") if v == "PERSON" else days_ago(-1) if v == "FUTURE" else v) for k, v in body.items()}
    assert client.post("/api/v1/assessments", headers=sen, json=body).status_code == 422
    assert len(client.get("/api/v1/assessments?status=all", headers=sen).json()) == 2


# Reading and the overview

def test_the_demo_case_for_amelia_shows_one_overdue_advice_request(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    case = client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=sen).json()
    statuses = {a["advice_type"]: a["status"] for a in case["advice_requests"]}
    assert statuses == {"psychological": "overdue", "education": "requested", "family_views": "received",
                        "health": "requested"}
    psychological = next(a for a in case["advice_requests"] if a["advice_type"] == "psychological")
    assert psychological["regulation"] == "reg 6(1)(d)"
    assert psychological["addressed_to"] == "Northshire educational psychology service"
    assert psychological["clock"]["days_overdue"] > 0
    family = next(a for a in case["advice_requests"] if a["advice_type"] == "family_views")
    # Reg 8's six weeks are for advice under reg 6(1)(b)-(h): the family's own views have no clock.
    assert family["addressed_to"] == "The child's family" and family["clock"]["status"] == "not_applicable"
    assert {c["kind"]: c["status"] for c in case["clocks"]}["decision_to_assess"] == "met"


def test_a_caseworker_of_another_organisation_gets_404_as_for_an_unknown_case(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    other = client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=auth_headers("ep.psychologist"))
    unknown = client.get(f"/api/v1/assessments/{uuid.uuid4()}", headers=auth_headers("ep.psychologist"))
    assert other.status_code == unknown.status_code == 404
    assert other.json()["detail"] == unknown.json()["detail"]
    assert client.get("/api/v1/assessments/nope", headers=auth_headers("sen.caseworker")).status_code == 422


def test_the_overview_lists_the_organisations_cases_most_urgent_first(client: TestClient, sen, auth_headers) -> None:  # type: ignore[no-untyped-def]
    cases = client.get("/api/v1/assessments", headers=sen).json()
    assert [c["subject_name"] for c in cases] == ["Amelia Clarke", "Oliver Bennett"]
    amelia = cases[0]
    assert [a["advice_type"] for a in amelia["overdue_advice"]] == ["psychological"]
    assert amelia["advice_outstanding"] == 3 and amelia["overdue_clocks"] == 0
    assert amelia["next_due_on"] == amelia["overdue_advice"][0]["due_on"]
    # In the demo, Amelia's parents answered one request differently; Oliver's mother has one to answer.
    assert (amelia["conflicting_answers"], amelia["consent_requests_awaiting"]) == (1, 0)
    assert (cases[1]["conflicting_answers"], cases[1]["consent_requests_awaiting"]) == (0, 1)
    assert client.get("/api/v1/assessments", headers=auth_headers("sc.caseworker")).json() == []
    assert client.get("/api/v1/assessments?status=sideways", headers=sen).status_code == 422


def test_closed_cases_leave_the_default_overview(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    step = {"step": "decision_to_assess", "completed_on": days_ago(0), "decision": "not_assess"}
    assert client.post(f"/api/v1/assessments/{OLIVER_CASE}/steps", headers=sen, json=step).status_code == 200
    assert [c["subject_name"] for c in client.get("/api/v1/assessments", headers=sen).json()] == ["Amelia Clarke"]
    closed = client.get("/api/v1/assessments?status=closed", headers=sen).json()
    assert [c["subject_name"] for c in closed] == ["Oliver Bennett"] and closed[0]["next_due_on"] is None
    assert len(client.get("/api/v1/assessments?status=all", headers=sen).json()) == 2


# Advice requests

def test_advice_is_due_six_weeks_after_it_was_requested(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    response = request_advice(client, sen, OLIVER_CASE, advice_type="psychological",
                              organisation_id=org("NCC-EPS"), requested_on=days_ago(3))
    assert response.status_code == 201, response.text
    advice = response.json()
    assert advice["status"] == "requested" and advice["requested_on"] == days_ago(3)
    assert advice["due_on"] == days_ago(3 - 42) and advice["clock"]["days_remaining"] == 39
    case = client.get(f"/api/v1/assessments/{OLIVER_CASE}", headers=sen).json()
    assert advice["id"] in {a["id"] for a in case["advice_requests"]}


def test_requested_on_defaults_to_today(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    advice = request_advice(client, sen, OLIVER_CASE, advice_type="health", organisation_id=org("NHS-NCH")).json()
    assert advice["requested_on"] == days_ago(0) and advice["clock"]["days_remaining"] == 42


@pytest.mark.parametrize(("body", "status"), [
    ({"advice_type": "family_views", "organisation_id": "NHS-NCH"}, 422),
    ({"advice_type": "psychological"}, 422),
    ({"advice_type": "education", "organisation_id": "NHS-NCH"}, 422),
    ({"advice_type": "psychological", "organisation_id": "UNKNOWN"}, 422),
    ({"advice_type": "astrology", "organisation_id": "NCC-EPS"}, 422),
    ({"advice_type": "psychological", "organisation_id": "NCC-EPS", "requested_on": "FUTURE"}, 422),
    ({"advice_type": "psychological", "organisation_id": "NCC-EPS", "requested_on": "BEFORE"}, 422),
    ({"advice_type": "preparing_for_adulthood", "organisation_id": "NCC-CSC"}, 422),
    ({"advice_type": "family_views"}, 409),
])
def test_bad_advice_requests_are_refused_and_change_nothing(client: TestClient, sen, body: dict, status: int) -> None:  # type: ignore[no-untyped-def]
    values = {"FUTURE": days_ago(-1), "BEFORE": days_ago(15), "UNKNOWN": str(uuid.uuid4())}
    body = {k: values.get(v, org(v) if k == "organisation_id" else v) for k, v in body.items()}
    before = client.get(f"/api/v1/assessments/{OLIVER_CASE}", headers=sen).json()["advice_requests"]
    assert request_advice(client, sen, OLIVER_CASE, **body).status_code == status
    assert client.get(f"/api/v1/assessments/{OLIVER_CASE}", headers=sen).json()["advice_requests"] == before


def test_preparing_for_adulthood_advice_is_for_year_9_onwards(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    case = open_case(client, sen, "jordan")
    response = request_advice(client, sen, case["id"], advice_type="preparing_for_adulthood", organisation_id=org("NCC-CSC"))
    assert response.status_code == 201 and response.json()["regulation"] == "reg 6(1)(f)"


def test_advice_on_a_case_you_cannot_see_or_that_does_not_exist_is_404(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    body = {"advice_type": "psychological", "organisation_id": org("NCC-EPS")}
    assert request_advice(client, auth_headers("sc.caseworker"), AMELIA_CASE, **body).status_code == 404
    assert request_advice(client, auth_headers("sen.caseworker"), uuid.uuid4(), **body).status_code == 404


def _advice_id(client: TestClient, headers: dict[str, str], advice_type: str) -> str:
    case = client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=headers).json()
    return next(a["id"] for a in case["advice_requests"] if a["advice_type"] == advice_type)


def update(client: TestClient, headers: dict[str, str], advice_id: str, **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/assessments/{AMELIA_CASE}/advice-requests/{advice_id}", headers=headers, json=body)


def test_received_advice_stops_its_clock_and_cannot_be_changed_again(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    advice_id = _advice_id(client, sen, "psychological")
    response = update(client, sen, advice_id, status="received", received_on=days_ago(1))
    assert response.status_code == 200, response.text
    advice = response.json()
    assert advice["status"] == "received" and advice["received_on"] == days_ago(1)
    assert advice["clock"]["status"] == "late" and advice["clock"]["completed_on"] == days_ago(1)
    assert update(client, sen, advice_id, status="declined", declined_reason="Changed our mind").status_code == 409


def test_declined_advice_needs_a_reason(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    advice_id = _advice_id(client, sen, "education")
    assert update(client, sen, advice_id, status="declined").status_code == 422
    response = update(client, sen, advice_id, status="declined", declined_reason="The school has not taught her yet.")
    assert response.status_code == 200
    assert response.json()["status"] == "declined" and response.json()["clock"]["status"] == "not_applicable"


def reuse_body(**overrides: object) -> dict:
    agreement = {
        "existing_advice": "EP report by Dr Lee, 3 March 2026, held by the EP service",
        "family_agreed_by_person_id": person("sarah"), "family_agreed_on": days_ago(2),
        "author_name": "Dr Hannah Lee", "author_organisation_id": org("NCC-EPS"), "author_agreed_on": days_ago(1),
    }
    return {"status": "reused", "reuse_agreement": {**agreement, **overrides}}


def test_reuse_records_who_agreed_and_when(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    advice_id = _advice_id(client, sen, "psychological")
    response = update(client, sen, advice_id, **reuse_body())
    assert response.status_code == 200, response.text
    advice = response.json()
    assert advice["status"] == "reused" and advice["clock"]["status"] == "not_applicable"
    agreement = advice["reuse_agreement"]
    assert agreement["family_agreed_by_person_id"] == person("sarah")
    assert agreement["author_name"] == "Dr Hannah Lee" and agreement["author_agreed_on"] == days_ago(1)
    assert agreement["council_agreed_by_user_id"] == str(demo_id("user:sen.caseworker"))
    assert agreement["council_agreed_on"] == days_ago(0)


@pytest.mark.parametrize("make_body", [
    lambda: {"status": "reused"},
    lambda: reuse_body(family_agreed_by_person_id=person("priya")),
    lambda: reuse_body(author_agreed_on=days_ago(-1)),
    lambda: reuse_body(author_organisation_id=str(uuid.uuid4())),
    lambda: reuse_body(author_name=""),
    lambda: {"status": "received", "received_on": days_ago(200)},
    lambda: {"status": "received", "received_on": days_ago(-2)},
    lambda: {"status": "received", "reuse_agreement": reuse_body()["reuse_agreement"]},
    lambda: {"status": "overdue"},
    lambda: {"status": "requested"},
])
def test_bad_advice_updates_are_422_and_change_nothing(client: TestClient, sen, make_body) -> None:  # type: ignore[no-untyped-def]
    # Bodies are built when the test runs, so dates relative to today stay right across midnight.
    advice_id = _advice_id(client, sen, "psychological")
    assert update(client, sen, advice_id, **make_body()).status_code == 422
    case = client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=sen).json()
    assert next(a for a in case["advice_requests"] if a["id"] == advice_id)["status"] == "overdue"


def test_updating_an_unknown_advice_request_is_404(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    unknown = update(client, sen, str(uuid.uuid4()), status="received")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "No advice request with this id in this assessment."
    oliver_advice = client.get(f"/api/v1/assessments/{OLIVER_CASE}", headers=sen).json()["advice_requests"][0]["id"]
    of_another_case = update(client, sen, oliver_advice, status="received")
    assert of_another_case.status_code == 404 and of_another_case.json()["detail"] == unknown.json()["detail"]


# Clock exceptions

def except_clock(client: TestClient, headers: dict[str, str], case_id: object, **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/assessments/{case_id}/clock-exceptions", headers=headers, json=body)


def test_a_pause_on_an_advice_clock_shows_paused_with_its_code_then_ends(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    advice_id = _advice_id(client, sen, "health")
    before = next(a for a in client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=sen).json()["advice_requests"]
                  if a["id"] == advice_id)
    response = except_clock(client, sen, AMELIA_CASE, clock="advice", advice_request_id=advice_id, code="reg8_2_c",
                            effect="pause", starts_on=days_ago(7), note="Missed the paediatric appointment.")
    assert response.status_code == 201, response.text
    exception = response.json()
    assert exception["regulation"] == "reg 8(2)(c)" and exception["ends_on"] is None
    case = client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=sen).json()
    advice = next(a for a in case["advice_requests"] if a["id"] == advice_id)
    assert advice["clock"]["status"] == "paused" and advice["clock"]["exception_codes"] == ["reg8_2_c"]
    assert advice["due_on"] > before["due_on"]
    ended = client.post(f"/api/v1/assessments/{AMELIA_CASE}/clock-exceptions/{exception['id']}/end",
                        headers=sen, json={"ends_on": days_ago(4)})
    assert ended.status_code == 200 and ended.json()["ends_on"] == days_ago(4)
    case = client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=sen).json()
    advice = next(a for a in case["advice_requests"] if a["id"] == advice_id)
    assert advice["clock"]["status"] == "running" and advice["clock"]["exception_codes"] == ["reg8_2_c"]
    statutory_due = before["clock"]["statutory_due_on"]
    assert advice["clock"]["statutory_due_on"] == statutory_due
    assert advice["due_on"] == (date.fromisoformat(statutory_due) + timedelta(days=3)).isoformat()
    assert client.post(f"/api/v1/assessments/{AMELIA_CASE}/clock-exceptions/{exception['id']}/end",
                       headers=sen, json={"ends_on": days_ago(0)}).status_code == 409


def test_ending_a_clock_exception_the_case_does_not_hold_is_404(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    response = except_clock(client, sen, OLIVER_CASE, clock="final_plan", code="reg10_4_b", effect="pause",
                            starts_on=days_ago(1), note="Family holiday.")
    assert response.status_code == 201, response.text
    for case_id, exception_id in ((AMELIA_CASE, response.json()["id"]), (OLIVER_CASE, uuid.uuid4())):
        ended = client.post(f"/api/v1/assessments/{case_id}/clock-exceptions/{exception_id}/end",
                            headers=sen, json={"ends_on": days_ago(0)})
        assert ended.status_code == 404
        assert ended.json()["detail"] == "No clock exception with this id in this assessment."


def test_an_excuse_on_the_final_plan_clock_shows_excused(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    response = except_clock(client, sen, AMELIA_CASE, clock="final_plan", code="reg10_4_b", effect="excuse",
                            starts_on=days_ago(1), note="Bereavement in the family.")
    assert response.status_code == 201
    clocks = {c["kind"]: c for c in client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=sen).json()["clocks"]}
    assert clocks["final_plan"]["status"] == "excused" and clocks["final_plan"]["exception_codes"] == ["reg10_4_b"]
    assert clocks["notice_of_no_plan"]["status"] == "running"


@pytest.mark.parametrize("body", [
    {"clock": "final_plan", "code": "reg8_2_a", "effect": "pause", "starts_on": "D3", "note": "wrong regulation"},
    {"clock": "final_plan", "code": "reg99", "effect": "pause", "starts_on": "D3", "note": "unknown code"},
    {"clock": "advice", "code": "reg8_2_a", "effect": "pause", "starts_on": "D3", "note": "which advice?"},
    {"clock": "final_plan", "advice_request_id": "ADVICE", "code": "reg10_4_b", "effect": "pause", "starts_on": "D3", "note": "stray id"},
    {"clock": "final_plan", "code": "reg10_4_b", "effect": "excuse", "starts_on": "D3", "ends_on": "D1", "note": "an excuse does not end"},
    {"clock": "final_plan", "code": "reg10_4_b", "effect": "pause", "starts_on": "D3", "ends_on": "D5", "note": "ends before start"},
    {"clock": "final_plan", "code": "reg10_4_b", "effect": "pause", "starts_on": "TOMORROW", "note": "future"},
    {"clock": "final_plan", "code": "reg10_4_b", "effect": "pause", "starts_on": "LONG_AGO", "note": "before day 0"},
    {"clock": "final_plan", "code": "reg10_4_b", "effect": "pause", "starts_on": "D3"},
    {"clock": "final_plan", "code": "reg10_4_b", "effect": "stop", "starts_on": "D3", "note": "unknown effect"},
])
def test_bad_clock_exceptions_are_422_and_record_nothing(client: TestClient, sen, body: dict) -> None:  # type: ignore[no-untyped-def]
    values = {"D1": days_ago(1), "D3": days_ago(3), "D5": days_ago(5), "TOMORROW": days_ago(-1),
              "LONG_AGO": days_ago(400), "ADVICE": _advice_id(client, sen, "health")}
    body = {k: values.get(v, v) for k, v in body.items()}
    assert except_clock(client, sen, AMELIA_CASE, **body).status_code == 422
    assert client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=sen).json()["clock_exceptions"] == []


def test_exception_codes_are_listed(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    codes = {c["code"]: c for c in client.get("/api/v1/assessments/exception-codes", headers=sen).json()}
    assert codes["reg8_2_a"]["clocks"] == ["advice"]
    assert codes["reg10_4_a"]["clocks"] == ["final_plan", "notice_of_no_plan"]


# Steps and closing

def test_decision_then_final_plan_closes_the_case_and_freezes_it(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    case = open_case(client, sen, "leo", received=30)
    steps = f"/api/v1/assessments/{case['id']}/steps"
    assert client.post(steps, headers=sen, json={"step": "final_plan", "completed_on": days_ago(1)}).status_code == 409
    decided = client.post(steps, headers=sen, json={"step": "decision_to_assess", "completed_on": days_ago(20), "decision": "assess"})
    assert decided.status_code == 200 and decided.json()["status"] == "open"
    assert client.post(steps, headers=sen, json={"step": "decision_to_assess", "completed_on": days_ago(1),
                                                  "decision": "assess"}).status_code == 409
    assert client.post(steps, headers=sen, json={"step": "draft_plan", "completed_on": days_ago(21)}).status_code == 422
    drafted = client.post(steps, headers=sen, json={"step": "draft_plan", "completed_on": days_ago(18)})
    assert drafted.status_code == 200 and drafted.json()["status"] == "open"
    final = client.post(steps, headers=sen, json={"step": "final_plan", "completed_on": days_ago(0)}).json()
    assert final["status"] == "closed" and final["closed_at"] is not None
    clocks = {c["kind"]: c["status"] for c in final["clocks"]}
    assert clocks == {"decision_to_assess": "met", "notice_of_no_plan": "not_applicable", "final_plan": "met"}
    assert request_advice(client, sen, case["id"], advice_type="family_views").status_code == 409


def test_a_decision_not_to_assess_closes_the_case_and_the_plan_clocks_do_not_apply(client: TestClient, sen) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/api/v1/assessments/{OLIVER_CASE}/steps", headers=sen,
                           json={"step": "decision_to_assess", "completed_on": days_ago(0), "decision": "not_assess"})
    case = response.json()
    assert case["status"] == "closed" and case["decision"] == "not_assess"
    assert {c["kind"]: c["status"] for c in case["clocks"]} == {
        "decision_to_assess": "met", "notice_of_no_plan": "not_applicable", "final_plan": "not_applicable"}


@pytest.mark.parametrize("body", [
    {"step": "decision_to_assess", "completed_on": "TODAY"},
    {"step": "decision_to_assess", "completed_on": "TOMORROW", "decision": "assess"},
    {"step": "decision_to_assess", "completed_on": "LONG_AGO", "decision": "assess"},
    {"step": "final_plan", "completed_on": "TODAY", "decision": "assess"},
    {"step": "plan_lost", "completed_on": "TODAY"},
])
def test_bad_steps_are_422(client: TestClient, sen, body: dict) -> None:  # type: ignore[no-untyped-def]
    values = {"TODAY": days_ago(0), "TOMORROW": days_ago(-1), "LONG_AGO": days_ago(400)}
    body = {k: values.get(v, v) for k, v in body.items()}
    assert client.post(f"/api/v1/assessments/{OLIVER_CASE}/steps", headers=sen, json=body).status_code == 422
    assert client.get(f"/api/v1/assessments/{OLIVER_CASE}", headers=sen).json()["decision"] is None


# Safeguarding leads

def test_a_safeguarding_lead_sees_a_childs_case_only_during_break_glass(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    lead = auth_headers("safeguarding.lead")
    assert client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=lead).status_code == 404
    assert client.get("/api/v1/assessments", headers=lead).json() == []
    opened = client.post("/api/v1/break-glass", headers=lead, json={
        "subject_id": person("amelia"), "reason_code": "risk_of_significant_harm",
        "reason_text": "Police called to the home overnight; strategy discussion this morning."})
    assert opened.status_code == 201
    assert client.get(f"/api/v1/assessments/{AMELIA_CASE}", headers=lead).status_code == 200
    assert [c["subject_name"] for c in client.get("/api/v1/assessments", headers=lead).json()] == ["Amelia Clarke"]
    assert client.get(f"/api/v1/assessments/{OLIVER_CASE}", headers=lead).status_code == 404
    change = request_advice(client, lead, AMELIA_CASE, advice_type="family_views")
    assert change.status_code == 403 and "read" in change.json()["detail"]


def test_the_openapi_schema_documents_the_endpoints_with_examples(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/v1/assessments", "/api/v1/assessments/{assessment_id}",
                 "/api/v1/assessments/{assessment_id}/advice-requests",
                 "/api/v1/assessments/{assessment_id}/clock-exceptions", "/api/v1/break-glass",
                 "/api/v1/break-glass/reviews", "/api/v1/break-glass/reviews/{access_id}"):
        assert path in schema["paths"]
    for name in ("AssessmentCreate", "AdviceRequestCreate", "AdviceRequestUpdate", "ClockExceptionCreate",
                 "StepCreate", "BreakGlassCreate", "BreakGlassReviewCreate"):
        assert schema["components"]["schemas"][name]["examples"], name
