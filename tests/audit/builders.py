"""Plain keyword builders for audit tests."""

from __future__ import annotations

from typing import Any

from audit.events import AuditEvent


def make_event(
    *, event_type: str = "consent.granted", outcome: str = "success", subject_id: str | None = "subject-1",
    actor_user_id: str | None = "user-1", actor_organisation_id: str | None = "org-1", **more: Any,
) -> AuditEvent:
    return AuditEvent(
        event_type=event_type, outcome=outcome, subject_id=subject_id, actor_user_id=actor_user_id,
        actor_organisation_id=actor_organisation_id, **more,
    )
