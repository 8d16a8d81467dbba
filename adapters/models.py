"""The adapters' tables: identity links (with their history) and the EP paper document store.

This package owns them through its own ``MetaData``.  ``person_id`` columns hold the broker's
person id without a foreign key: the people table belongs to another package.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from adapters.protocol import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database."""

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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LinkStatus:
    linked = "linked"
    pending_review = "pending_review"
    rejected = "rejected"
    unlinked = "unlinked"

    all = (linked, pending_review, rejected, unlinked)


class IdentityLink(Base):
    """The claim that a source system's local person is the broker's subject.

    Only a ``linked`` link lets anything be fetched; ``pending_review`` waits for a caseworker.
    """

    __tablename__ = "identity_links"
    __table_args__ = (
        UniqueConstraint("person_id", "source_system", "source_person_ref", name="person_source_ref"),
        Index("ix_identity_links_status_created", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    source_system: Mapped[str] = mapped_column(String(64))
    source_person_ref: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    candidate: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who holds this record, in the source's own code (the education system: the school's URN),
    # as the source last said; None when the source does not name one.
    held_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    changes: Mapped[list[IdentityLinkChange]] = relationship(
        back_populates="link", lazy="raise", order_by="IdentityLinkChange.sequence")


class IdentityLinkChange(Base):
    """One change of a link's status, by whom and why: the history that makes undo possible."""

    __tablename__ = "identity_link_changes"
    __table_args__ = (UniqueConstraint("link_id", "sequence", name="link_sequence"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_links.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    link: Mapped[IdentityLink] = relationship(back_populates="changes", lazy="raise")


class EpPaperDocument(Base):
    """A paper EP report, scanned and uploaded by EP staff, with its provenance."""

    __tablename__ = "ep_paper_documents"
    __table_args__ = (UniqueConstraint("person_id", "content_hash", name="person_content"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    document_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(200))
    document_date: Mapped[date] = mapped_column(Date)
    paper_file_reference: Mapped[str | None] = mapped_column(String(100))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
