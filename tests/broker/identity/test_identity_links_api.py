"""The review queue over HTTP: caseworkers only; confirm, reject, unlink, undo."""

from __future__ import annotations

import uuid
from datetime import date

from adapters import service
from adapters.identity import Demographics
from adapters.protocol import Candidate


def _queue_one(database) -> uuid.UUID:  # type: ignore[no-untyped-def]
    subject = Demographics("Oliver", "Bennett", date(2015, 11, 2), "M", "NS2 3CD")
    with database.unit_of_work() as s:
        [change] = service.record_matches(s, uuid.uuid4(), subject, [Candidate(
            "educational_psychology", "EP/2020/00001", "Ollie", "Bennett", date(2015, 11, 2), None, None, {})])
        return change.link.id


def test_caseworker_confirms_then_undoes(client, database, auth_headers) -> None:  # type: ignore[no-untyped-def]
    link_id = _queue_one(database)
    headers = auth_headers("sen.caseworker")
    queue = client.get("/api/v1/identity-links/reviews", headers=headers).json()
    assert queue["total"] == 1 and queue["items"][0]["id"] == str(link_id)
    version = queue["items"][0]["version"]
    confirmed = client.post(f"/api/v1/identity-links/{link_id}/confirm", json={"version": version}, headers=headers)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "linked"
    stale = client.post(f"/api/v1/identity-links/{link_id}/undo", json={"version": version}, headers=headers)
    assert stale.status_code == 409
    undone = client.post(f"/api/v1/identity-links/{link_id}/undo", json={"version": confirmed.json()["version"]},
                         headers=headers)
    assert undone.json()["status"] == "pending_review"
    detail = client.get(f"/api/v1/identity-links/{link_id}", headers=headers).json()
    assert [h["action"] for h in detail["history"]] == ["queued", "confirm", "undo"]
    assert detail["history"][1]["actor"] == "sen.caseworker"


def test_reject_and_bad_input(client, database, auth_headers) -> None:  # type: ignore[no-untyped-def]
    link_id = _queue_one(database)
    headers = auth_headers("sc.caseworker")
    assert client.post(f"/api/v1/identity-links/{link_id}/unlink", json={"version": 2, "reason": ""},
                       headers=headers).status_code == 422
    rejected = client.post(f"/api/v1/identity-links/{link_id}/reject", json={"version": 2, "reason": "twin"}, headers=headers)
    assert rejected.json()["status"] == "rejected"
    assert client.post(f"/api/v1/identity-links/{uuid.uuid4()}/confirm", json={"version": 1},
                       headers=headers).status_code == 404


def test_only_caseworkers(client, database, auth_headers) -> None:  # type: ignore[no-untyped-def]
    _queue_one(database)
    assert client.get("/api/v1/identity-links/reviews").status_code == 401
    assert client.get("/api/v1/identity-links/reviews", headers=auth_headers("sarah.clarke")).status_code == 403
    assert client.get("/api/v1/identity-links/reviews", headers=auth_headers("ig.auditor")).status_code == 403


def test_only_links_in_force_are_fetched_from(app, database) -> None:  # type: ignore[no-untyped-def]
    from broker.identity.sources import refs_in_force

    person = uuid.uuid4()
    subject = Demographics("Oliver", "Bennett", date(2015, 11, 2), "M", None, "4010232137")
    with database.unit_of_work() as s:
        service.record_matches(s, person, subject, [
            Candidate("social_care", "MOS1", "Oliver", "Bennett", date(2015, 11, 2), "Male", None, {"nhs_number": "4010232137"}),
            Candidate("educational_psychology", "EP/1", "Ollie", "Benet", date(2015, 11, 2), None, None, {})])
    with database.unit_of_work() as s:
        refs = refs_in_force(s, app.state.adapters, person)
    assert refs == {"social_care": ["MOS1"], "ep_paper": [str(person)]}
