"""A NUL character in free text: PostgreSQL cannot store it, which is the caller's error (422),
never a server error; where it can be stored it never reaches a notification."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.demo import demo_id
from broker.models import OutboxMessage
from consent.models import ConsentRequest, utcnow


def test_a_nul_in_a_reason_is_refused_or_kept_out_of_notifications(
    client: TestClient, auth_headers, session: Session, settings,  # type: ignore[no-untyped-def]
) -> None:
    body = {
        "subject_id": str(demo_id("person:amelia")), "purpose": "EHC_NEEDS_ASSESSMENT",
        "categories": ["EP_ADVICE"], "holder_organisation_ids": [str(demo_id("org:NCC-EPS"))],
        "recipient_organisation_ids": [str(demo_id("org:NCC-SEN"))],
        "why": "To assess needs\u0000 with the report.", "valid_for_days": 90,
        "if_declined": "The assessment goes ahead anyway.", "expires_at": (utcnow() + timedelta(days=10)).isoformat(),
    }
    before = session.scalar(select(func.count()).select_from(ConsentRequest))
    response = client.post("/api/v1/consent-requests", json=body, headers=auth_headers("sen.caseworker"))
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
