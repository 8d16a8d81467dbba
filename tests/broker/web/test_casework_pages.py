"""The caseworkers' pages: the overview, opening a case, advice requests, the permission status,
asking the family for what is missing, gathering, the bundle and the identity review queue."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from adapters.models import IdentityLink
from audit.models import AuditEntry
from broker.assessments.models import AdviceRequest, Assessment
from broker.dev.demo import demo_id
from broker.platform.db import Database
from consent.models import ConsentRequest
from tests.broker.web.form_helpers import form_token

AMELIA_CASE = demo_id("assessment:amelia")
LEO = demo_id("person:leo")

pytestmark = pytest.mark.usefixtures("demo")


def test_the_overview_shows_clocks_and_overdue_advice(signed_in) -> None:  # type: ignore[no-untyped-def]
    page = signed_in("sen.caseworker").get("/assessments")
    assert page.status_code == 200
    assert "Amelia Clarke" in page.text and "Oliver Bennett" in page.text
    assert "Overdue advice" in page.text and "Psychological advice from Northshire educational psychology service" in page.text


def test_other_teams_do_not_see_the_case(signed_in) -> None:  # type: ignore[no-untyped-def]
    assert signed_in("sc.caseworker").get(f"/assessments/{AMELIA_CASE}").status_code == 404
    assert "Amelia" not in signed_in("sc.caseworker").get("/assessments").text


def test_open_a_case_from_a_child_then_record_advice(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    path = f"/children/{LEO}/assessments/new"
    token = form_token(sen, path)
    empty = sen.post(path, data={"form_token": token})
    assert empty.status_code == 422 and "There is a problem" in empty.text and 'href="#received-day"' in empty.text
    future = date.today() + timedelta(days=3)
    late = sen.post(path, data={"form_token": token, "received-day": future.day, "received-month": future.month,
                                "received-year": future.year})
    assert late.status_code == 422 and "today or in the past" in late.text
    received = date.today() - timedelta(days=10)
    opened = sen.post(path, data={"form_token": token, "received-day": received.day,
                                  "received-month": received.month, "received-year": received.year})
    assert opened.status_code == 303
    case_path = opened.headers["location"].split("?")[0]
    case = sen.get(opened.headers["location"])
    assert "Assessment opened" in case.text and "Leo Walsh" in case.text
    assert "Decision whether to assess" in case.text or "clocks" in case.text

    advice_path = f"{case_path}/advice"
    token = form_token(sen, advice_path)
    missing = sen.post(advice_path, data={"form_token": token, "advice_type": "psychological"})
    assert missing.status_code == 422 and "Select who was asked for the advice" in missing.text
    recorded = sen.post(advice_path, data={"form_token": token, "advice_type": "psychological",
                                           "organisation": str(demo_id("org:NCC-EPS"))})
    assert recorded.status_code == 303
    again = sen.post(advice_path, data={"form_token": token, "advice_type": "psychological",
                                        "organisation": str(demo_id("org:NCC-EPS"))})
    assert again.status_code == 422 and "already been requested" in again.text
    with database.sessions() as session:
        case_id = session.scalars(select(Assessment.id).where(Assessment.subject_id == LEO)).one()
        assert session.scalars(select(AdviceRequest).where(AdviceRequest.assessment_id == case_id)).one().advice_type == "psychological"


def test_permission_status_and_asking_for_exactly_what_is_missing(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    # Until Amelia's education record is linked, no school is assumed to hold it: nothing to ask for.
    before = sen.get(f"/assessments/{AMELIA_CASE}/ask").text
    assert 'value="EDU_ATTENDANCE"' not in before
    unlinked = sen.get(f"/assessments/{AMELIA_CASE}").text
    assert "the child's school is not known until their record is found" in unlinked
    with database.unit_of_work() as session:
        session.add(IdentityLink(person_id=demo_id("person:amelia"), source_system="education",
                                 source_person_ref="P-AMELIA", status="linked", method="upn", score=1.0,
                                 held_by="8202001"))
    case = sen.get(f"/assessments/{AMELIA_CASE}")
    assert case.status_code == 200 and "the child's school is not known" not in case.text
    assert "Riverside Primary School" in case.text.split('id="permission-status"')[1]
    # Sarah's permission covers the psychologist's advice; the school's records are the council's to
    # take on its statutory duty, so they are shown as such and never offered to ask the family for.
    status = case.text.split('id="permission-status"')[1]
    ep = status.split("Northshire educational psychology service")[1].split("</dl>")[0]
    assert "Permitted by the family" in ep
    school = status.split("Riverside Primary School")[1].split("</dl>")[0]
    school_rows = dict(re.findall(r'data-category="([A-Z_]+)"><strong[^>]*>([^<]+)<', school))
    assert {c: t for c, t in school_rows.items() if c.startswith("EDU_")} == dict.fromkeys(
        [c for c in school_rows if c.startswith("EDU_")], "Statutory duty") and len(school_rows) > 2
    ask_path = f"/assessments/{AMELIA_CASE}/ask"
    form = sen.get(ask_path).text
    offered = re.findall(r'name="categories" type="checkbox" value="([A-Z_]+)"', form)
    assert offered and not [c for c in offered if c.startswith("EDU_")] and "EP_ADVICE" not in offered
    offered = [c for c in offered if not c.startswith("ID_")] or offered
    token = form_token(sen, ask_path)
    refused = sen.post(ask_path, data={"form_token": token, "why": "short", "days": "0", "if_declined": ""})
    assert refused.status_code == 422
    for field in ("categories", "why", "days", "if_declined"):
        assert f'href="#{field}"' in refused.text
    not_theirs = sen.post(ask_path, data={
        "form_token": token, "categories": "EDU_ATTENDANCE", "days": "90",
        "why": "Amelia's attendance this year helps us understand her needs.",
        "if_declined": "The assessment goes ahead; we will ask the school directly."})
    assert not_theirs.status_code == 422 and "Select information that is still missing" in not_theirs.text
    sent = sen.post(ask_path, data={
        "form_token": token, "categories": offered[0], "days": "90",
        "why": "This record helps us understand Amelia's needs at home.",
        "if_declined": "The assessment goes ahead on the other evidence."})
    assert sent.status_code == 303
    with database.sessions() as session:
        asked = session.scalars(select(ConsentRequest).where(
            ConsentRequest.subject_id == demo_id("person:amelia"), ConsentRequest.valid_for_days == 90)).one()
        assert asked.categories == [offered[0]]
        assert str(demo_id("org:SCH-RIVERSIDE")) not in [str(h) for h in asked.holder_organisation_ids]


def test_gather_and_bundle_pages_answer_when_the_sources_do_not(signed_in) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    case_path = f"/assessments/{AMELIA_CASE}"
    token = form_token(sen, case_path)
    answered = sen.post(f"{case_path}/gather", data={"form_token": token})
    assert answered.status_code == 303
    gathered = sen.get(answered.headers["location"])
    assert gathered.status_code == 200
    assert "What was gathered for Amelia Clarke" in gathered.text
    assert "No permission" in gathered.text or "Not released" in gathered.text
    bundle = sen.get(f"{case_path}/bundle")
    assert bundle.status_code == 200 and "Gathered bundle for Amelia Clarke" in bundle.text


def _likely_match(database: Database, ref: str) -> uuid.UUID:
    with database.unit_of_work() as session:
        link = IdentityLink(person_id=LEO, source_system="social_care", source_person_ref=ref, status="pending_review",
                            method="probabilistic", score=0.82, reasons=["same date of birth", "similar family name"],
                            candidate={"given_name": "Leo", "family_name": "Walsh-Price", "date_of_birth": "2014-07-09"})
        session.add(link)
        session.flush()
        return link.id


def test_a_caseworker_confirms_one_likely_match_and_rejects_another(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    same, different = _likely_match(database, "SC-1001"), _likely_match(database, "SC-2002")
    page = sen.get("/identity-reviews")
    assert page.status_code == 200 and page.text.count("Leo Walsh and a social care record") == 2
    assert "Walsh-Price" in page.text and "similar family name" in page.text
    token = form_token(sen, "/identity-reviews")
    unanswered = sen.post(f"/identity-reviews/{same}", data={"form_token": token, "version": "1"})
    assert unanswered.status_code == 422 and f'href="#same_person-{same}"' in unanswered.text
    assert sen.post(f"/identity-reviews/{same}", data={"form_token": token, "version": "1", "same_person": "yes"}).status_code == 303
    assert sen.post(f"/identity-reviews/{different}", data={"form_token": token, "version": "1", "same_person": "no"}).status_code == 303
    stale = sen.post(f"/identity-reviews/{different}", data={"form_token": token, "version": "1", "same_person": "yes"})
    assert stale.status_code == 409
    with database.sessions() as session:
        assert session.get(IdentityLink, same).status == "linked"  # type: ignore[union-attr]
        assert session.get(IdentityLink, different).status == "rejected"  # type: ignore[union-attr]
        audited = session.scalars(select(AuditEntry.event_type).where(AuditEntry.event_type.like("identity_link.%"))).all()
        assert sorted(audited) == ["identity_link.confirm", "identity_link.reject"]
    assert "No possible matches are waiting" in sen.get("/identity-reviews").text
