"""The broker's own tables: user accounts and the notification outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, MetaData, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from consent.models import NAMING_CONVENTION, Organisation, Person, UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """A person who signs in: a family member or a member of council staff.

    ``issuer`` and ``external_subject`` tie the account to the identity provider's ``iss`` and
    ``sub`` claims (one account per pair); the broker keeps no passwords.  A disabled account
    (``disabled_at`` set) cannot sign in or use a token, and keeps everything it ever did.
    """

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "external_subject", name="uq_users_issuer_external_subject"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Organisation.id))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Person.id))
    issuer: Mapped[str | None] = mapped_column(String(300))
    external_subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None


class OutboxMessage(Base):
    """A notification waiting to be sent (GOV.UK Notify in production; shown on a page in development)."""

    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    recipient_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Person.id), index=True)
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(User.id), index=True)
    template: Mapped[str] = mapped_column(String(64))
    subject_line: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("subject_line", "template")
    def _one_line(self, name: str, value: str) -> str:
        # The subject becomes an email header when sent: a line break there would forge headers.
        if any(c in value for c in "\r\n\x85\u2028\u2029"):
            raise ValueError(f"a notification's {name} must be a single line")
        return value


class WebSession(Base):
    """A signed-in browser session.  The cookie carries the session id; this row lets signing out
    (or an administrator) end it on the server, and bounds its lifetime whatever the cookie says.

    Only a SHA-256 hash of the session id is stored, so the table alone cannot recreate a cookie.
    """

    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(User.id, ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
