"""Queries on the key tables: select(), flush(), never commit()."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Row, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from broker.platform.db import mapped_table
from broker.records.encryption.models import KeyEncryptionKeyRecord, SubjectDataKey
from consent.models import utcnow

_KEY_COLUMNS = (
    SubjectDataKey.id, SubjectDataKey.subject_id, SubjectDataKey.purpose,
    SubjectDataKey.wrapped_key, SubjectDataKey.kek_id, SubjectDataKey.destroyed_at,
)


# Built once, in Core, on the session's own connection: these run on every seal and open.
_KEY_TABLE = mapped_table(SubjectDataKey)
_KEYS = _KEY_TABLE.c
_LIVE_KEY = select(_KEYS.id, _KEYS.subject_id, _KEYS.purpose, _KEYS.wrapped_key, _KEYS.kek_id, _KEYS.destroyed_at).where(
    _KEYS.subject_id == bindparam("subject_id"), _KEYS.purpose == bindparam("purpose"), _KEYS.destroyed_at.is_(None),
)
_KEY_BY_ID = select(_KEYS.id, _KEYS.subject_id, _KEYS.purpose, _KEYS.wrapped_key, _KEYS.kek_id, _KEYS.destroyed_at).where(
    _KEYS.id == bindparam("key_id"),
)


# Sealing holds the live key in share mode until the transaction ends, so an erasure that re-keys
# the subject (``lock_live_keys``) waits for items being sealed under it and then sees them.
_LIVE_KEY_SHARED = _LIVE_KEY.with_for_update(read=True)


def live_data_key(session: Session, subject_id: uuid.UUID, purpose: str) -> Row | None:
    """The subject's live data key row (always read from the database, never the identity map)."""
    return session.connection().execute(_LIVE_KEY_SHARED, {"subject_id": subject_id, "purpose": purpose}).one_or_none()


def lock_live_keys(session: Session, subject_id: uuid.UUID) -> None:
    """Lock the subject's live data keys for a re-key: waits for transactions sealing under them."""
    session.execute(select(SubjectDataKey.id).where(
        SubjectDataKey.subject_id == subject_id, SubjectDataKey.destroyed_at.is_(None)).with_for_update())


def data_key_by_id(session: Session, key_id: uuid.UUID) -> Row | None:
    return session.connection().execute(_KEY_BY_ID, {"key_id": key_id}).one_or_none()


def _insert(session: Session, table: Table) -> PostgresqlInsert | SqliteInsert:
    return (postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


def insert_data_key_if_none_live(session: Session, values: dict[str, object]) -> None:
    """Insert a data key unless the subject already has a live one for the purpose (made concurrently)."""
    statement = _insert(session, _KEY_TABLE).values(**values).on_conflict_do_nothing(
        index_elements=["subject_id", "purpose"], index_where=_KEYS.destroyed_at.is_(None),
    )
    session.connection().execute(statement)


def kek_record(session: Session, kek_id: str) -> KeyEncryptionKeyRecord | None:
    return session.execute(
        select(KeyEncryptionKeyRecord).where(KeyEncryptionKeyRecord.id == kek_id)
    ).scalar_one_or_none()


def kek_records(session: Session) -> Sequence[KeyEncryptionKeyRecord]:
    return session.execute(select(KeyEncryptionKeyRecord).order_by(KeyEncryptionKeyRecord.first_used_at)).scalars().all()


def insert_kek_record_if_missing(session: Session, kek_id: str, fingerprint: str) -> None:
    statement = _insert(session, mapped_table(KeyEncryptionKeyRecord)).values(
        id=kek_id, fingerprint=fingerprint, first_used_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["id"])
    session.connection().execute(statement)


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


_REPLACE_WRAPPING = (
    update(_KEY_TABLE)
    .where(
        _KEYS.id == bindparam("key_id"),
        _KEYS.kek_id == bindparam("old_kek_id"),
        _KEYS.destroyed_at.is_(None),
    )
    .values(wrapped_key=bindparam("new_wrapped_key"), kek_id=bindparam("new_kek_id"), rewrapped_at=bindparam("now"))
)


def replace_wrappings(session: Session, rewraps: Sequence[dict[str, object]]) -> int:
    """Store re-wrapped keys (``key_id``, ``old_kek_id``, ``new_wrapped_key``, ``new_kek_id``, ``now``),
    each only if it is still live and under the KEK it was read under (not destroyed or re-wrapped
    meanwhile); returns how many were stored."""
    if not rewraps:
        return 0
    return session.connection().execute(_REPLACE_WRAPPING, list(rewraps)).rowcount


def live_key_counts_by_kek(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(SubjectDataKey.kek_id, func.count())
        .where(SubjectDataKey.destroyed_at.is_(None))
        .group_by(SubjectDataKey.kek_id)
    ).all()
    return {kek_id: count for kek_id, count in rows if kek_id is not None}  # a live key always has a KEK


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
