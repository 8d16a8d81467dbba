"""Queries for accounts: select and flush, never commit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broker.accounts.models import User, WebSession
from consent.models import Organisation, Person


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def user_by_binding(session: Session, issuer: str, subject: str) -> User | None:
    return session.scalars(
        select(User).where(User.issuer == issuer, User.external_subject == subject)
    ).one_or_none()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.code == code)).one_or_none()


def person_by_id(session: Session, person_id: uuid.UUID) -> Person | None:
    return session.get(Person, person_id)


def add_user(session: Session, user: User) -> None:
    session.add(user)
    session.flush()


def end_web_sessions(session: Session, user_id: uuid.UUID, now: datetime) -> int:
    """End every live web session of ``user_id``; return how many were ended."""
    result = session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None)).values(ended_at=now)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
