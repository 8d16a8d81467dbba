"""Break-glass: a safeguarding lead reads a child's information without permission, for a stated
reason, for a limited time; every access is reviewed by information governance.

Tier 3 categories (docs/law.md, "Data categories") stay outside the broker even under break-glass: the
gathering code must never fetch ``EXCLUDED_CATEGORIES``, whatever access the caller holds.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from audit import repository as audit_repository
from broker.assessments import repository as assessments_repository
from broker.audit_trail import auditing, catalogue
from broker.audit_trail.catalogue import EventType
from broker.auth import Principal
from broker.break_glass import repository
from broker.break_glass.models import BreakGlassAccess
from broker.break_glass.schemas import BreakGlassCreate, BreakGlassRead, BreakGlassReviewCreate, ReviewOutcome
from broker.platform.clock import council_date
from broker.platform.errors import Conflict, InvalidInput, NotFound
from broker.platform.settings import Settings
from consent.models import utcnow
from consent.vocabulary import DATA_CATEGORIES

BREAK_GLASS_EVENTS = frozenset({EventType.BREAK_GLASS_OPENED, EventType.BREAK_GLASS_CASE_READ,
                                EventType.BREAK_GLASS_REVIEWED})

EXCLUDED_CATEGORIES: tuple[str, ...] = tuple(code for code, c in DATA_CATEGORIES.items() if c.tier >= 3)


def open_access(
    session: Session, principal: Principal, data: BreakGlassCreate, settings: Settings, now: datetime | None = None
) -> BreakGlassAccess:
    """Open a time-limited access to a child, due for IG review within the configured days."""
    now = now or utcnow()
    if assessments_repository.get_subject(session, data.subject_id) is None:
        raise NotFound("No child or young person with this id.")
    existing = repository.active_access(session, principal.user_id, data.subject_id, now)
    if existing is not None:
        raise Conflict(
            "You already have break-glass access to this child until "
            f"{existing.expires_at:%d %B %Y %H:%M} UTC.", extra={"break_glass_id": str(existing.id)},
        )
    access = BreakGlassAccess(
        subject_id=data.subject_id, opened_by_user_id=principal.user_id, organisation_id=principal.organisation_id,
        reason_code=data.reason_code.value, reason_text=data.reason_text, opened_at=now,
        expires_at=now + timedelta(hours=settings.break_glass_hours),
        review_due_on=council_date(now) + timedelta(days=settings.break_glass_review_days),
    )
    session.add(access)
    session.flush()
    auditing.record(session, catalogue.break_glass_opened(
        principal, subject_id=access.subject_id, reason=f"{access.reason_code}: {access.reason_text}",
        break_glass_id=access.id, expires_at=access.expires_at.isoformat(),
        review_due_on=access.review_due_on.isoformat(), excluded_categories=list(EXCLUDED_CATEGORIES)))
    return access


def list_reviews(session: Session, reviewed: bool | None) -> list[BreakGlassAccess]:
    """Break-glass accesses for IG, the ones waiting for review first by due date."""
    return repository.list_for_review(session, reviewed=reviewed)


def review_access(
    session: Session, principal: Principal, access_id: uuid.UUID, data: BreakGlassReviewCreate,
    now: datetime | None = None,
) -> BreakGlassAccess:
    """Record IG's outcome, and whether the family may see the access in their history."""
    now = now or utcnow()
    access = repository.get(session, access_id, for_update=True)
    if access is None:
        raise NotFound("No break-glass access with this id.")
    if access.reviewed_at is not None:
        raise Conflict("This break-glass access has already been reviewed.")
    if data.outcome is not ReviewOutcome.appropriate and not data.notes:
        raise InvalidInput("Say why the access was not appropriate or was referred (notes).")
    if data.family_may_be_told and data.withheld_from_family_reason:
        raise InvalidInput("A reason for withholding is given only when the family may not be told.")
    if not data.family_may_be_told and not data.withheld_from_family_reason:
        raise InvalidInput(
            "The family is told unless telling them would put the child at risk: record why (withheld_from_family_reason)."
        )
    access.reviewed_by_user_id, access.reviewed_at = principal.user_id, now
    access.review_outcome, access.review_notes = data.outcome.value, data.notes
    access.family_may_be_told = data.family_may_be_told
    access.withheld_from_family_reason = data.withheld_from_family_reason
    access.released_to_family_at = now if data.family_may_be_told else None
    session.flush()
    auditing.record(session, catalogue.break_glass_reviewed(
        principal, subject_id=access.subject_id, break_glass_id=access.id, outcome=access.review_outcome,
        released_to_family=data.family_may_be_told))
    if data.family_may_be_told:
        _release_to_family(session, principal, access)
    return access


def _release_to_family(session: Session, principal: Principal, access: BreakGlassAccess) -> None:
    """Release every audit entry of this access (opening, reads, review) to the family's access
    history: the family sees a safeguarding entry only once an ``audit.released`` entry names it."""
    entries = audit_repository.find_entries(
        session, subject_id=str(access.subject_id), event_types=sorted(BREAK_GLASS_EVENTS),
    )
    for entry in entries:
        if entry.details_data.get("break_glass_id") == str(access.id):
            auditing.record(session, catalogue.audit_released(
                principal, subject_id=str(access.subject_id), released_seq=entry.seq, break_glass_id=access.id))


def describe(access: BreakGlassAccess, now: datetime, today: date) -> BreakGlassRead:
    return BreakGlassRead(
        id=access.id, subject_id=access.subject_id, opened_by_user_id=access.opened_by_user_id,
        organisation_id=access.organisation_id, reason_code=access.reason_code, reason_text=access.reason_text,
        opened_at=access.opened_at, expires_at=access.expires_at, active=access.expires_at > now,
        review_due_on=access.review_due_on, review_overdue=access.reviewed_at is None and today > access.review_due_on,
        reviewed_by_user_id=access.reviewed_by_user_id, reviewed_at=access.reviewed_at,
        review_outcome=access.review_outcome, review_notes=access.review_notes,
        family_may_be_told=access.family_may_be_told, withheld_from_family_reason=access.withheld_from_family_reason,
        released_to_family_at=access.released_to_family_at, excluded_categories=list(EXCLUDED_CATEGORIES),
    )
