"""Queries on the key tables: select(), flush(), never commit()."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from broker.encryption.models import KeyEncryptionKeyRecord, SubjectDataKey

_KEY_COLUMNS = (
    SubjectDataKey.id, SubjectDataKey.subject_id, SubjectDataKey.purpose,
    SubjectDataKey.wrapped_key, SubjectDataKey.kek_id, SubjectDataKey.destroyed_at,
)


def live_data_key(session: Session, subject_id: uuid.UUID, purpose: str) -> Row | None:
    """The subject's live data key row (always read from the database, never the identity map)."""
    return session.execute(
        select(*_KEY_COLUMNS).where(
            SubjectDataKey.subject_id == subject_id,
            SubjectDataKey.purpose == purpose,
            SubjectDataKey.destroyed_at.is_(None),
        )
    ).one_or_none()


def data_key_by_id(session: Session, key_id: uuid.UUID) -> Row | None:
    return session.execute(select(*_KEY_COLUMNS).where(SubjectDataKey.id == key_id)).one_or_none()


def add_data_key(session: Session, key: SubjectDataKey) -> None:
    session.add(key)
    session.flush()


def kek_record(session: Session, kek_id: str) -> KeyEncryptionKeyRecord | None:
    return session.execute(
        select(KeyEncryptionKeyRecord).where(KeyEncryptionKeyRecord.id == kek_id)
    ).scalar_one_or_none()


def kek_records(session: Session) -> Sequence[KeyEncryptionKeyRecord]:
    return session.execute(select(KeyEncryptionKeyRecord).order_by(KeyEncryptionKeyRecord.first_used_at)).scalars().all()


def add_kek_record(session: Session, record: KeyEncryptionKeyRecord) -> None:
    session.add(record)
    session.flush()


def keys_to_rewrap(
    session: Session, target_kek_id: str, from_kek_ids: Collection[str], limit: int
) -> Sequence[Row]:
    """Up to ``limit`` live data keys wrapped under one of ``from_kek_ids`` (not the target).

    On PostgreSQL the rows are locked and rows another rotation holds are skipped, so two
    rotations can run at once without blocking each other.
    """
    statement = (
        select(*_KEY_COLUMNS)
        .where(
            SubjectDataKey.destroyed_at.is_(None),
            SubjectDataKey.kek_id != target_kek_id,
            SubjectDataKey.kek_id.in_(list(from_kek_ids)),
        )
        .order_by(SubjectDataKey.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return session.execute(statement).all()


def replace_wrapping(
    session: Session, key_id: uuid.UUID, old_kek_id: str, wrapped_key: bytes, kek_id: str, now: datetime
) -> bool:
    """Store a re-wrapped key, unless it changed meanwhile (destroyed, or re-wrapped by another run)."""
    result = session.execute(
        update(SubjectDataKey)
        .where(
            SubjectDataKey.id == key_id,
            SubjectDataKey.kek_id == old_kek_id,
            SubjectDataKey.destroyed_at.is_(None),
        )
        .values(wrapped_key=wrapped_key, kek_id=kek_id, rewrapped_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def live_key_counts_by_kek(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(SubjectDataKey.kek_id, func.count())
        .where(SubjectDataKey.destroyed_at.is_(None))
        .group_by(SubjectDataKey.kek_id)
    ).all()
    return {kek_id: count for kek_id, count in rows}


def destroyed_key_count(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(SubjectDataKey).where(SubjectDataKey.destroyed_at.is_not(None))
    ).scalar_one()


def destroy_live_keys(session: Session, subject_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Destroy every live data key of the subject; returns their ids."""
    ids = list(session.execute(
        select(SubjectDataKey.id).where(
            SubjectDataKey.subject_id == subject_id, SubjectDataKey.destroyed_at.is_(None)
        ).with_for_update()
    ).scalars())
    if ids:
        session.execute(
            update(SubjectDataKey)
            .where(SubjectDataKey.id.in_(ids), SubjectDataKey.destroyed_at.is_(None))
            .values(wrapped_key=None, kek_id=None, destroyed_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids
