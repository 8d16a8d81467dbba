"""The case officer on the caseworker's pages: "your cases" and the team's on the overview, the
case officer on the case page, and handing a case over (POST-redirect-GET, with the reason audited)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from broker.assessments.models import Assessment
from broker.dev.demo import demo_id
from broker.platform.db import Database
from tests.broker.web.form_helpers import form_token

CASE_ID = demo_id("assessment:oliver")
CASE = f"/assessments/{CASE_ID}"
HAND_OVER = f"{CASE}/case-officer"
SAM, NADIA = demo_id("user:sen.caseworker"), demo_id("user:sen.caseworker2")

pytestmark = pytest.mark.usefixtures("demo")


def _officer(database: Database) -> object:
    with database.sessions() as session:
        case = session.get(Assessment, CASE_ID)
        assert case is not None
        return case.case_officer_user_id


def _handovers(database: Database) -> list[AuditEntry]:
    with database.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.event_type == "assessment.case_officer_changed")))


def test_the_overview_switches_between_your_cases_and_the_teams(signed_in) -> None:  # type: ignore[no-untyped-def]
    nadia = signed_in("sen.caseworker2")
    mine = nadia.get("/assessments")
    assert mine.status_code == 200
    assert "Your cases (0)" in mine.text and "All cases in your team (2)" in mine.text
    assert 'aria-current="page" id="officer-me"' in mine.text and 'href="/assessments?officer=all"' in mine.text
    assert "You are not the case officer of any open assessment." in mine.text and "Oliver Bennett" not in mine.text
    team = nadia.get("/assessments?officer=all")
    assert 'aria-current="page" id="officer-all"' in team.text and "Your team&#39;s EHC needs assessments" in team.text
    assert "Oliver Bennett" in team.text and "Amelia Clarke" in team.text
    assert team.text.count("Sam Okafor (SEN caseworker)") == 2
    assert nadia.get("/assessments?officer=everyone").status_code == 422


def test_the_case_page_names_the_case_officer_and_links_to_the_handover(signed_in) -> None:  # type: ignore[no-untyped-def]
    page = signed_in("sen.caseworker").get(CASE).text
    assert 'id="case-officer"' in page and "Sam Okafor (SEN caseworker)" in page
    assert f'href="{HAND_OVER}" id="hand-over"' in page


def test_the_handover_form_offers_the_other_caseworkers_of_the_team_only(signed_in) -> None:  # type: ignore[no-untyped-def]
    form = signed_in("sen.caseworker").get(HAND_OVER)
    assert form.status_code == 200
    assert f'value="{NADIA}"' in form.text and f'value="{SAM}"' not in form.text
    for other in ("sc.caseworker", "ep.psychologist", "safeguarding.lead"):
        assert f'value="{demo_id("user:" + other)}"' not in form.text
    assert "The case officer now is Sam Okafor (SEN caseworker)." in form.text


def test_bad_input_shows_the_error_summary_and_keeps_what_was_typed(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    token = form_token(sen, HAND_OVER)
    empty = sen.post(HAND_OVER, data={"form_token": token, "reason": "   "})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.text
    assert 'href="#user_id"' in empty.text and "Select who will be the case officer" in empty.text
    assert 'href="#reason"' in empty.text and "Say why the case is handed over" in empty.text
    too_long = sen.post(HAND_OVER, data={"form_token": token, "user_id": str(NADIA), "reason": "z" * 501})
    assert too_long.status_code == 422 and "must be 500 characters or fewer" in too_long.text
    assert f'value="{NADIA}" checked' in too_long.text
    not_in_team = sen.post(HAND_OVER, data={"form_token": token, "user_id": str(demo_id("user:sc.caseworker")),
                                            "reason": "Covering."})
    assert not_in_team.status_code == 422 and "Select who will be the case officer" in not_in_team.text
    assert "Covering." in not_in_team.text
    assert _officer(database) == SAM and _handovers(database) == []


def test_a_handover_redirects_to_the_case_and_is_audited(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    token = form_token(sen, HAND_OVER)
    done = sen.post(HAND_OVER, data={"form_token": token, "user_id": str(NADIA),
                                     "reason": "  Sam   is on leave until March.  "}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{CASE}?handed_over=1"
    page = sen.get(done.headers["location"]).text
    assert "Case handed over: Nadia Hussain (SEN caseworker) is now the case officer" in html.unescape(page)
    assert _officer(database) == NADIA
    [entry] = _handovers(database)
    assert entry.actor_username == "sen.caseworker"
    assert (entry.details_data["from_user_id"], entry.details_data["to_user_id"], entry.details_data["reason"]) == (
        str(SAM), str(NADIA), "Sam is on leave until March.")
    assert "Oliver Bennett" not in sen.get("/assessments").text
    assert "Oliver Bennett" in signed_in("sen.caseworker2").get("/assessments").text


def test_a_closed_case_offers_no_handover(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    token = form_token(sen, HAND_OVER)
    with database.unit_of_work() as session:
        from consent.models import utcnow

        case = session.get(Assessment, CASE_ID)
        assert case is not None
        case.status, case.closed_at = "closed", utcnow()
    assert 'id="hand-over"' not in sen.get(CASE).text
    form = sen.get(HAND_OVER).text
    assert "This case is closed, so it can no longer be handed over." in form and "<form" not in form.split("<main")[1]
    refused = sen.post(HAND_OVER, data={"form_token": token, "user_id": str(NADIA), "reason": "Covering."})
    assert refused.status_code == 422 and "This assessment is closed" in refused.text
    assert _officer(database) == SAM and _handovers(database) == []


@pytest.mark.parametrize("username", ["ep.psychologist", "sc.caseworker"])
def test_another_teams_caseworker_gets_not_found(signed_in, username: str) -> None:  # type: ignore[no-untyped-def]
    assert signed_in(username).get(HAND_OVER).status_code == 404


def test_the_form_needs_its_token(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    refused = signed_in("sen.caseworker").post(HAND_OVER, data={"user_id": str(NADIA), "reason": "Covering."})
    assert refused.status_code == 403 and _officer(database) == SAM
