"""The case page's clock exceptions: listed with their regulation, recorded against a case clock or
an advice request's clock, a pause ended, and each clock's due date shown moving."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from broker.assessments.clocks import EXCEPTION_CODES
from broker.assessments.models import Assessment, ClockException
from broker.dev.demo import demo_id
from broker.platform.db import Database
from tests.broker.web.form_helpers import date_fields, form_token

CASE_ID = demo_id("assessment:amelia")
CASE = f"/assessments/{CASE_ID}"
NEW = f"{CASE}/clock-exceptions/new"
EDUCATION = demo_id("advice:amelia:education")

pytestmark = pytest.mark.usefixtures("demo")


def _exceptions(database: Database) -> list[ClockException]:
    with database.sessions() as session:
        return list(session.scalars(select(ClockException).where(ClockException.assessment_id == CASE_ID)))


def test_the_form_offers_the_api_codes_and_refuses_bad_input(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    case = sen.get(CASE).text
    assert "No exception has been recorded against a clock." in case and f'href="{NEW}"' in case
    form = sen.get(NEW)
    assert form.status_code == 200
    for code in EXCEPTION_CODES.values():
        assert f'value="{code.code}"' in form.text and code.description in form.text
    assert f'value="advice:{EDUCATION}"' in form.text
    token = form_token(sen, NEW)
    empty = sen.post(NEW, data={"form_token": token})
    assert empty.status_code == 422
    for field in ("clock", "code", "effect", "starts-day", "note"):
        assert f'href="#{field}"' in empty.text, field
    start = date.today() - timedelta(days=10)
    typed = {"form_token": token, "clock": "final_plan", "code": "reg8_2_a", "effect": "pause",
             "note": "The family were abroad for a month.", **date_fields("starts", start)}
    wrong_code = sen.post(NEW, data=typed)
    assert wrong_code.status_code == 422 and "reg 8(2)(a) does not apply to this clock" in wrong_code.text
    assert "The family were abroad for a month." in wrong_code.text and 'value="final_plan" checked' in wrong_code.text
    excuse_with_end = sen.post(NEW, data={**typed, "code": "reg10_4_c", "effect": "excuse", **date_fields("ends", start)})
    assert excuse_with_end.status_code == 422 and "An excuse has no end date" in excuse_with_end.text
    future = sen.post(NEW, data={**typed, "code": "reg10_4_c", **date_fields("starts", date.today() + timedelta(days=1))})
    assert future.status_code == 422 and "must be today or in the past" in future.text
    with database.sessions() as session:
        received_on = session.get(Assessment, CASE_ID).received_on  # type: ignore[union-attr]
    too_early = sen.post(NEW, data={**typed, "code": "reg10_4_c", **date_fields("starts", received_on - timedelta(days=1))})
    assert too_early.status_code == 422 and "cannot start before the clock did" in too_early.text
    backwards = sen.post(NEW, data={**typed, "code": "reg10_4_c", **date_fields("ends", start - timedelta(days=1))})
    assert backwards.status_code == 422 and "A pause cannot end before it starts" in backwards.text
    assert _exceptions(database) == []


def test_a_pause_is_recorded_moves_the_due_date_and_is_ended(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    token = form_token(sen, NEW)
    start = date.today() - timedelta(days=10)
    recorded = sen.post(NEW, data={"form_token": token, "clock": "final_plan", "code": "reg10_4_c", "effect": "pause",
                                   "note": "The family were abroad for a month.", **date_fields("starts", start)})
    assert recorded.status_code == 303
    (pause,) = _exceptions(database)
    assert (pause.clock, pause.code, pause.effect, pause.starts_on, pause.ends_on) == (
        "final_plan", "reg10_4_c", "pause", start, None)
    case = sen.get(recorded.headers["location"]).text
    assert "Clock exception recorded" in case
    listed = case.split('id="exceptions"')[1].split("</ul>")[0]
    assert "Final EHC plan issued" in listed and "reg 10(4)(c)" in listed and "since" in listed
    clocks = case.split('id="clocks"')[1].split("</dl>")[0]
    assert "Statutory due date" in clocks and "later by a pause" in clocks

    end = f"{CASE}/clock-exceptions/{pause.id}/end"
    assert f'href="{end}"' in case
    token = form_token(sen, end)
    before = sen.post(end, data={"form_token": token, **date_fields("ends", start - timedelta(days=1))})
    assert before.status_code == 422 and "cannot end before it started" in before.text
    ahead = sen.post(end, data={"form_token": token, **date_fields("ends", date.today() + timedelta(days=1))})
    assert ahead.status_code == 422 and "today or in the past" in ahead.text
    assert f'value="{(date.today() + timedelta(days=1)).year}"' in ahead.text
    ends = date.today() - timedelta(days=3)
    assert sen.post(end, data={"form_token": token, **date_fields("ends", ends)}).status_code == 303
    case = sen.get(CASE).text
    assert "Pause ended" not in case  # the banner is shown only after the redirect
    listed = case.split('id="exceptions"')[1].split("</ul>")[0]
    assert f"to {ends.strftime('%-d %B %Y')}" in listed and f'href="{end}"' not in listed
    assert "later by a pause" in case.split('id="clocks"')[1].split("</dl>")[0]
    again = sen.post(end, data={"form_token": token, **date_fields("ends", ends)})
    assert again.status_code == 422 and "Only a pause that is still running can be ended" in again.text
    assert "This pause ended on" in sen.get(end).text
    with database.sessions() as session:
        events = session.scalars(select(AuditEntry.event_type).where(AuditEntry.event_type.like("clock_exception.%"))
                                 .order_by(AuditEntry.seq)).all()
    assert list(events) == ["clock_exception.recorded", "clock_exception.ended"]


def test_an_exception_to_an_advice_clock_names_its_request(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    token = form_token(sen, NEW)
    start = date.today() - timedelta(days=2)
    saved = sen.post(NEW, data={"form_token": token, "clock": f"advice:{EDUCATION}", "code": "reg8_2_c",
                                "effect": "excuse", "note": "The child missed the school's assessment.",
                                **date_fields("starts", start)})
    assert saved.status_code == 303
    (excuse,) = _exceptions(database)
    assert excuse.advice_request_id == EDUCATION and excuse.clock == "advice"
    listed = sen.get(CASE).text.split('id="exceptions"')[1].split("</ul>")[0]
    assert "Educational advice from Riverside" in listed and "Excused" in listed and "End this pause" not in listed


def test_other_teams_and_other_roles_are_refused(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    for username, status in (("sc.caseworker", 404), ("priya.bennett", 403), ("ig.auditor", 403)):
        assert signed_in(username).get(NEW).status_code == status, username
    sc = signed_in("sc.caseworker")
    token = form_token(sc, "/assessments")
    refused = sc.post(NEW, data={"form_token": token, "clock": "final_plan", "code": "reg10_4_c", "effect": "pause",
                                 "note": "Not our case.", **date_fields("starts", date.today())})
    assert refused.status_code == 404
    sen = signed_in("sen.caseworker")
    assert sen.get(f"{CASE}/clock-exceptions/{demo_id('nothing')}/end").status_code == 404
    assert _exceptions(database) == []
