"""The consent registry's tables: people, organisations and relationships (and, in time, consents).

This package owns its tables through its own ``MetaData``; ``migrations/`` combines it with the
others'.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, MetaData, String, Text,
    TypeDecorator, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


class Organisation(Base):
    """A holder or recipient of information: a council team, a school, a health provider."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], lazy="raise")


class Person(Base):
    """A child or young person (a subject), or an adult related to one."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(16))
    is_subject: Mapped[bool] = mapped_column(Boolean, default=False)
    address_confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    identifiers: Mapped[list[PersonIdentifier]] = relationship(back_populates="person", lazy="raise")


class PersonIdentifier(Base):
    """An identifier a person has in some scheme: NHS number, UPN, a source system's local id."""

    __tablename__ = "person_identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value", name="uq_person_identifiers_scheme_value"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(64))

    person: Mapped[Person] = relationship(back_populates="identifiers", lazy="raise")


class Relationship(Base):
    """How an adult (or a council) stands to a subject: parental responsibility, representation."""

    __tablename__ = "relationships"
    __table_args__ = (
        CheckConstraint(
            "(related_person_id IS NULL) <> (organisation_id IS NULL)", name="one_related_party"
        ),
        Index("ix_relationships_related_person", "related_person_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    related_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    relationship_type: Mapped[str] = mapped_column(String(32))
    parental_responsibility: Mapped[bool] = mapped_column(Boolean, default=False)
    pr_basis: Mapped[str | None] = mapped_column(String(64))
    court_restriction: Mapped[str | None] = mapped_column(Text)
    representative_kind: Mapped[str | None] = mapped_column(String(32))
    capacity_assessment_ref: Mapped[str | None] = mapped_column(String(100))
    has_care: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
