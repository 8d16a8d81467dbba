"""The education system's records are held by the child's own school, named by its URN: the
holder a permission must name, what happens when the broker does not know the school, and when
the child changes school after their record was linked."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from adapters.models import IdentityLink
from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.gathering.models import GatheredItem
from broker.identity.holders import holdings
from broker.permissions import case_permissions
from consent.models import Organisation
from tests.broker.gathering.test_gather_flow import LEO, by_source, call, grant, org

JORDAN = str(demo_id("person:jordan"))
RIVERSIDE, HILLTOP = "8202001", "8203001"


def _discover(served: str, headers: dict[str, str], person: str) -> None:
    response = call("POST", f"{served}/api/v1/identity-links/discover", headers, json={"person_id": person})
    assert response.status_code == 200, response.text


def _jordan_grants(served: str, jordan: dict[str, str], holder: str) -> None:
    response = call("POST", f"{served}/api/v1/consents", jordan, json={
        "subject_id": JORDAN, "basis": "confidentiality",
        "scope": [{"data_category": "EDU_ATTENDANCE", "purpose": "SHORT_BREAKS",
                   "holder_organisation_id": org(holder), "recipient_organisation_id": org("NCC-CSC")}]})
    assert response.status_code == 201, response.text


def _ask(served: str, headers: dict[str, str], person: str) -> dict:  # type: ignore[type-arg]
    response = call("POST", f"{served}/api/v1/record-requests", headers,
                    json={"subject_id": person, "purpose": "SHORT_BREAKS", "categories": ["EDU_ATTENDANCE"]})
    assert response.status_code == 200, response.text
    return response.json()


def _education_link(database, person: str) -> IdentityLink:  # type: ignore[no-untyped-def]
    with database.sessions() as session:
        return session.scalars(select(IdentityLink).where(
            IdentityLink.person_id == demo_id("person:" + person), IdentityLink.source_system == "education")).one()


def test_discovery_records_each_childs_school_and_the_case_names_it_as_holder(
    served: str, app: FastAPI, auth_headers, database, settings,
) -> None:  # type: ignore[no-untyped-def]
    sc = auth_headers("sc.caseworker")
    _discover(served, sc, LEO)
    _discover(served, sc, JORDAN)
    assert _education_link(database, "leo").held_by == RIVERSIDE
    assert _education_link(database, "jordan").held_by == HILLTOP
    with database.sessions() as session:
        registry = app.state.adapters
        holders = {s.holder_name for s in case_permissions.sources(
            registry, holdings(session, settings, registry, demo_id("person:jordan")))}
    assert "Hilltop Academy" in holders and "Riverside Primary School" not in holders


def test_a_permission_must_name_the_childs_own_school(served: str, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    sc, jordan = auth_headers("sc.caseworker"), auth_headers("jordan.hughes")
    _discover(served, sc, JORDAN)
    # Another school's permission covers nothing Jordan's school holds ...
    _jordan_grants(served, jordan, "SCH-RIVERSIDE")
    first = by_source(_ask(served, sc, JORDAN))["education"]
    assert first["holder_organisation_id"] == org("SCH-HILLTOP")
    assert first["released"] == [] and first["missing_permission"] == ["EDU_ATTENDANCE"]
    # ... and the missing request names his school, so the family is asked the right question.
    assert _ask(served, sc, JORDAN)["missing_permission"]["holder_organisation_ids"] == [org("SCH-HILLTOP")]
    _jordan_grants(served, jordan, "SCH-HILLTOP")
    second = by_source(_ask(served, sc, JORDAN))["education"]
    assert second["status"] == "ok" and second["released"]
    assert {i["provenance"]["holder_organisation_id"] for i in second["released"]} == {org("SCH-HILLTOP")}
    with database.sessions() as session:
        held = set(session.scalars(select(GatheredItem.holder_organisation_id).where(
            GatheredItem.subject_id == demo_id("person:jordan"))))
    assert held == {demo_id("org:SCH-HILLTOP")}


def test_a_school_the_broker_does_not_know_is_not_asked_and_the_caseworker_is_told(
    served: str, app: FastAPI, auth_headers, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    sc, jordan = auth_headers("sc.caseworker"), auth_headers("jordan.hughes")
    _discover(served, sc, JORDAN)
    _jordan_grants(served, jordan, "SCH-HILLTOP")
    with database.unit_of_work() as session:
        session.execute(update(Organisation).where(Organisation.code == "SCH-HILLTOP").values(urn=None))
    asked = []
    adapter = app.state.adapters.get("education")
    original = adapter.fetch

    async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(adapter, "fetch", counted)
    answer = _ask(served, sc, JORDAN)
    education = by_source(answer)["education"]
    assert education["status"] == "holder_unknown" and education["holder_organisation_id"] is None
    assert HILLTOP in education["reason"] and education["released"] == []
    assert [w["category"] for w in education["withheld"]] == ["EDU_ATTENDANCE"]
    assert answer["complete"] is False and asked == []
    with database.sessions() as session:
        denied = session.scalars(select(AuditEntry).where(
            AuditEntry.event_type == "decision.made", AuditEntry.reason == "holder_unknown")).one()
        assert denied.details_data["denied"] == ["EDU_ATTENDANCE"] and denied.details_data["held_by"] == HILLTOP
        assert session.scalar(select(func.count()).select_from(GatheredItem)) == 0


def test_a_child_who_changed_school_releases_nothing_until_the_new_school_is_asked(
    served: str, app: FastAPI, auth_headers, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    sc, emma = auth_headers("sc.caseworker"), auth_headers("emma.walsh")
    _discover(served, sc, LEO)
    grant(served, emma, "SHORT_BREAKS", ["EDU_ATTENDANCE"], "SCH-RIVERSIDE", "NCC-CSC")
    adapter = app.state.adapters.get("education")
    original = adapter.fetch

    async def moved_to_hilltop(*args, **kwargs):  # type: ignore[no-untyped-def]
        return [dataclasses.replace(i, held_by=HILLTOP) for i in await original(*args, **kwargs)]

    monkeypatch.setattr(adapter, "fetch", moved_to_hilltop)
    moved = by_source(_ask(served, sc, LEO))["education"]
    assert moved["status"] == "holder_changed" and moved["released"] == []
    assert [w["category"] for w in moved["withheld"]] == ["EDU_ATTENDANCE"]
    assert "school has changed" in moved["withheld"][0]["reason"]
    assert _education_link(database, "leo").held_by == HILLTOP
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(GatheredItem)) == 0
        changed = session.scalars(select(AuditEntry).where(
            AuditEntry.event_type == "identity_link.holder_changed")).one()
        assert changed.details_data["source_system"] == "education"
        assert changed.details_data["held_by"] == {"from": RIVERSIDE, "to": HILLTOP}
    # The family reads it in their child's access history, in words.
    history = call("GET", f"{served}/api/v1/subjects/{LEO}/access-log", emma)
    assert history.status_code == 200, history.text
    assert "now held by another school" in history.text
    # The next request is decided for the new school, where the family has not said yes yet.
    again = by_source(_ask(served, sc, LEO))["education"]
    assert again["holder_organisation_id"] == org("SCH-HILLTOP")
    assert again["released"] == [] and again["missing_permission"] == ["EDU_ATTENDANCE"]
    grant(served, emma, "SHORT_BREAKS", ["EDU_ATTENDANCE"], "SCH-HILLTOP", "NCC-CSC")
    released = by_source(_ask(served, sc, LEO))["education"]
    assert released["status"] == "ok" and released["released"]
    assert {i["provenance"]["holder_organisation_id"] for i in released["released"]} == {org("SCH-HILLTOP")}


def test_before_the_record_is_linked_no_school_is_assumed(served: str, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    sc, jordan = auth_headers("sc.caseworker"), auth_headers("jordan.hughes")
    _jordan_grants(served, jordan, "SCH-HILLTOP")
    education = by_source(_ask(served, sc, JORDAN))["education"]
    assert education["status"] == "not_linked" and education["holder_organisation_id"] is None
    assert education["released"] == []
    # A link from before the source named schools: nobody to ask until discovery learns the school.
    _discover(served, sc, JORDAN)
    with database.unit_of_work() as session:
        session.execute(update(IdentityLink).where(IdentityLink.person_id == demo_id("person:jordan"),
                                                   IdentityLink.source_system == "education").values(held_by=None))
    unnamed = by_source(_ask(served, sc, JORDAN))["education"]
    assert unnamed["status"] == "holder_unknown" and "has not said which school" in unnamed["reason"]
    _discover(served, sc, JORDAN)
    assert _education_link(database, "jordan").held_by == HILLTOP
    named = by_source(_ask(served, sc, JORDAN))["education"]
    assert named["status"] == "ok" and named["released"]


def test_discovery_notes_a_new_school_and_audits_it(served: str, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    sc = auth_headers("sc.caseworker")
    _discover(served, sc, JORDAN)
    with database.unit_of_work() as session:
        session.execute(update(IdentityLink).where(IdentityLink.person_id == demo_id("person:jordan"),
                                                   IdentityLink.source_system == "education").values(held_by=RIVERSIDE))
    again = call("POST", f"{served}/api/v1/identity-links/discover", sc, json={"person_id": JORDAN}).json()
    assert [(link["source_system"], link["held_by"], link["status"]) for link in again["links"]] == [
        ("education", HILLTOP, "linked")]
    assert _education_link(database, "jordan").held_by == HILLTOP
    with database.sessions() as session:
        noted = session.scalars(select(AuditEntry).where(AuditEntry.event_type == "identity_link.holder_changed")).one()
    assert noted.details_data["held_by"] == {"from": RIVERSIDE, "to": HILLTOP}
    assert noted.details_data["from_status"] == noted.details_data["to_status"] == "linked"
    # Nothing changed since: discovery again records nothing.
    assert call("POST", f"{served}/api/v1/identity-links/discover", sc, json={"person_id": JORDAN}).json()["links"] == []
