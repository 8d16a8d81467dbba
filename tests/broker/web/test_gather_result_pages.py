"""Gathering from the case page is POST-redirect-GET: the gather's answer is a page of its own,
read back from the gather's audit entry and the stored bundle, shown only to the caseworker who
gathered and only under the case it was gathered for; reloading it never gathers again."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from audit.models import AuditEntry
from broker.accounts.models import User
from broker.dev.demo import demo_id
from broker.platform.db import Database
from broker.web.casework import SOURCE_STATUS
from consent.models import Organisation
from tests.broker.identity.test_identity_discovery import served, settings  # noqa: F401  (the sources answer over HTTP)
from tests.broker.web.form_helpers import form_token

_RESULT = re.compile(r"^/assessments/([0-9a-f-]{36})/gathers/([0-9a-f-]{36})$")
AMELIA_CASE = demo_id("assessment:amelia")
OLIVER_CASE = demo_id("assessment:oliver")

pytestmark = pytest.mark.usefixtures("demo", "served")


def _count(database: Database, event_type: str) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.event_type == event_type)) or 0


_RELEASED = re.compile(r'<ul class="govuk-list govuk-list--bullet released">(.*?)</ul>', re.DOTALL)


def _released(page: str) -> list[str]:
    return [c for block in _RELEASED.findall(page) for c in re.findall(r'data-category="([A-Z_]+)"', block)]


def _gather(client: TestClient, case_id: uuid.UUID) -> str:
    path = f"/assessments/{case_id}"
    answered = client.post(f"{path}/gather", data={"form_token": form_token(client, path)})
    assert answered.status_code == 303
    location = answered.headers["location"]
    assert _RESULT.match(location) and _RESULT.match(location).group(1) == str(case_id)  # type: ignore[union-attr]
    return location


def test_the_gather_redirects_to_its_answer_and_reloading_does_not_gather_again(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    location = _gather(sen, AMELIA_CASE)
    first = sen.get(location)
    assert first.status_code == 200 and "What was gathered for Amelia Clarke" in first.text
    assert _count(database, "gather.completed") == 1
    disclosed = _count(database, "records.disclosed")
    for _ in range(2):
        again = sen.get(location)
        assert again.status_code == 200
        assert _released(again.text) == _released(first.text)
        assert again.text.split('id="sources"')[1] == first.text.split('id="sources"')[1]
    assert _count(database, "gather.completed") == 1, "a reload gathers again"
    assert _count(database, "records.disclosed") == disclosed
    with database.sessions() as session:
        summary = session.scalars(select(AuditEntry).where(AuditEntry.event_type == "gather.completed")).one()
    details = summary.details_data
    assert summary.actor_username == "sen.caseworker" and details["assessment_id"] == str(AMELIA_CASE)
    assert location.endswith(details["gather_id"])
    assert {s["source_system"] for s in details["sources"]} >= {"education", "educational_psychology"}
    assert "title" not in summary.details  # identifiers and codes only, never record contents


def test_a_gather_shows_again_each_source_status(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    page = sen.get(_gather(sen, AMELIA_CASE)).text
    with database.sessions() as session:
        summary = session.scalars(select(AuditEntry).where(AuditEntry.event_type == "gather.completed")).one()
    sources = summary.details_data["sources"]
    assert {s["status"] for s in sources} >= {"ok"}
    for source in sources:
        shown = page.split(f'id="source-{source["source_system"]}"')[1].split("</li>\n      \n")[0]
        assert SOURCE_STATUS[source["status"]] in shown, source["source_system"]


def test_another_case_another_caseworker_and_another_team_do_not_see_the_answer(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    location = _gather(sen, AMELIA_CASE)
    gather_id = location.rsplit("/", 1)[1]
    assert sen.get(f"/assessments/{OLIVER_CASE}/gathers/{gather_id}").status_code == 404
    assert sen.get(f"/assessments/{AMELIA_CASE}/gathers/{uuid.uuid4()}").status_code == 404
    with database.unit_of_work() as session:
        session.add(User(username="sen.colleague", display_name="A colleague in the SEN team", role="caseworker",
                         organisation_id=demo_id("org:NCC-SEN")))
    colleague = signed_in("sen.colleague")
    assert colleague.get(f"/assessments/{AMELIA_CASE}").status_code == 200  # the same team's case
    assert colleague.get(location).status_code == 404  # but not another person's gather
    assert signed_in("sc.caseworker").get(location).status_code == 404
    assert signed_in("sarah.clarke").get(location).status_code == 403
    assert signed_in("ig.auditor").get(location).status_code == 403
    assert _count(database, "gather.completed") == 1


def test_an_item_whose_permission_was_withdrawn_is_not_shown_again(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    sen = signed_in("sen.caseworker")
    location = _gather(sen, AMELIA_CASE)
    released = _released(sen.get(location).text)
    assert "EP_ADVICE" in released
    sarah = signed_in("sarah.clarke")
    permissions = sarah.get(f"/family/{demo_id('person:amelia')}/permissions").text
    withdraw_links = re.findall(r'href="(/family/[^"]+/withdraw)"', permissions)
    assert withdraw_links, "Sarah's permissions have withdraw links"
    for link in withdraw_links:
        assert sarah.post(link, data={"form_token": form_token(sarah, link)}).status_code == 303
    after = sen.get(location).text
    assert "EP_ADVICE" not in _released(after)
    assert "was withdrawn on" in after
    assert _count(database, "gather.completed") == 1


def test_a_school_the_broker_does_not_know_is_named_by_its_urn_on_the_answer(signed_in, database: Database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        session.execute(update(Organisation).where(Organisation.code == "SCH-RIVERSIDE").values(urn=None))
    sen = signed_in("sen.caseworker")
    page = sen.get(_gather(sen, AMELIA_CASE)).text
    education = page.split('id="source-education"')[1].split('id="source-')[0]
    assert "Holder not known" in education and SOURCE_STATUS["holder_unknown"] in education
    assert "(URN 8202001) is not registered with the broker" in education
