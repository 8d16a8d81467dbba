"""What an audit entry says: who did what, to which subject, why, when and with what outcome.

Entries hold identifiers and metadata only, never record contents.  Other packages build an
``AuditEvent``; ``broker`` hands it to ``audit.service.append`` inside the same transaction as the
change it records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuditEvent:
    """One thing that happened, as the audit log records it.

    ``event_type`` is dotted, for example ``consent.granted``, ``consent.withdrawn``,
    ``decision.made``, ``records.disclosed``, ``break_glass.opened``, ``audit.searched`` (the broker
    keeps the list of the types it writes, with their wording, in its own event catalogue).
    ``outcome`` is ``success``, ``permit``, ``deny``, ``refused`` or ``error``.
    ``details`` holds further identifiers and metadata (consent ids and versions, categories,
    item ids and content hashes), JSON-serialisable, never record contents.
    """

    event_type: str
    outcome: str
    actor_user_id: str | None = None
    actor_username: str | None = None
    actor_role: str | None = None
    actor_organisation_id: str | None = None
    subject_id: str | None = None
    purpose: str | None = None
    case_reference: str | None = None
    reason: str | None = None
    request_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
