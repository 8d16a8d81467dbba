"""A gather's answer shown again without asking the sources again: read back from the gather's
own audit entry (``gather.completed``: per source its status, the items released by id, what was
withheld and why), for the caller who gathered and the case it was gathered for only.

The released items come from the stored bundle, decided again now (``service.bundle``, which
audits the reading): an item whose permission has since been withdrawn is shown as no longer
served, with the reason, never opened."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from audit import repository as audit_repository
from broker.auth import Principal
from broker.gathering.repository import hold_subject
from broker.gathering.service import (
    GATHER_COMPLETED,
    NOT_LINKED,
    GatherResult,
    Released,
    SourceResult,
    Withheld,
    bundle,
)
from broker.records.encryption.service import RecordEncryption

NO_LONGER_HELD = "It is no longer held: copies kept only under a permission are erased when it ends."


def _summary(session: Session, who: Principal, gather_id: uuid.UUID, subject_id: uuid.UUID,
             assessment_id: uuid.UUID) -> dict[str, Any] | None:
    entries = audit_repository.find_entries(session, subject_id=str(subject_id), actor_user_id=str(who.user_id),
                                            event_types=[GATHER_COMPLETED])
    for entry in entries:
        details = entry.details_data
        if details.get("gather_id") == str(gather_id) and details.get("assessment_id") == str(assessment_id):
            return details
    return None


def recorded_gather(
    session: Session, who: Principal, encryption: RecordEncryption, gather_id: uuid.UUID, *,
    subject_id: uuid.UUID, purpose: str, case_reference: str | None, assessment_id: uuid.UUID,
) -> GatherResult | None:
    """The answer of gather ``gather_id`` as its caller saw it, or None if ``who`` did not make
    that gather for this case (someone else's gather, or another case's, is not found).  The
    child is held first, as ``bundle`` does, so the items are decided after any withdrawal that
    has committed."""
    hold_subject(session, subject_id)
    summary = _summary(session, who, gather_id, subject_id, assessment_id)
    if summary is None:
        return None
    now = bundle(session, who, encryption, subject_id, purpose, case_reference, assessment_id)
    served = {r.item.id: r for r in now.served}
    not_served = {w.category: w.reason for w in now.not_served}
    sources = []
    for s in summary["sources"]:
        holder = uuid.UUID(s["holder"]) if s["holder"] else None
        result = SourceResult(
            s["source_system"], holder, s["status"], reason=s.get("reason") or (NOT_LINKED if s["status"] == "not_linked" else None),
            withheld=[Withheld(w["category"], w["reason"]) for w in s["withheld"]],
            missing_permission=list(s["missing_permission"]), reused=s["served_from_store"])
        gone: set[str] = set()
        for item in s["released"]:
            still = served.get(uuid.UUID(item["id"]))
            if still is None:
                gone.add(item["category"])
                continue
            result.released.append(Released(still.item, still.title, still.content, still.document, new=item["new"]))
        result.withheld += [Withheld(c, not_served.get(c, NO_LONGER_HELD)) for c in sorted(gone)]
        sources.append(result)
    return GatherResult(subject_id, purpose, datetime.fromisoformat(summary["at"]), sources, id=gather_id)
