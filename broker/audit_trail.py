"""The one place the broker hands an ``AuditEvent`` to the audit log.

Until ``audit.service.append`` is in main, events are written to the ``broker.audit`` logger as
structured records (identifiers and metadata only, never contents).  Switching is the one line in
``record``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from sqlalchemy.orm import Session

from audit.events import AuditEvent

log = logging.getLogger("broker.audit")


def record(session: Session, event: AuditEvent) -> None:
    """Append ``event`` to the audit log in the session's transaction."""
    log.info("audit event", extra={"audit_event": {**asdict(event), "details": dict(event.details)}})
