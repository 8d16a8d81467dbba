"""Finding a child: staff only, by name and date of birth or by an identifier, with the design
system's errors, and never from a form posted without its token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.identity.children.service import normalise_identifier
from broker.platform.db import Database

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def staff(app: FastAPI, web_session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    cookies, _ = web_session("sen.caseworker")
    with TestClient(app, base_url="https://testserver", cookies=cookies) as client:
        yield client


def _born(day: str, month: str, year: str) -> dict[str, str]:
    return {"dob-day": day, "dob-month": month, "dob-year": year}


def _search(client: TestClient, **fields: str) -> tuple[int, str]:
    token = _TOKEN.search(client.get("/children/find").text)
    assert token
    response = client.post("/children/find", data={**fields, "form_token": token.group(1)})
    return response.status_code, response.text


def test_nobody_signed_in_is_asked_to_sign_in(app: FastAPI, demo: None) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = client.get("/children/find")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fchildren%2Ffind"


def test_a_parent_may_not_search(app: FastAPI, web_session) -> None:  # type: ignore[no-untyped-def]
    cookies, _ = web_session("sarah.clarke")
    with TestClient(app, base_url="https://testserver", cookies=cookies) as client:
        response = client.get("/children/find")
        assert response.status_code == 403
        assert client.post("/children/find", data={"identifier": "9434765919"}).status_code == 403


def test_staff_see_the_form_and_the_navigation(staff: TestClient) -> None:
    page = staff.get("/children/find").text
    assert "Find a child or young person" in page
    assert 'aria-current="page"' in page
    assert "Signed in as Sam Okafor (SEN caseworker)" in page
    assert 'id="dob-day"' in page


def test_by_name_and_date_of_birth(staff: TestClient) -> None:
    status, page = _search(staff, name=" amelia ", **_born("14", "03", "2016"))
    assert status == 200
    assert "1 child found" in page
    assert "Amelia Clarke" in page and "14 March 2016" in page and "943 476 5919" in page
    assert "Oliver" not in page


def test_each_search_is_audited_without_what_was_typed(staff: TestClient, database: Database) -> None:
    _search(staff, identifier="401 023 2137")
    _search(staff, name="Nobody", **_born("1", "1", "2015"))
    with database.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.event_type == "child.searched").order_by(AuditEntry.seq)
        ).all()
        assert [(e.actor_username, e.outcome) for e in entries] == [("sen.caseworker", "success")] * 2
        assert entries[0].subject_id == str(demo_id("person:oliver"))
        assert entries[1].subject_id is None
        recorded = str([(e.details, e.reason) for e in entries])
    assert "4010232137" not in recorded and "Nobody" not in recorded
    assert '"found":1,"searched_by":"nhs_number"' in recorded
    assert '"found":0,"searched_by":"name_and_date_of_birth"' in recorded


def test_every_word_of_the_name_must_match(staff: TestClient) -> None:
    status, page = _search(staff, name="Amelia Bennett", **_born("14", "3", "2016"))
    assert status == 200
    assert "No children found" in page


def test_a_wildcard_in_the_name_matches_nothing(staff: TestClient) -> None:
    _, page = _search(staff, name="%", **_born("14", "3", "2016"))
    assert "No children found" in page


def test_by_nhs_number_written_with_spaces(staff: TestClient) -> None:
    status, page = _search(staff, identifier="401 023 2137")
    assert status == 200
    assert "Oliver Bennett" in page and "1 child found" in page


def test_by_upn_in_lower_case(staff: TestClient) -> None:
    _, page = _search(staff, identifier="h820400118004")
    assert "Leo Walsh" in page


def test_parents_are_not_found_as_children(staff: TestClient) -> None:
    # Sarah Clarke is in the demo data as a parent, with no date of birth: never a search result.
    _, page = _search(staff, name="Sarah", **_born("14", "3", "2016"))
    assert "No children found" in page


def test_an_empty_search_explains_what_is_needed(staff: TestClient) -> None:
    status, page = _search(staff)
    assert status == 422
    assert "<title>Error: Find a child" in page
    assert '<a href="#name">Enter the child&#39;s name, or search by an identifier</a>' in page
    assert '<a href="#dob-day">Enter date of birth</a>' in page
    assert "found" not in page


def test_an_identifier_that_is_neither_kind(staff: TestClient) -> None:
    status, page = _search(staff, identifier="12345")
    assert status == 422
    assert 'href="#identifier"' in page and "Enter an NHS number (10 digits)" in page
    assert 'value="12345"' in page


def test_a_search_without_its_form_token_is_refused(staff: TestClient) -> None:
    staff.get("/children/find")
    response = staff.post("/children/find", data={"identifier": "9434765919"})
    assert response.status_code == 403
    assert "Amelia" not in response.text


@pytest.mark.parametrize(("typed", "expected"), [
    ("943 476 5919", ("nhs_number", "9434765919")),
    ("943-476-5919", ("nhs_number", "9434765919")),
    ("x820200115001", ("upn", "X820200115001")),
    ("94347659", None),
    ("hello", None),
])
def test_identifiers_are_recognised(typed: str, expected: tuple[str, str] | None) -> None:
    assert normalise_identifier(typed) == expected
