"""Refusals are audited in a transaction of their own; anonymous noise and plain reads are not."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.testclient import TestClient

from broker.auth import Principal, Role, require_roles
from broker.dev.demo import demo_id
from tests.broker.audit_entries import entries_since, next_seq

AMELIA = str(demo_id("person:amelia"))


def _entries_during(database, call):  # type: ignore[no-untyped-def]
    with database.sessions() as s:
        start = next_seq(s)
    response = call()
    with database.sessions() as s:
        return response, entries_since(s, start)


def test_a_role_that_may_not_use_an_endpoint_is_refused_on_the_record(client: TestClient, auth_headers, database) -> None:
    response, entries = _entries_during(database, lambda: client.post(
        "/api/v1/decisions", json={}, headers=auth_headers("sarah.clarke")))
    assert response.status_code == 403
    assert [(e.event_type, e.outcome, e.actor_username) for e in entries] == [("request.refused", "refused", "sarah.clarke")]
    assert entries[0].details["endpoint"] and entries[0].details["method"] == "POST"
    assert "roles" in entries[0].reason


def test_a_read_that_finds_nothing_for_the_caller_is_not_a_refusal_on_the_record(client: TestClient, auth_headers, database) -> None:
    response, entries = _entries_during(database, lambda: client.get(
        f"/api/v1/subjects/{AMELIA}/access-log", headers=auth_headers("priya.bennett")))
    # A read that finds nothing for this caller is not a refusal on the record: it looks like absence.
    assert response.status_code == 404
    assert [e.event_type for e in entries if e.event_type == "request.refused"] == []


def test_requests_without_a_caller_are_not_written_to_the_log(client: TestClient, database) -> None:
    response, entries = _entries_during(database, lambda: client.post("/api/v1/consents", json={}))
    assert response.status_code == 401
    assert entries == []


def test_the_refusal_entry_holds_no_request_body(client: TestClient, auth_headers, database) -> None:
    secret = "the family's private words"
    response, entries = _entries_during(database, lambda: client.post(
        "/api/v1/consents", headers=auth_headers("ig.auditor"), json={"subject_id": AMELIA, "note": secret}))
    assert response.status_code == 403
    assert len(entries) == 1 and secret not in repr(entries[0])


def test_an_unexpected_error_is_recorded_with_its_kind_but_not_its_message(app, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    @app.post("/api/v1/test-only/explode/{subject_id}")
    def explode(subject_id: str, caller: Annotated[Principal, Depends(require_roles(Role.caseworker))]) -> None:
        raise RuntimeError("contents that must not reach the log")

    with TestClient(app, raise_server_exceptions=False) as client:
        response, entries = _entries_during(database, lambda: client.post(
            f"/api/v1/test-only/explode/{AMELIA}", headers=auth_headers("sen.caseworker")))
    assert response.status_code == 500
    assert [(e.event_type, e.outcome, e.subject_id) for e in entries] == [("request.failed", "error", AMELIA)]
    assert "RuntimeError" in entries[0].reason and "contents" not in repr(entries[0])
