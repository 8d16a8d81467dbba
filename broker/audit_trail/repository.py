"""Queries the audit trail's services need beyond the audit log itself: the ids the log holds for
what an auditor types (a username, an organisation code)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.accounts.models import User
from consent.models import Organisation


def user_id_by_username(session: Session, username: str) -> uuid.UUID | None:
    return session.execute(select(User.id).where(User.username == username)).scalar_one_or_none()


def organisation_id_by_code(session: Session, code: str) -> uuid.UUID | None:
    return session.execute(select(Organisation.id).where(Organisation.code == code.upper())).scalar_one_or_none()
