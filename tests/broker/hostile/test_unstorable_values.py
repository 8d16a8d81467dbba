"""A NUL character in free text: PostgreSQL cannot store it, which is the caller's error (422),
never a server error, and a refusal on the record; where it can be stored it never reaches a
notification."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.accounts.models import OutboxMessage
from broker.dev.demo import demo_id
from consent.models import ConsentRequest, utcnow
from tests.broker.audit_entries import entries_since, next_seq

WHY_WITH_NUL = "To assess needs\u0000 with the report."


def _request_with_a_nul() -> dict[str, Any]:
    return {
        "subject_id": str(demo_id("person:amelia")), "purpose": "EHC_NEEDS_ASSESSMENT",
        "categories": ["EP_ADVICE"], "holder_organisation_ids": [str(demo_id("org:NCC-EPS"))],
        "recipient_organisation_ids": [str(demo_id("org:NCC-SEN"))],
        "why": WHY_WITH_NUL, "valid_for_days": 90,
        "if_declined": "The assessment goes ahead anyway.", "expires_at": (utcnow() + timedelta(days=10)).isoformat(),
    }


def test_a_nul_in_a_reason_is_refused_or_kept_out_of_notifications(
    client: TestClient, auth_headers, session: Session, settings,  # type: ignore[no-untyped-def]
) -> None:
    before = session.scalar(select(func.count()).select_from(ConsentRequest))
    response = client.post("/api/v1/consent-requests", json=_request_with_a_nul(), headers=auth_headers("sen.caseworker"))
    if settings.is_sqlite:
        assert response.status_code == 201, response.text
        messages = session.scalars(select(OutboxMessage)).all()
        assert messages and all("\x00" not in m.body for m in messages)
        assert any("Why: To assess needs with the report." in m.body for m in messages)
        return
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "NUL" in response.json()["detail"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ConsentRequest)) == before


def test_a_value_the_database_refuses_is_a_refusal_on_the_record_without_the_body(
    client: TestClient, auth_headers, database, settings,  # type: ignore[no-untyped-def]
) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite stores a NUL character; only PostgreSQL refuses it")
    headers = auth_headers("sen.caseworker")
    with database.sessions() as s:
        start = next_seq(s)
    response = client.post("/api/v1/consent-requests", json=_request_with_a_nul(), headers=headers)
    assert response.status_code == 422, response.text
    with database.sessions() as s:
        entries = entries_since(s, start)
    assert [(e.event_type, e.outcome, e.actor_username) for e in entries] == [
        ("request.refused", "refused", "sen.caseworker")]
    refused = entries[0]
    assert refused.details["status"] == 422 and refused.details["method"] == "POST"
    assert refused.reason == response.json()["detail"]
    assert "assess needs" not in repr(refused) and "goes ahead anyway" not in repr(refused)
