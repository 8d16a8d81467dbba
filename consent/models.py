"""The consent registry's tables: people, organisations, relationships, consents and consent requests.

This package owns its tables through its own ``MetaData``; ``migrations/`` combines it with the
others'.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
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
    # A school's Unique Reference Number: the education system names a pupil's school by it.
    urn: Mapped[str | None] = mapped_column(String(16), unique=True)
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


class Consent(Base):
    """A permission a family gave, as one identity: its content lives in its versions.

    Nothing here is overwritten: a change adds a :class:`ConsentVersion`, a withdrawal or expiry
    adds a :class:`ConsentStatusEvent`.
    """

    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentVersion(Base):
    """One version of a consent: who gave it, on what basis and standing, how, for how long."""

    __tablename__ = "consent_versions"
    __table_args__ = (
        UniqueConstraint("consent_id", "version", name="uq_consent_versions_consent_id_version"),
        CheckConstraint(
            "(grantor_person_id IS NULL) <> (grantor_organisation_id IS NULL)", name="one_grantor"
        ),
        CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="period_ends_after_start"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id"))
    version: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(32))
    grantor_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    grantor_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    standing: Mapped[str] = mapped_column(String(32))
    standing_evidence_ref: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    witness_name: Mapped[str | None] = mapped_column(String(200))
    interpreter_language: Mapped[str | None] = mapped_column(String(100))
    notice_version: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    childs_views: Mapped[str | None] = mapped_column(Text)
    change_note: Mapped[str | None] = mapped_column(Text)
    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentScope(Base):
    """One scope row of a version: data category x recipient x purpose x holder, or one document.

    ``subject_id`` repeats the consent's subject so that a decision is one indexed look-up.
    """

    __tablename__ = "consent_scopes"
    __table_args__ = (
        Index(
            "ix_consent_scopes_decision", "subject_id", "purpose", "recipient_organisation_id",
            "holder_organisation_id", "data_category",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    consent_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent_versions.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    data_category: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))
    recipient_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    holder_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    document_ref: Mapped[str | None] = mapped_column(String(200))


class ConsentStatusEvent(Base):
    """A version's status history, append-only: active, then withdrawn, expired or superseded.

    A version takes each status at most once (the unique constraint makes two racing withdrawals
    of the same version fail instead of both succeeding).
    """

    __tablename__ = "consent_status_events"
    __table_args__ = (
        UniqueConstraint("consent_version_id", "status", name="uq_consent_status_events_version_status"),
        Index("ix_consent_status_events_version_effective", "consent_version_id", "effective_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id"), index=True)
    consent_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent_versions.id"))
    status: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)


class ConsentRequest(Base):
    """A caseworker's request for permission, in plain English, for the people who may decide."""

    __tablename__ = "consent_requests"
    __table_args__ = (
        UniqueConstraint("replaces_consent_id", "purpose", name="uq_consent_requests_replaces_consent_id_purpose"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(String(32))
    categories: Mapped[list[str]] = mapped_column(JSON)
    holder_organisation_ids: Mapped[list[str]] = mapped_column(JSON)
    recipient_organisation_ids: Mapped[list[str]] = mapped_column(JSON)
    why: Mapped[str] = mapped_column(Text)
    valid_for_days: Mapped[int] = mapped_column(Integer)
    if_declined: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    requested_by_name: Mapped[str] = mapped_column(String(200))
    requested_by_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    # Set on the requests the broker raises itself at the end of compulsory school age: one per
    # parental consent and purpose, which makes the transition safe to run twice.
    replaces_consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRequestDecider(Base):
    """A person (or council with parental responsibility) who may answer a request, told separately."""

    __tablename__ = "consent_request_deciders"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (organisation_id IS NULL)", name="one_decider"),
        UniqueConstraint("request_id", "person_id", name="uq_consent_request_deciders_request_person"),
        UniqueConstraint("request_id", "organisation_id", name="uq_consent_request_deciders_request_org"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent_requests.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    standing: Mapped[str] = mapped_column(String(32))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsentRequestAnswer(Base):
    """One decider's answer: approve all, approve part (narrower), or decline. One per decider."""

    __tablename__ = "consent_request_answers"
    __table_args__ = (UniqueConstraint("decider_id", name="uq_consent_request_answers_decider_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent_requests.id"), index=True)
    decider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent_request_deciders.id"))
    answer: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[str] | None] = mapped_column(JSON)
    holder_organisation_ids: Mapped[list[str] | None] = mapped_column(JSON)
    valid_for_days: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
