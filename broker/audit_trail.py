"""The one place the broker hands audit events to the audit log, inside the caller's transaction.

Until ``audit.service.append`` is in main, events are kept on the session (``session.info``) so
that callers and tests can see exactly what will be written; switching is the one line in
:func:`record`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from audit.events import AuditEvent

PENDING_KEY = "audit_events"


def record(session: Session, event: AuditEvent) -> None:
    """Write ``event`` to the audit log in the session's transaction (commits or rolls back with it)."""
    session.info.setdefault(PENDING_KEY, []).append(event)
