"""Finding a child shows their open case; only the SEN team is offered to open one, and the open
form sends a caseworker to the case that is already open instead of opening a second."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from broker.dev.demo import demo_id
from broker.platform.clock import council_today
from tests.broker.web.form_helpers import date_fields, form_token

pytestmark = pytest.mark.usefixtures("demo")

AMELIA_CASE = demo_id("assessment:amelia")
JORDAN = demo_id("person:jordan")
OPEN_LINK = "Open an EHC needs assessment"


def _search(client: TestClient, name: str, day: str, month: str, year: str) -> str:
    response = client.post("/children/find", data={
        "name": name, "dob-day": day, "dob-month": month, "dob-year": year,
        "form_token": form_token(client, "/children/find")})
    assert response.status_code == 200
    return response.text


def test_a_child_with_an_open_case_links_to_it_and_offers_no_second(signed_in: Callable[[str], TestClient]) -> None:
    page = _search(signed_in("sen.caseworker"), "Amelia", "14", "03", "2016")
    assert f'href="/assessments/{AMELIA_CASE}"' in page
    assert OPEN_LINK not in page


def test_a_child_without_one_is_offered_to_the_sen_team_only(signed_in: Callable[[str], TestClient]) -> None:
    assert OPEN_LINK in _search(signed_in("sen.caseworker"), "Jordan", "20", "05", "2009")
    ep = signed_in("ep.psychologist")
    assert OPEN_LINK not in _search(ep, "Jordan", "20", "05", "2009")
    assert ep.get(f"/children/{JORDAN}/assessments/new").status_code == 403


def test_the_open_form_sends_the_caseworker_to_the_open_case(signed_in: Callable[[str], TestClient]) -> None:
    page = signed_in("sen.caseworker").get(f"/children/{demo_id('person:amelia')}/assessments/new").text
    assert f'href="/assessments/{AMELIA_CASE}"' in page and "already has an open EHC needs assessment" in page
    assert "Open the assessment" not in page


def test_opening_twice_from_two_tabs_makes_one_case(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("sen.caseworker")
    path = f"/children/{JORDAN}/assessments/new"
    tabs = [form_token(client, path), form_token(client, path)]
    fields = date_fields("received", council_today())
    first = client.post(path, data={**fields, "form_token": tabs[0]}, follow_redirects=False)
    assert first.status_code == 303
    case_path = first.headers["location"].split("?")[0]
    second = client.post(path, data={**fields, "form_token": tabs[1]}, follow_redirects=False)
    assert second.status_code == 409
    assert "already has an open case" in second.text
    assert client.get(case_path).status_code == 200
