"""GET /api/v1/subjects and /api/v1/subjects/{id}: families reach only the children they may
decide for, and never anything about the other parent; staff see identity only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient

from broker.dev.demo import demo_id
from consent.models import Relationship

pytestmark = pytest.mark.usefixtures("demo")

AMELIA, OLIVER, JORDAN, LEO = (demo_id("person:" + k) for k in ("amelia", "oliver", "jordan", "leo"))


def _ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


def test_each_parent_lists_their_own_children(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert _ids(client.get("/api/v1/subjects", headers=auth_headers("sarah.clarke"))) == [str(AMELIA)]
    assert _ids(client.get("/api/v1/subjects", headers=auth_headers("david.clarke"))) == [str(AMELIA)]
    assert _ids(client.get("/api/v1/subjects", headers=auth_headers("priya.bennett"))) == [str(OLIVER)]
    assert _ids(client.get("/api/v1/subjects", headers=auth_headers("emma.walsh"))) == [str(LEO)]


def test_a_young_person_decides_for_themselves_and_their_mother_no_longer_does(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert date.today() >= date(2025, 6, 27), "Jordan is past compulsory school age from the end of June 2025"
    mine = client.get("/api/v1/subjects", headers=auth_headers("jordan.hughes")).json()
    assert [s["id"] for s in mine] == [str(JORDAN)] and mine[0]["is_you"] is True
    assert _ids(client.get("/api/v1/subjects", headers=auth_headers("karen.hughes"))) == []
    assert client.get(f"/api/v1/subjects/{JORDAN}", headers=auth_headers("karen.hughes")).status_code == 404


def test_a_parent_sees_their_child_but_nothing_of_the_other_parent(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/subjects/{AMELIA}", headers=auth_headers("sarah.clarke"))
    assert response.status_code == 200
    body = response.json()
    assert body["given_name"] == "Amelia"
    assert body["your_relationships"] == [{"relationship_type": "mother", "parental_responsibility": True}]
    assert "David" not in response.text and str(demo_id("person:david")) not in response.text
    david = client.get(f"/api/v1/subjects/{AMELIA}", headers=auth_headers("david.clarke")).json()
    assert david["your_relationships"] == [{"relationship_type": "father", "parental_responsibility": True}]


def test_an_unrelated_subject_and_a_missing_one_answer_the_same(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    unrelated = client.get(f"/api/v1/subjects/{OLIVER}", headers=auth_headers("sarah.clarke"))
    missing = client.get(f"/api/v1/subjects/{uuid.uuid4()}", headers=auth_headers("sarah.clarke"))
    assert unrelated.status_code == missing.status_code == 404
    assert unrelated.json()["detail"] == missing.json()["detail"]
    # A person who is not a subject (the other parent) is not reachable as one, by anyone.
    sarah_as_subject = client.get(f"/api/v1/subjects/{demo_id('person:sarah')}", headers=auth_headers("sen.caseworker"))
    assert sarah_as_subject.status_code == 404


def test_a_court_restriction_removes_a_parents_access(client, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as s:
        s.get(Relationship, demo_id("relationship:amelia:david")).court_restriction = "prohibited steps order"
    assert client.get(f"/api/v1/subjects/{AMELIA}", headers=auth_headers("david.clarke")).status_code == 404
    assert client.get(f"/api/v1/subjects/{AMELIA}", headers=auth_headers("sarah.clarke")).status_code == 200


def test_staff_see_identity_only_and_ig_and_admin_see_nothing(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/subjects/{LEO}", headers=auth_headers("sc.caseworker"))
    assert response.status_code == 200
    assert set(response.json()) == {"id", "given_name", "family_name", "date_of_birth", "your_relationships", "is_you"}
    assert response.json()["your_relationships"] == []
    for username in ("ig.auditor", "admin", "education.system"):
        assert client.get(f"/api/v1/subjects/{LEO}", headers=auth_headers(username)).status_code == 403
        assert client.get("/api/v1/subjects", headers=auth_headers(username)).status_code == 403
