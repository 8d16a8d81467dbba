"""Break-glass access by safeguarding leads, and its review by information governance."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.dev.demo import demo_id
from broker.platform.clock import council_today
from broker.platform.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")

REASON = "Police called to the home overnight; strategy discussion at 10:00 today."


def body(subject: str = "leo", **overrides: object) -> dict:
    return {"subject_id": str(demo_id("person:" + subject)), "reason_code": "risk_of_significant_harm",
            "reason_text": REASON, **overrides}


@pytest.fixture
def lead(auth_headers):  # type: ignore[no-untyped-def]
    return auth_headers("safeguarding.lead")


@pytest.fixture
def ig(auth_headers):  # type: ignore[no-untyped-def]
    return auth_headers("ig.auditor")


def open_access(client: TestClient, headers: dict[str, str], subject: str = "leo") -> dict:
    response = client.post("/api/v1/break-glass", headers=headers, json=body(subject))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_safeguarding_lead_opens_24_hours_of_access_flagged_for_review(client: TestClient, lead) -> None:  # type: ignore[no-untyped-def]
    access = open_access(client, lead)
    opened, expires = datetime.fromisoformat(access["opened_at"]), datetime.fromisoformat(access["expires_at"])
    assert expires - opened == timedelta(hours=24) and access["active"] is True
    assert access["review_due_on"] == (council_today() + timedelta(days=5)).isoformat()
    assert access["reviewed_at"] is None and access["released_to_family_at"] is None
    assert access["reason_text"] == REASON
    assert {"SAFEGUARDING", "COURT", "ADOPTION", "THIRD_PARTY", "YJ_CRIMINAL", "CHILD_CONFIDENCE",
            "GENDER_RECOGNITION"} == set(access["excluded_categories"])


def test_the_duration_and_review_period_come_from_the_settings(settings: Settings, auth_headers) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"break_glass_hours": 4, "break_glass_review_days": 2}))
    with TestClient(app) as client:
        access = open_access(client, auth_headers("safeguarding.lead"))
    app.state.database.dispose()
    assert datetime.fromisoformat(access["expires_at"]) - datetime.fromisoformat(access["opened_at"]) == timedelta(hours=4)
    assert access["review_due_on"] == (council_today() + timedelta(days=2)).isoformat()


def test_break_glass_settings_refuse_values_outside_their_limits() -> None:
    with pytest.raises(ValueError):
        Settings(environment="test", break_glass_hours=0)
    with pytest.raises(ValueError):
        Settings(environment="test", break_glass_hours=100)


@pytest.mark.parametrize("payload", [
    {k: v for k, v in body().items() if k != "reason_text"},
    body(reason_text=""),
    body(reason_text="   because   "),
    {k: v for k, v in body().items() if k != "reason_code"},
    body(reason_code="curiosity"),
    body(subject_id="not-a-uuid"),
    body(duration_hours=100),
])
def test_break_glass_without_a_proper_reason_is_422_and_opens_nothing(client: TestClient, lead, ig, payload: dict) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/break-glass", headers=lead, json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/break-glass/reviews?state=all", headers=ig).json() == []


def test_an_unknown_child_is_404(client: TestClient, lead) -> None:  # type: ignore[no-untyped-def]
    for subject in (str(uuid.uuid4()), str(demo_id("person:emma"))):
        assert client.post("/api/v1/break-glass", headers=lead, json=body(subject_id=subject)).status_code == 404


@pytest.mark.parametrize("username", ["sen.caseworker", "sc.caseworker", "ig.auditor", "emma.walsh", "admin"])
def test_only_safeguarding_leads_may_break_the_glass(client: TestClient, auth_headers, username: str) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/break-glass", headers=auth_headers(username), json=body()).status_code == 403
    assert client.post("/api/v1/break-glass", json=body()).status_code == 401


def test_a_second_access_to_the_same_child_while_one_is_active_is_409(client: TestClient, lead) -> None:  # type: ignore[no-untyped-def]
    first = open_access(client, lead)
    response = client.post("/api/v1/break-glass", headers=lead, json=body())
    assert response.status_code == 409 and response.json()["break_glass_id"] == first["id"]
    open_access(client, lead, "oliver")


# Review by information governance

def review(client: TestClient, headers: dict[str, str], access_id: str, **payload: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/break-glass/reviews/{access_id}", headers=headers, json=payload)


def test_ig_reviews_and_releases_the_access_to_the_family(client: TestClient, lead, ig) -> None:  # type: ignore[no-untyped-def]
    access = open_access(client, lead)
    pending = client.get("/api/v1/break-glass/reviews", headers=ig).json()
    assert [a["id"] for a in pending] == [access["id"]] and pending[0]["review_overdue"] is False
    response = review(client, ig, access["id"], outcome="appropriate", family_may_be_told=True)
    assert response.status_code == 200, response.text
    reviewed = response.json()
    assert reviewed["review_outcome"] == "appropriate" and reviewed["released_to_family_at"] is not None
    assert reviewed["reviewed_by_user_id"] == str(demo_id("user:ig.auditor"))
    assert client.get("/api/v1/break-glass/reviews", headers=ig).json() == []
    assert [a["id"] for a in client.get("/api/v1/break-glass/reviews?state=reviewed", headers=ig).json()] == [access["id"]]
    assert review(client, ig, access["id"], outcome="not_appropriate", notes="second thoughts",
                  family_may_be_told=True).status_code == 409


def test_ig_may_withhold_the_access_from_the_family_with_a_reason(client: TestClient, lead, ig) -> None:  # type: ignore[no-untyped-def]
    access = open_access(client, lead)
    reviewed = review(client, ig, access["id"], outcome="referred", notes="Referred to the Caldicott guardian.",
                      family_may_be_told=False,
                      withheld_from_family_reason="A s.47 enquiry is open; telling the family could put the child at risk.").json()
    assert reviewed["family_may_be_told"] is False and reviewed["released_to_family_at"] is None
    assert reviewed["withheld_from_family_reason"].startswith("A s.47 enquiry")


@pytest.mark.parametrize("payload", [
    {"outcome": "not_appropriate", "family_may_be_told": True},
    {"outcome": "referred", "family_may_be_told": True},
    {"outcome": "appropriate", "family_may_be_told": False},
    {"outcome": "appropriate", "family_may_be_told": True, "withheld_from_family_reason": "contradicts itself"},
    {"outcome": "fine", "family_may_be_told": True},
    {"outcome": "appropriate"},
])
def test_bad_reviews_are_422_and_leave_the_access_pending(client: TestClient, lead, ig, payload: dict) -> None:  # type: ignore[no-untyped-def]
    access = open_access(client, lead)
    assert review(client, ig, access["id"], **payload).status_code == 422
    assert [a["id"] for a in client.get("/api/v1/break-glass/reviews", headers=ig).json()] == [access["id"]]


def test_reviewing_an_unknown_access_is_404(client: TestClient, ig) -> None:  # type: ignore[no-untyped-def]
    assert review(client, ig, str(uuid.uuid4()), outcome="appropriate", family_may_be_told=True).status_code == 404


@pytest.mark.parametrize("username", ["safeguarding.lead", "sen.caseworker", "sarah.clarke", "admin"])
def test_only_ig_may_see_and_record_reviews(client: TestClient, lead, auth_headers, username: str) -> None:  # type: ignore[no-untyped-def]
    access = open_access(client, lead)
    headers = auth_headers(username)
    assert client.get("/api/v1/break-glass/reviews", headers=headers).status_code == 403
    assert review(client, headers, access["id"], outcome="appropriate", family_may_be_told=True).status_code == 403


def test_a_review_not_done_by_its_due_date_shows_overdue(client: TestClient, lead, ig, database) -> None:  # type: ignore[no-untyped-def]
    from broker.break_glass.models import BreakGlassAccess

    access = open_access(client, lead)
    with database.unit_of_work() as s:
        s.get(BreakGlassAccess, uuid.UUID(access["id"])).review_due_on = council_today() - timedelta(days=1)
    assert client.get("/api/v1/break-glass/reviews", headers=ig).json()[0]["review_overdue"] is True


# The family's access history

def emergency_lines(client: TestClient, headers: dict[str, str]) -> list[dict]:
    response = client.get(f"/api/v1/subjects/{demo_id('person:leo')}/access-log", headers=headers)
    assert response.status_code == 200, response.text
    return [line for line in response.json()["items"] if "emergency" in line["what"]]


def test_the_family_sees_a_break_glass_access_only_once_ig_releases_it(client: TestClient, lead, ig, auth_headers) -> None:  # type: ignore[no-untyped-def]
    emma = auth_headers("emma.walsh")
    access = open_access(client, lead)
    assert emergency_lines(client, emma) == []
    assert review(client, ig, access["id"], outcome="appropriate", family_may_be_told=True).status_code == 200
    lines = emergency_lines(client, emma)
    assert [line["what"] for line in lines] == [  # newest first
        "Reviewed an emergency look at your child's information",
        "Looked at information in an emergency to keep your child safe",
    ]
    assert "safeguarding lead" in lines[1]["who"] and "Mark Evans" not in lines[1]["who"]
    assert lines[0]["who"] == "an information governance officer at Northshire information governance"


def test_a_break_glass_access_withheld_by_ig_never_reaches_the_family(client: TestClient, lead, ig, auth_headers) -> None:  # type: ignore[no-untyped-def]
    access = open_access(client, lead)
    review(client, ig, access["id"], outcome="referred", notes="Referred to the Caldicott guardian.",
           family_may_be_told=False, withheld_from_family_reason="Telling the family now could put Leo at risk.")
    assert emergency_lines(client, auth_headers("emma.walsh")) == []
