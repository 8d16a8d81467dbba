"""Reading back what the audit log recorded, for tests of the flows that write to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit.models import AuditEntry


@dataclass(frozen=True)
class RecordedEvent:
    seq: int
    event_type: str
    outcome: str
    actor_username: str | None
    subject_id: str | None
    reason: str | None
    details: dict[str, Any]


def next_seq(session: Session) -> int:
    """The number the next entry will get."""
    session.flush()
    return (session.scalar(select(func.max(AuditEntry.seq))) or -1) + 1


def entries_since(session: Session, seq: int) -> list[RecordedEvent]:
    """Every entry numbered ``seq`` or later, in order."""
    session.flush()
    rows = session.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq))
    return [
        RecordedEvent(e.seq, e.event_type, e.outcome, e.actor_username, e.subject_id, e.reason, json.loads(e.details))
        for e in rows
    ]
