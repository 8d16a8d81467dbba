"""The case's statutory steps as pages: each step is checked with the caseworker before it is
recorded, stops its clock on the case page, tells the caseworker what the family must be told,
and the final plan waits for the family's 15 days on the draft."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from broker.dev.demo import demo_id
from broker.platform.clock import council_today
from tests.broker.web.form_helpers import date_fields, form_token

pytestmark = pytest.mark.usefixtures("demo")

AMELIA_CASE = demo_id("assessment:amelia")
OLIVER_CASE = demo_id("assessment:oliver")


def _record(client: TestClient, case: object, step: str, on: date) -> tuple[str, TestClient]:
    """Fill the step form, then confirm on the check page; the text of the page the caseworker ends on."""
    path = f"/assessments/{case}/steps/new"
    check = client.post(path, data={"step": step, **date_fields("completed", on), "form_token": form_token(client, path)})
    assert check.status_code == 200, check.text
    assert "Check the step before recording it" in check.text, check.text
    token = form_token_from(check.text)
    done = client.post(f"/assessments/{case}/steps", data={
        "step": step, **date_fields("completed", on), "form_token": token}, follow_redirects=True)
    return done.text, client


def form_token_from(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _case(client: TestClient, auth_headers, case: object) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return client.get(f"/api/v1/assessments/{case}", headers=auth_headers("sen.caseworker")).json()


def test_the_decision_to_assess_is_checked_then_stops_its_clock(
        signed_in: Callable[[str], TestClient], client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    form = sen.get(f"/assessments/{OLIVER_CASE}/steps/new").text
    assert "Decided to assess" in form and "Decided not to assess" in form and "Final plan issued" not in form
    page, _ = _record(sen, OLIVER_CASE, "assess", council_today())
    assert "Decision to assess recorded" in page
    clocks = {c["kind"]: c for c in _case(client, auth_headers, OLIVER_CASE)["clocks"]}
    assert clocks["decision_to_assess"]["status"] == "met"
    assert clocks["decision_to_assess"]["completed_on"] == council_today().isoformat()


def test_deciding_not_to_assess_shows_the_appeal_rights_and_ends_the_case(
        signed_in: Callable[[str], TestClient], client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    path = f"/assessments/{OLIVER_CASE}/steps/new"
    check = sen.post(path, data={"step": "not_assess", **date_fields("completed", council_today()),
                                 "form_token": form_token(sen, path)}).text
    assert "s.51(2)(a)" in check and "mediation adviser" in check and "ends the case" in check
    assert _case(client, auth_headers, OLIVER_CASE)["status"] == "open"  # nothing recorded by checking
    page, _ = _record(sen, OLIVER_CASE, "not_assess", council_today())
    assert "the case has ended" in page
    assert _case(client, auth_headers, OLIVER_CASE)["status"] == "closed"
    assert "This case has ended" in sen.get(path).text


def test_the_final_plan_waits_for_the_familys_15_days_on_the_draft(
        signed_in: Callable[[str], TestClient], client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    form = sen.get(f"/assessments/{AMELIA_CASE}/steps/new").text
    assert "Draft plan sent to the family" in form and "Final plan issued" not in form
    drafted = council_today() - timedelta(days=10)
    path = f"/assessments/{AMELIA_CASE}/steps/new"
    check = sen.post(path, data={"step": "draft_plan", **date_fields("completed", drafted),
                                 "form_token": form_token(sen, path)}).text
    until = drafted + timedelta(days=15)
    assert f"can comment on the draft until {until:%-d %B %Y}" in check
    page, _ = _record(sen, AMELIA_CASE, "draft_plan", drafted)
    assert "the family&#39;s 15 days have started" in page or "the family's 15 days have started" in page
    assert f"the family can comment until {until:%-d %B %Y}" in page
    refused, _ = _record(sen, AMELIA_CASE, "final_plan", council_today())
    assert f"The family have until {until:%-d %B %Y} to comment on the draft plan" in refused
    case = _case(client, auth_headers, AMELIA_CASE)
    assert case["final_plan_on"] is None and case["status"] == "open"
    assert case["draft_plan_on"] == drafted.isoformat() and case["comments_until"] == until.isoformat()


def test_a_step_not_offered_now_is_refused_with_a_message(signed_in: Callable[[str], TestClient]) -> None:
    sen = signed_in("sen.caseworker")
    path = f"/assessments/{OLIVER_CASE}/steps/new"
    page = sen.post(path, data={"step": "final_plan", **date_fields("completed", council_today()),
                                "form_token": form_token(sen, path)}).text
    assert "Select the step that was completed" in page


def test_only_the_cases_team_records_steps(signed_in: Callable[[str], TestClient]) -> None:
    assert signed_in("ep.psychologist").get(f"/assessments/{OLIVER_CASE}/steps/new").status_code == 404
