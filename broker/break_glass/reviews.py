"""What information governance sees of break-glass accesses: each with the child's name and the
names of who opened and who reviewed it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from broker.accounts.models import User
from broker.break_glass import repository
from broker.break_glass.models import BreakGlassAccess
from broker.break_glass.schemas import BreakGlassRead
from broker.break_glass.service import describe, list_reviews
from broker.platform.errors import NotFound
from consent.models import Person

RECENT_REVIEWS = 20


@dataclass
class AccessUnderReview:
    access: BreakGlassRead
    child: str
    opened_by: str
    reviewed_by: str | None


def _name_of_person(session: Session, person_id: uuid.UUID) -> str:
    person = session.get(Person, person_id)
    return f"{person.given_name} {person.family_name}" if person else "Unknown"


def _name_of_user(session: Session, user_id: uuid.UUID | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "Unknown"


def under_review(session: Session, access: BreakGlassAccess, now: datetime, today: date) -> AccessUnderReview:
    """One access as the reviewer reads it."""
    return AccessUnderReview(
        access=describe(access, now, today), child=_name_of_person(session, access.subject_id),
        opened_by=_name_of_user(session, access.opened_by_user_id),
        reviewed_by=_name_of_user(session, access.reviewed_by_user_id) if access.reviewed_by_user_id else None,
    )


def review_queue(session: Session, now: datetime, today: date) -> tuple[list[AccessUnderReview], list[AccessUnderReview]]:
    """Accesses waiting for review (overdue and earliest due first), and the most recent reviews."""
    pending = [under_review(session, a, now, today) for a in list_reviews(session, False)]
    reviewed = [under_review(session, a, now, today) for a in list_reviews(session, True)]
    reviewed.sort(key=lambda v: v.access.reviewed_at or now, reverse=True)
    return pending, reviewed[:RECENT_REVIEWS]


def access_to_review(session: Session, access_id: uuid.UUID) -> BreakGlassAccess:
    """The access with this id (NotFound when there is none)."""
    access = repository.get(session, access_id)
    if access is None:
        raise NotFound("No break-glass access with this id.")
    return access
