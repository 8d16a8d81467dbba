"""Queries for break-glass accesses: select() and flush() only, never commit()."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.break_glass.models import BreakGlassAccess


def active_access(
    session: Session, user_id: uuid.UUID, subject_id: uuid.UUID, now: datetime
) -> BreakGlassAccess | None:
    return session.scalars(
        select(BreakGlassAccess).where(
            BreakGlassAccess.opened_by_user_id == user_id,
            BreakGlassAccess.subject_id == subject_id,
            BreakGlassAccess.expires_at > now,
        ).order_by(BreakGlassAccess.expires_at.desc()).limit(1)
    ).first()


def subjects_with_active_access(session: Session, user_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    return list(session.scalars(
        select(BreakGlassAccess.subject_id).where(
            BreakGlassAccess.opened_by_user_id == user_id, BreakGlassAccess.expires_at > now
        ).distinct()
    ))


def get(session: Session, access_id: uuid.UUID, *, for_update: bool = False) -> BreakGlassAccess | None:
    statement = select(BreakGlassAccess).where(BreakGlassAccess.id == access_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def list_for_review(session: Session, *, reviewed: bool | None) -> list[BreakGlassAccess]:
    """Accesses for IG: unreviewed first by due date, or reviewed, or all (``reviewed=None``)."""
    statement = select(BreakGlassAccess)
    if reviewed is True:
        statement = statement.where(BreakGlassAccess.reviewed_at.is_not(None))
    elif reviewed is False:
        statement = statement.where(BreakGlassAccess.reviewed_at.is_(None))
    return list(session.scalars(statement.order_by(BreakGlassAccess.review_due_on, BreakGlassAccess.opened_at)))
