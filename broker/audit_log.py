"""Where the broker hands audit events to the log, in the caller's transaction.

Until ``audit.service.append`` is in main this records the event's type and outcome in the
application log (identifiers only); switching is a one-line change here.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from audit.events import AuditEvent

log = logging.getLogger("broker.audit")


def record(session: Session, event: AuditEvent) -> None:
    """Append ``event`` to the audit log as part of ``session``'s transaction."""
    log.info("audit event", extra={"event_type": event.event_type, "outcome": event.outcome})
