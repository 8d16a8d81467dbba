"""The family pages: each child a person may decide for, requests to answer, permissions to
withdraw and the access history; staff refused, other families' children unknown, forms checked."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from broker.dev.demo import demo_id
from broker.platform.db import Database
from consent.models import ConsentRequest

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')

AMELIA = demo_id("person:amelia")
OLIVER = demo_id("person:oliver")
JORDAN = demo_id("person:jordan")
LEO = demo_id("person:leo")



def _oliver_request(database: Database) -> str:
    with database.sessions() as session:
        return str(session.scalars(select(ConsentRequest.id).where(ConsentRequest.subject_id == OLIVER)).one())


def _token(client: TestClient, path: str) -> str:
    found = _TOKEN.search(client.get(path).text)
    assert found
    return found.group(1)


def test_home_lists_each_child_with_counts(signed_in: Callable[[str], TestClient]) -> None:
    page = signed_in("priya.bennett").get("/family")
    assert page.status_code == 200
    assert "Oliver Bennett" in page.text
    assert "1 request waiting for your answer" in page.text
    assert "1 permission in force" in page.text
    assert 'href="/family"' in page.text and 'aria-current="page"' in page.text
    assert "Amelia" not in page.text


def test_a_young_person_is_told_the_decisions_are_theirs(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("jordan.hughes")
    page = client.get("/family").text
    assert "Decisions about sharing your information are yours" in page
    assert "Your permissions" in client.get(f"/family/{JORDAN}/permissions").text


@pytest.mark.parametrize("path", ["/family", f"/family/{OLIVER}/requests", f"/family/{OLIVER}/permissions",
                                  f"/family/{OLIVER}/access"])
def test_staff_are_refused(signed_in: Callable[[str], TestClient], path: str) -> None:
    assert signed_in("sen.caseworker").get(path).status_code == 403
    assert signed_in("ig.auditor").get(path).status_code == 403


@pytest.mark.parametrize("page", ["requests", "permissions", "access"])
def test_another_familys_child_is_unknown(signed_in: Callable[[str], TestClient], page: str) -> None:
    assert signed_in("sarah.clarke").get(f"/family/{OLIVER}/{page}").status_code == 404


def test_nobody_signed_in_is_sent_to_sign_in(app: FastAPI, demo: None) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = client.get("/family")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_the_request_in_plain_words(signed_in: Callable[[str], TestClient], database: Database) -> None:
    client = signed_in("priya.bennett")
    listing = client.get(f"/family/{OLIVER}/requests").text
    request_id = _oliver_request(database)
    assert f"/family/{OLIVER}/requests/{request_id}" in listing
    page = client.get(f"/family/{OLIVER}/requests/{request_id}").text
    assert "educational psychology reports and advice" in page
    assert "the EHC needs assessment" in page
    assert "the psychologist will see Oliver again" in page
    shown = re.sub(r'value="[^"]*"', "", page)  # codes travel only in the form's values
    assert "EP_ADVICE" not in shown and "EHC_NEEDS_ASSESSMENT" not in shown
    # Not Sarah's request: it does not exist for her.
    assert signed_in("sarah.clarke").get(f"/family/{AMELIA}/requests/{request_id}").status_code == 404


def test_answering_needs_the_form_token(signed_in: Callable[[str], TestClient], database: Database) -> None:
    client = signed_in("priya.bennett")
    request_id = _oliver_request(database)
    assert client.post(f"/family/{OLIVER}/requests/{request_id}", data={"answer": "decline"}).status_code == 403
    assert "1 request waiting" in client.get("/family").text


def test_bad_answers_get_an_error_summary(signed_in: Callable[[str], TestClient], database: Database) -> None:
    client = signed_in("priya.bennett")
    path = f"/family/{OLIVER}/requests/{_oliver_request(database)}"
    token = _token(client, path)
    nothing = client.post(path, data={"form_token": token})
    assert nothing.status_code == 422
    assert "There is a problem" in nothing.text and 'href="#answer"' in nothing.text
    part = client.post(path, data={"form_token": token, "answer": "approve_part", "days": "9999"})
    assert part.status_code == 422
    assert "Select at least one kind of information" in part.text
    assert "Select at least one service" in part.text
    assert "Enter a number of days from 1 to 365" in part.text
    assert "1 request waiting" in client.get("/family").text


def test_approve_part_then_confirmation_and_receipt(signed_in: Callable[[str], TestClient], database: Database) -> None:
    client = signed_in("priya.bennett")
    path = f"/family/{OLIVER}/requests/{_oliver_request(database)}"
    token = _token(client, path)
    holder = str(demo_id("org:NCC-EPS"))
    answered = client.post(path, data={"form_token": token, "answer": "approve_part", "categories": "EP_ADVICE",
                                       "holders": holder, "days": "30"})
    assert answered.status_code == 303
    confirmation = client.get(answered.headers["location"])
    assert "Your answer has been sent" in confirmation.text
    receipt_link = re.search(r'href="(/family/[^"]+/receipt)"', confirmation.text)
    assert receipt_link
    receipt = client.get(receipt_link.group(1))
    assert receipt.status_code == 200 and "attachment" in receipt.headers["content-disposition"]
    assert receipt.json()["jws"].count(".") == 2
    assert "0 requests waiting" in client.get("/family").text
    assert "2 permissions in force" in client.get("/family").text


def test_decline_shows_that_nothing_is_shared(signed_in: Callable[[str], TestClient], database: Database) -> None:
    client = signed_in("priya.bennett")
    path = f"/family/{OLIVER}/requests/{_oliver_request(database)}"
    answered = client.post(path, data={"form_token": _token(client, path), "answer": "decline"})
    assert "You said no" in client.get(answered.headers["location"]).text
    assert client.get(path).status_code == 404


def test_withdraw_with_a_confirmation(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("priya.bennett")
    listing = client.get(f"/family/{OLIVER}/permissions").text
    assert "In force" in listing and "Riverside" in listing
    withdraw = re.search(r'href="(/family/[^"]+/withdraw)"', listing)
    assert withdraw
    confirm = client.get(withdraw.group(1)).text
    assert "Are you sure" in confirm
    assert client.post(withdraw.group(1), data={}).status_code == 403
    too_long = client.post(withdraw.group(1), data={"form_token": _token(client, withdraw.group(1)), "reason": "x" * 2001})
    assert too_long.status_code == 422 and "There is a problem" in too_long.text
    done = client.post(withdraw.group(1), data={"form_token": _token(client, withdraw.group(1))})
    assert done.status_code == 303
    after = client.get(done.headers["location"]).text
    assert "The permission has been withdrawn" in after and "Withdrawn" in after
    assert client.get(withdraw.group(1)).status_code == 404


def test_access_history_newest_first_in_plain_words(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("emma.walsh")
    page = client.get(f"/family/{LEO}/access").text
    withdrawn = page.index("Withdrew the permission to share")
    granted = page.index("Gave permission to share")
    assert "By you." in page
    assert withdrawn < granted
    assert "EDU_ATTENDANCE" not in page


def test_unticked_information_and_services_are_left_out_of_the_permission(
    signed_in: Callable[[str], TestClient], database: Database,
) -> None:
    from datetime import timedelta

    from broker.accounts.models import User
    from broker.auth.dependencies import principal_for
    from broker.permissions import consent_actions
    from consent.models import ConsentScope, ConsentVersion, utcnow
    from consent.schemas import ConsentRequestCreate

    with database.unit_of_work() as session:
        caseworker = principal_for(session.get(User, demo_id("user:sen.caseworker")), None)
        asked = consent_actions.create_request(session, caseworker, ConsentRequestCreate(
            subject_id=OLIVER, purpose="EHC_NEEDS_ASSESSMENT", categories=["EDU_ADVICE", "HEALTH_ADVICE"],
            holder_organisation_ids=[demo_id("org:NCC-EPS"), demo_id("org:NHS-NCH")],
            recipient_organisation_ids=[demo_id("org:NCC-SEN")], why="Advice for Oliver's assessment.",
            valid_for_days=365, if_declined="We will ask for new advice instead.", expires_at=utcnow() + timedelta(days=7),
        ), "https://testserver")
    client = signed_in("priya.bennett")
    path = f"/family/{OLIVER}/requests/{asked.id}"
    answered = client.post(path, data={"form_token": _token(client, path), "answer": "approve_part",
                                       "categories": "EDU_ADVICE", "holders": str(demo_id("org:NCC-EPS"))})
    assert answered.status_code == 303
    consent_id = answered.headers["location"].split("permission=")[1]
    with database.sessions() as session:
        rows = session.execute(
            select(ConsentScope.data_category, ConsentScope.holder_organisation_id, ConsentScope.recipient_organisation_id)
            .join(ConsentVersion, ConsentVersion.id == ConsentScope.consent_version_id)
            .where(ConsentVersion.consent_id == uuid.UUID(consent_id))
        ).all()
    assert [tuple(r) for r in rows] == [("EDU_ADVICE", demo_id("org:NCC-EPS"), demo_id("org:NCC-SEN"))]
