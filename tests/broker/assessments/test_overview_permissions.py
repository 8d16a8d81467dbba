"""The overview's permissions: what each open case still needs, and answers that conflict."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from broker.dev.demo import demo_id
from tests.broker.assessments.test_api import open_case, org, person, request_advice

pytestmark = pytest.mark.usefixtures("demo")


def overview(client: TestClient, headers: dict[str, str]) -> dict[str, dict]:
    return {c["subject_name"]: c for c in client.get("/api/v1/assessments", headers=headers).json()}


def test_conflicting_answers_from_two_parents_are_listed_with_each_answer(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    amelia = overview(client, auth_headers("sen.caseworker"))["Amelia Clarke"]
    assert amelia["conflicting_answers"] == 1
    [conflict] = amelia["conflicts"]
    assert conflict["categories"] == ["SC_ASSESSMENT"]
    answers = {a["name"]: a for a in conflict["answers"]}
    assert {n: a["answer"] for n, a in answers.items()} == {"David Clarke": "decline", "Sarah Clarke": "approve_all"}
    assert all(a["standing"] == "pr_holder" for a in answers.values())


def test_an_open_consent_request_not_yet_answered_is_a_missing_permission(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    oliver = overview(client, auth_headers("sen.caseworker"))["Oliver Bennett"]
    assert oliver["consent_requests_awaiting"] == 1
    [missing] = oliver["missing_permissions"]
    assert (missing["category"], missing["holder_organisation_id"]) == ("EP_ADVICE", org("NCC-EPS"))
    assert missing["needed_for"] == "consent_request" and missing["consent_request_id"]
    assert missing["holder_name"] == "Northshire educational psychology service"


def test_awaited_advice_needs_no_permission_even_after_the_family_withdraws(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    sen = auth_headers("sen.caseworker")
    # Amelia's case holds permissions for EP and health advice, and education needs none (public task).
    assert overview(client, sen)["Amelia Clarke"]["missing_permissions"] == []
    consents = client.get("/api/v1/consents", headers=auth_headers("sarah.clarke"),
                          params={"subject_id": person("amelia")}).json()
    ep = [c for c in consents if c["status"] == "active" and any(
        s["data_category"] == "EP_ADVICE" and s["purpose"] == "EHC_NEEDS_ASSESSMENT" for s in c["versions"][-1]["scope"])]
    assert ep, consents
    for consent in ep:
        withdrawn = client.post(f"/api/v1/consents/{consent['id']}/withdraw", headers=auth_headers("sarah.clarke"), json={})
        assert withdrawn.status_code == 200, withdrawn.text
    # The advice the case asked the EP service for is taken on the council's statutory duty (reg 6(1)):
    # withdrawing the family's permission leaves nothing missing for it.
    missing = overview(client, sen)["Amelia Clarke"]["missing_permissions"]
    assert [m for m in missing if m["needed_for"] == "advice_request"] == []


def test_a_new_case_needs_no_permission_for_the_advice_it_asks_for(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    sen = auth_headers("sen.caseworker")
    case = open_case(client, sen, subject="jordan", received=10)
    for advice_type, holder in (("psychological", "NCC-EPS"), ("education", "SCH-RIVERSIDE"), ("health", "NHS-NCH")):
        assert request_advice(client, sen, case["id"], advice_type=advice_type,
                              organisation_id=org(holder)).status_code == 201
    assert request_advice(client, sen, case["id"], advice_type="family_views").status_code == 201
    jordan = overview(client, sen)["Jordan Hughes"]
    # Advice sought under reg 6(1) rests on the council's statutory duty: no permission is missing for it.
    assert jordan["missing_permissions"] == []
    assert jordan["conflicts"] == [] and str(demo_id("person:jordan")) == jordan["subject_id"]
