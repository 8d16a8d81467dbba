"""The permissions API: who may do what, bad input as clear problems, receipts, FHIR, decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.consent import Consent as FhirConsent
from joserfc.errors import BadSignatureError
from sqlalchemy import func, select

from broker.accounts.models import OutboxMessage
from broker.dev.demo import demo_id
from consent.models import ConsentRequestAnswer, ConsentStatusEvent, ConsentVersion
from consent.receipts import verify_receipt
from tests.broker.audit_entries import entries_since, next_seq

AMELIA = str(demo_id("person:amelia"))
OLIVER = str(demo_id("person:oliver"))
SEN, EPS, CSC, SCHOOL = (str(demo_id("org:" + c)) for c in ("NCC-SEN", "NCC-EPS", "NCC-CSC", "SCH-RIVERSIDE"))
PROBLEM = "application/problem+json"


def _grant_body(subject: str = AMELIA, categories: tuple[str, ...] = ("EDU_ATTENDANCE",), **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "subject_id": subject, "basis": "confidentiality",
        "scope": [{"data_category": c, "purpose": "EHC_NEEDS_ASSESSMENT", "recipient_organisation_id": SEN,
                   "holder_organisation_id": SCHOOL} for c in categories],
        "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra,
    }


def _request_body(**extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "subject_id": AMELIA, "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["EDU_ADVICE", "EDU_ATTAINMENT"],
        "holder_organisation_ids": [EPS], "recipient_organisation_ids": [SEN],
        "why": "The service's earlier advice describes how Amelia learns best.", "valid_for_days": 120,
        "if_declined": "The assessment goes ahead; we will ask the school for new advice.",
        "expires_at": (datetime.now(UTC) + timedelta(days=14)).isoformat(), **extra,
    }


def _count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_family_grants_reads_and_withdraws_and_a_second_withdrawal_conflicts(client: TestClient, auth_headers, database) -> None:
    sarah = auth_headers("sarah.clarke")
    with database.sessions() as s:
        start = next_seq(s)
    created = client.post("/api/v1/consents", json=_grant_body(), headers=sarah)
    assert created.status_code == 201, created.text
    consent = created.json()
    assert consent["versions"][0]["grantor_name"] == "Sarah Clarke" and consent["status"] == "active"
    listed = client.get("/api/v1/consents", params={"subject_id": AMELIA}, headers=auth_headers("david.clarke"))
    assert consent["id"] in [c["id"] for c in listed.json()]
    withdrawn = client.post(f"/api/v1/consents/{consent['id']}/withdraw", json={"reason": "changed"},
                            headers=auth_headers("david.clarke"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    events = _count(database, ConsentStatusEvent)
    again = client.post(f"/api/v1/consents/{consent['id']}/withdraw", json={}, headers=sarah)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert "already been withdrawn" in again.json()["detail"]
    assert _count(database, ConsentStatusEvent) == events
    with database.sessions() as s:
        entries = entries_since(s, start)
    audited = [(e.event_type, e.actor_username, e.details.get("consent_id")) for e in entries[:2]]
    assert audited == [("consent.granted", "sarah.clarke", consent["id"]), ("consent.withdrawn", "david.clarke", consent["id"])]
    # The refused second withdrawal changed nothing, yet is on the record, in an entry of its own.
    refused = entries[2:]
    assert [(e.event_type, e.outcome, e.actor_username) for e in refused] == [("request.refused", "refused", "sarah.clarke")]
    assert refused[0].details["path_params"] == {"consent_id": consent["id"]}
    assert refused[0].details["status"] == 409 and "already been withdrawn" in refused[0].reason


def test_families_reach_only_their_own_children(client: TestClient, auth_headers) -> None:
    priya = auth_headers("priya.bennett")
    assert client.post("/api/v1/consents", json=_grant_body(), headers=priya).status_code == 404
    assert client.get("/api/v1/consents", params={"subject_id": AMELIA}, headers=priya).status_code == 404
    amelias = client.get("/api/v1/consents", params={"subject_id": AMELIA}, headers=auth_headers("sarah.clarke")).json()
    assert client.get(f"/api/v1/consents/{amelias[0]['id']}", headers=priya).status_code == 404
    assert client.post(f"/api/v1/consents/{amelias[0]['id']}/withdraw", json={}, headers=priya).status_code == 404
    assert client.post("/api/v1/consents", json=_grant_body()).status_code == 401
    assert client.post("/api/v1/consents", json=_grant_body(), headers=auth_headers("ig.auditor")).status_code == 403
    assert client.post("/api/v1/decisions", json={}, headers=auth_headers("sarah.clarke")).status_code == 403


@pytest.mark.parametrize(("body", "status", "words"), [
    (_grant_body(subject=str(demo_id("person:nobody"))), 404, "no such subject"),
    (_grant_body(categories=("SAFEGUARDING",)), 422, "never shared on a family's permission"),
    (_grant_body(categories=("GOSSIP",)), 422, "unknown data category"),
    ({**_grant_body(), "scope": [{**_grant_body()["scope"][0], "purpose": "MARKETING"}]}, 422, "unknown purpose"),
    ({**_grant_body(), "scope": [{**_grant_body()["scope"][0], "recipient_organisation_id": str(demo_id("org:none"))}]},
     422, "unknown organisation"),
    (_grant_body(valid_from="2027-01-10T00:00:00Z", valid_until="2027-01-01T00:00:00Z"), 422, "ends before it starts"),
])
def test_bad_grants_are_clear_problems_and_change_nothing(client: TestClient, auth_headers, database, body, status, words) -> None:
    headers = auth_headers("sarah.clarke")
    before = _count(database, ConsentVersion)
    with database.sessions() as s:
        start = next_seq(s)
    response = client.post("/api/v1/consents", json=body, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (status, PROBLEM)
    assert words in response.json()["detail"]
    assert _count(database, ConsentVersion) == before
    with database.sessions() as s:
        entries = entries_since(s, start)
    # Nothing granted, but the refusal is on the record, in a transaction of its own.
    assert [(e.event_type, e.outcome, e.actor_username, e.details["status"]) for e in entries] == [
        ("request.refused", "refused", "sarah.clarke", status)]
    assert words in entries[0].reason


def test_staff_recording_for_a_grantor_without_standing_is_refused(client: TestClient, auth_headers, database) -> None:
    body = _grant_body(subject=str(demo_id("person:leo")), grantor_person_id=str(demo_id("person:janet")), method="paper")
    before = _count(database, ConsentVersion)
    response = client.post("/api/v1/consents", json=body, headers=auth_headers("sen.caseworker"))
    assert response.status_code == 422 and "may not decide" in response.json()["detail"]
    assert _count(database, ConsentVersion) == before


def test_a_request_tells_each_parent_and_each_answers_once(client: TestClient, auth_headers, database) -> None:
    messages = _count(database, OutboxMessage)
    created = client.post("/api/v1/consent-requests", json=_request_body(), headers=auth_headers("sen.caseworker"))
    assert created.status_code == 201, created.text
    request = created.json()
    assert sorted(d["name"] for d in request["deciders"]) == ["David Clarke", "Sarah Clarke"]
    assert _count(database, OutboxMessage) == messages + 2
    with database.sessions() as s:
        bodies = s.scalars(select(OutboxMessage.body).order_by(OutboxMessage.created_at.desc()).limit(2)).all()
    assert all("If you say no: The assessment goes ahead" in b for b in bodies)

    url = f"/api/v1/consent-requests/{request['id']}/answer"
    part = client.post(url, json={"answer": "approve_part", "categories": ["EDU_ADVICE"]}, headers=auth_headers("sarah.clarke"))
    assert part.status_code == 200 and part.json()["consent"]["versions"][0]["scope"][0]["data_category"] == "EDU_ADVICE"
    answers = _count(database, ConsentRequestAnswer)
    with database.sessions() as s:
        start = next_seq(s)
    twice = client.post(url, json={"answer": "decline"}, headers=auth_headers("sarah.clarke"))
    assert twice.status_code == 409 and "already answered" in twice.json()["detail"]
    assert _count(database, ConsentRequestAnswer) == answers
    with database.sessions() as s:
        refused = entries_since(s, start)
    assert [(e.event_type, e.details["path_params"]["request_id"]) for e in refused] == [("request.refused", request["id"])]
    declined = client.post(url, json={"answer": "decline"}, headers=auth_headers("david.clarke")).json()
    assert declined["request"]["conflict"] is True and declined["consent"] is None
    seen = client.get(f"/api/v1/consent-requests/{request['id']}", headers=auth_headers("sen.caseworker")).json()
    assert seen["status"] == "answered" and seen["conflict"] is True
    assert client.get(f"/api/v1/consent-requests/{request['id']}", headers=auth_headers("priya.bennett")).status_code == 404


def test_bad_requests_are_clear_problems(client: TestClient, auth_headers) -> None:
    sam = auth_headers("sen.caseworker")
    assert client.post("/api/v1/consent-requests", json=_request_body(categories=["ADOPTION"]), headers=sam).status_code == 422
    assert client.post("/api/v1/consent-requests", json=_request_body(purpose="NOPE"), headers=sam).status_code == 422
    assert client.post("/api/v1/consent-requests", json=_request_body(subject_id=str(demo_id("x"))), headers=sam).status_code == 404
    assert client.post("/api/v1/consent-requests", json=_request_body(), headers=auth_headers("sarah.clarke")).status_code == 403


def test_decisions_permit_what_the_demo_family_allowed(client: TestClient, auth_headers) -> None:
    body = {"subject_id": AMELIA, "recipient_organisation_id": SEN, "purpose": "EHC_NEEDS_ASSESSMENT",
            "holder_organisation_id": EPS, "categories": ["EP_ADVICE", "SC_PLAN"]}
    decision = client.post("/api/v1/decisions", json=body, headers=auth_headers("sen.caseworker"))
    assert decision.status_code == 200, decision.text
    permit, deny = decision.json()["categories"]
    assert permit["permitted"] is True and permit["consent_version"] == 1
    assert deny["permitted"] is False and deny["consent_id"] is None and deny["reason"]
    tier3 = client.post("/api/v1/decisions", json={**body, "categories": ["YJ_CRIMINAL"]}, headers=auth_headers("sen.caseworker"))
    assert tier3.status_code == 422


def test_a_receipt_verifies_offline_with_only_the_published_key(client: TestClient, auth_headers) -> None:
    sarah = auth_headers("sarah.clarke")
    consent = client.post("/api/v1/consents", json=_grant_body(), headers=sarah).json()
    client.post(f"/api/v1/consents/{consent['id']}/withdraw", json={}, headers=sarah)
    keys = client.get("/.well-known/consent-receipt-keys.json").json()
    assert keys["keys"][0]["kty"] == "OKP" and "d" not in keys["keys"][0]
    granted = client.get(f"/api/v1/consents/{consent['id']}/receipt", params={"version": 1, "event": "granted"}, headers=sarah).json()
    withdrawn = client.get(f"/api/v1/consents/{consent['id']}/receipt", headers=sarah).json()

    offline_keys = json.loads(json.dumps(keys))  # nothing but the published JSON
    receipt = verify_receipt(withdrawn["jws"], offline_keys)
    assert receipt == withdrawn["receipt"]
    assert (receipt["event"], receipt["state"], receipt["piiPrincipalId"]) == ("withdrawn", "withdrawn", AMELIA)
    assert receipt["piiControllers"][0]["email"] == "dpo@northshire.example.gov.uk"
    assert "withdraw" in receipt["howToWithdraw"] and receipt["collectionMethod"] == "portal"
    assert (verify_receipt(granted["jws"], offline_keys)["event"], granted["receipt"]["state"]) == ("granted", "active")
    header, payload, signature = withdrawn["jws"].split(".")
    forged = ".".join([header, granted["jws"].split(".")[1], signature])
    with pytest.raises(BadSignatureError):
        verify_receipt(forged, offline_keys)


def test_every_consent_exports_as_a_valid_fhir_r4_consent(client: TestClient, auth_headers) -> None:
    sarah = auth_headers("sarah.clarke")
    for consent in client.get("/api/v1/consents", params={"subject_id": AMELIA}, headers=sarah).json():
        exported = client.get(f"/api/v1/consents/{consent['id']}/fhir", headers=sarah)
        assert exported.status_code == 200
        resource = FhirConsent.model_validate(exported.json())
        assert resource.patient.reference == f"Patient/{AMELIA}"
        assert resource.status == "active"
        assert resource.performer[0].reference.startswith("RelatedPerson/")
        provision = resource.provision
        assert provision.period.start is not None and provision.period.end is not None
        inner = provision.provision[0]
        assert {a.role.coding[0].code for a in inner.actor} == {"IRCP", "CST"}
        assert inner.purpose[0].code == "EHC_NEEDS_ASSESSMENT"
        assert inner.class_fhir[0].code in {"EP_ADVICE", "HEALTH_ADVICE", "SC_ASSESSMENT"}
