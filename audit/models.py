"""The audit log's tables. This package owns them through its own ``MetaData``.

``audit_entries`` is the log itself: one row per event, numbered 0, 1, 2, ... with no gaps,
never updated or deleted (the database refuses it; see migration 0003).  ``audit_sequence``
hands out those numbers: its single row is locked by every append until the transaction ends,
so numbers are given in commit order and a rolled-back append gives its number back.
``audit_tree_state`` and ``audit_tree_nodes`` hold the RFC 9162 Merkle tree over the entries'
leaf hashes as complete-subtree hashes, so any proof costs O(log n) reads.  ``audit_checkpoints``
keeps every signed checkpoint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AuditEntry(Base):
    """One recorded event.  ``leaf_hash`` is SHA-256(0x00 || ``audit.canonical.entry_bytes``)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint("seq >= 0", name="seq_not_negative"),
        Index("ix_audit_entries_subject_id_seq", "subject_id", "seq"),
        Index("ix_audit_entries_actor_user_id_seq", "actor_user_id", "seq"),
        Index("ix_audit_entries_actor_organisation_id_seq", "actor_organisation_id", "seq"),
        Index("ix_audit_entries_event_type_seq", "event_type", "seq"),
        Index("ix_audit_entries_recorded_at", "recorded_at"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_type: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[str | None] = mapped_column(String(64))
    actor_username: Mapped[str | None] = mapped_column(String(120))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    actor_organisation_id: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(80))
    case_reference: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(80))
    # The canonical JSON text of AuditEvent.details, stored as text so it hashes back exactly.
    details: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    @property
    def details_data(self) -> dict[str, Any]:
        """``details`` parsed."""
        return json.loads(self.details)


class AuditSequence(Base):
    """The single row (id 1) whose ``next_seq`` is the number the next entry gets."""

    __tablename__ = "audit_sequence"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_seq: Mapped[int] = mapped_column(BigInteger)


class AuditTreeState(Base):
    """The single row (id 1): how many entries the stored tree covers, and its right-hand peaks.

    ``peaks`` is the concatenation of the 32-byte hashes of the complete subtrees that make up a
    tree of ``size`` leaves, largest first (one per set bit of ``size``).
    """

    __tablename__ = "audit_tree_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    peaks: Mapped[bytes] = mapped_column(LargeBinary)


class AuditTreeNode(Base):
    """The hash of the complete subtree of 2**level leaves starting at leaf ``index * 2**level``.

    Level 0 (the leaves) is not repeated here: it is ``audit_entries.leaf_hash``.
    """

    __tablename__ = "audit_tree_nodes"
    __table_args__ = (CheckConstraint("level >= 1", name="level_above_leaves"),)

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed checkpoint: the C2SP signed note committing to the tree of ``tree_size`` entries."""

    __tablename__ = "audit_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    origin: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
