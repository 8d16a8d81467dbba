"""The one place the broker hands audit events to the audit log, inside the caller's transaction.

Until ``audit.service.append`` is in main, events are kept on the session (``session.info``) so
that callers and tests can see exactly what will be written; switching is the one line in
:func:`record`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from audit.events import AuditEvent
from broker.auth.principal import Principal
from broker.logging import current_request_id

PENDING_KEY = "audit_events"


def record(session: Session, event: AuditEvent) -> None:
    """Write ``event`` to the audit log in the session's transaction (commits or rolls back with it)."""
    session.info.setdefault(PENDING_KEY, []).append(event)


def staff_event(
    principal: Principal,
    event_type: str,
    *,
    outcome: str = "success",
    subject_id: object | None = None,
    purpose: str | None = None,
    case_reference: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """An event done by a signed-in caller, with their identity and this request's id."""
    return AuditEvent(
        event_type=event_type, outcome=outcome,
        actor_user_id=str(principal.user_id), actor_username=principal.username,
        actor_role=principal.role.value,
        actor_organisation_id=str(principal.organisation_id) if principal.organisation_id else None,
        subject_id=str(subject_id) if subject_id is not None else None,
        purpose=purpose, case_reference=case_reference, reason=reason,
        request_id=current_request_id(), details=dict(details or {}),
    )


def release_break_glass_to_family(session: Session, principal: Principal, subject_id: object, break_glass_id: object) -> None:
    """Release one break-glass access's entries to the family's access history.

    Families see safeguarding entries only once an ``audit.released`` entry names them; this names
    the access, so every entry carrying its ``break_glass_id`` is released together.
    """
    record(session, staff_event(
        principal, "audit.released", subject_id=subject_id,
        details={"subject_id": str(subject_id), "break_glass_id": str(break_glass_id)},
    ))
