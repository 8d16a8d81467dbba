"""Appending to the audit log, in the caller's transaction.

``append`` is called by whatever makes an audited change, inside the same transaction as the
change: if the entry cannot be written the change fails with it, and the entry is only visible
once the change commits.  Services here only flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from audit import merkle, repository
from audit.encoding import EVENT_FIELDS, canonical_json, entry_bytes
from audit.events import AuditEvent
from audit.models import utcnow


def append(session: Session, event: AuditEvent, *, at: datetime | None = None) -> int:
    """Record ``event`` as the next entry of the log and return its number (``seq``).

    Numbers run 0, 1, 2, ... with no gaps or duplicates even with many concurrent writers: the
    counter row stays locked until the caller's transaction ends, and a rollback returns the
    number.  ``at`` is when it happened (timezone-aware; default now, UTC).
    """
    recorded_at = at or utcnow()
    if recorded_at.tzinfo is None:
        raise ValueError("naive datetimes are not recorded; use an aware UTC datetime")
    if not event.event_type or not event.outcome:
        raise ValueError("an audit event needs an event_type and an outcome")
    fields = {name: getattr(event, name) for name in EVENT_FIELDS}
    details = canonical_json(dict(event.details))
    seq = repository.take_next_seq(session)
    leaf = merkle.leaf_hash(entry_bytes(seq, recorded_at, fields, details))
    repository.insert_entry(
        session, {**fields, "seq": seq, "recorded_at": recorded_at, "details": details, "leaf_hash": leaf}
    )
    return seq
