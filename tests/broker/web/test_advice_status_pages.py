"""The caseworker's page for what became of an advice request: received, declined, or reused
under reg 6(4); bad input answered with an error summary that keeps what was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from broker.assessments.models import AdviceRequest, ReuseAgreement
from broker.dev.demo import demo_id
from broker.platform.db import Database
from tests.broker.web.form_helpers import date_fields, form_token

CASE = f"/assessments/{demo_id('assessment:amelia')}"
EDUCATION = demo_id("advice:amelia:education")
HEALTH = demo_id("advice:amelia:health")
PSYCHOLOGY = demo_id("advice:amelia:psychological")
FAMILY_VIEWS = demo_id("advice:amelia:family")

pytestmark = pytest.mark.usefixtures("demo")


def _requested_on(database: Database, advice_id: object) -> date:
    with database.sessions() as session:
        return session.get(AdviceRequest, advice_id).requested_on  # type: ignore[union-attr]


def test_the_case_page_links_each_awaited_request_to_its_status_page(signed_in) -> None:  # type: ignore[no-untyped-def]
    page = signed_in("sen.caseworker").get(CASE).text
    for awaited in (EDUCATION, HEALTH, PSYCHOLOGY):
        assert f'href="{CASE}/advice/{awaited}"' in page
    assert f'href="{CASE}/advice/{FAMILY_VIEWS}"' not in page  # already received


def test_received_refuses_a_future_date_and_one_before_the_request_then_records_it(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    path = f"{CASE}/advice/{EDUCATION}"
    form = sen.get(path)
    assert form.status_code == 200 and "Educational advice from Riverside" in form.text
    assert 'method="get"' in form.text and 'name="received-day"' not in form.text  # first, what happened
    unchosen = sen.get(f"{path}?chosen=1")
    assert unchosen.status_code == 422 and "Select what happened to the advice request" in unchosen.text
    details = sen.get(f"{path}?chosen=1&status=received")
    assert details.status_code == 200 and 'name="received-day"' in details.text and 'name="declined_reason"' not in details.text
    token = form_token(sen, path)
    nothing = sen.post(path, data={"form_token": token})
    assert nothing.status_code == 422 and "Select what happened to the advice request" in nothing.text
    assert 'href="#status"' in nothing.text and "<title>Error:" in nothing.text
    future = date.today() + timedelta(days=2)
    ahead = sen.post(path, data={"form_token": token, "status": "received", **date_fields("received", future)})
    assert ahead.status_code == 422 and "must be today or in the past" in ahead.text
    assert f'value="{future.year}"' in ahead.text and 'name="status" value="received"' in ahead.text
    early = _requested_on(database, EDUCATION) - timedelta(days=1)
    before = sen.post(path, data={"form_token": token, "status": "received", **date_fields("received", early)})
    assert before.status_code == 422 and "on or after the day it was asked for" in before.text
    arrived = date.today() - timedelta(days=1)
    saved = sen.post(path, data={"form_token": token, "status": "received", **date_fields("received", arrived)})
    assert saved.status_code == 303 and saved.headers["location"] == f"{CASE}?advice_status=received"
    assert "Advice recorded as received" in sen.get(saved.headers["location"]).text
    again = sen.post(path, data={"form_token": token, "status": "declined", "declined_reason": "Changed our minds."})
    assert again.status_code == 422 and "already received" in again.text and 'href="#declined_reason"' in again.text
    assert "Changed our minds." in again.text  # what was typed is kept
    with database.sessions() as session:
        advice = session.get(AdviceRequest, EDUCATION)
        assert advice is not None and advice.status == "received" and advice.received_on == arrived
        events = session.scalars(select(AuditEntry.event_type).where(AuditEntry.event_type.like("advice_request.%"),
                                                                     AuditEntry.actor_username == "sen.caseworker")).all()
        assert list(events) == ["advice_request.received"]


def test_declined_needs_a_reason(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    path = f"{CASE}/advice/{PSYCHOLOGY}"
    token = form_token(sen, path)
    bare = sen.post(path, data={"form_token": token, "status": "declined", "declined_reason": "  "})
    assert bare.status_code == 422 and "Say why the advice was declined" in bare.text and 'href="#declined_reason"' in bare.text
    said = sen.post(path, data={"form_token": token, "status": "declined",
                                "declined_reason": "The service has no psychologist free this term."})
    assert said.status_code == 303
    with database.sessions() as session:
        advice = session.get(AdviceRequest, PSYCHOLOGY)
        assert advice is not None and advice.status == "declined"
        assert advice.declined_reason == "The service has no psychologist free this term."
    assert "The service has no psychologist free this term." in sen.get(CASE).text


def test_reuse_records_the_three_agreements_of_reg_6_4(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    path = f"{CASE}/advice/{HEALTH}"
    form = sen.get(f"{path}?chosen=1&status=reused").text
    assert "Sarah Clarke" in form and "David Clarke" in form
    token = form_token(sen, path)
    empty = sen.post(path, data={"form_token": token, "status": "reused"})
    assert empty.status_code == 422
    for field in ("existing_advice", "family_agreed_by", "family_agreed-day", "author_name", "author_agreed-day"):
        assert f'href="#{field}"' in empty.text, field
    agreed = date.today() - timedelta(days=2)
    fields = {"form_token": token, "status": "reused",
              "existing_advice": "Paediatric report, Dr A Shah, Northshire Children's Hospital, June this year",
              "family_agreed_by": str(demo_id("person:sarah")), **date_fields("family_agreed", agreed),
              "author_name": "Dr A Shah", "author_organisation": str(demo_id("org:NHS-NCH")),
              **date_fields("author_agreed", agreed)}
    stranger = sen.post(path, data={**fields, "family_agreed_by": str(demo_id("person:priya"))})
    assert stranger.status_code == 422 and "Select who agreed for the family" in stranger.text
    assert "Dr A Shah" in stranger.text
    future = sen.post(path, data={**fields, **date_fields("author_agreed", date.today() + timedelta(days=1))})
    assert future.status_code == 422 and "The date the author agreed must be today or in the past" in future.text
    assert sen.post(path, data=fields).status_code == 303
    with database.sessions() as session:
        assert session.get(AdviceRequest, HEALTH).status == "reused"  # type: ignore[union-attr]
        agreement = session.scalars(select(ReuseAgreement).where(ReuseAgreement.advice_request_id == HEALTH)).one()
        assert agreement.family_agreed_by_person_id == demo_id("person:sarah")
        assert agreement.author_agreed_on == agreed and agreement.council_agreed_on == date.today()
        assert agreement.council_agreed_by_user_id == demo_id("user:sen.caseworker")
    assert "Reused" in sen.get(CASE).text


def test_other_teams_and_other_roles_are_refused(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    path = f"{CASE}/advice/{EDUCATION}"
    for username, status in (("sc.caseworker", 404), ("sarah.clarke", 403), ("ig.auditor", 403)):
        client = signed_in(username)
        assert client.get(path).status_code == status, username
    sc = signed_in("sc.caseworker")
    token = form_token(sc, "/assessments")
    assert sc.post(path, data={"form_token": token, "status": "received"}).status_code == 404
    sen = signed_in("sen.caseworker")
    assert sen.get(f"{CASE}/advice/{demo_id('advice:oliver:family')}").status_code == 404  # another case's request
    assert sen.post(path, data={"status": "received"}).status_code == 403  # no form token
    with database.sessions() as session:
        assert session.get(AdviceRequest, EDUCATION).status == "requested"  # type: ignore[union-attr]
