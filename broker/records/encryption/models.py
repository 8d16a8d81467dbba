"""The broker's key tables: one data key per subject, and the KEKs that have wrapped them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from broker.accounts.models import Base
from consent.models import Person, UTCDateTime, utcnow


class SubjectDataKey(Base):
    """A subject's (child's) data key, stored only wrapped under a key-encryption key.

    Every stored item about the subject is sealed with it.  Destroying it (``destroyed_at`` set,
    ``wrapped_key`` and ``kek_id`` cleared) makes all those items unreadable at once, backups
    included once they age out: this is how the broker erases.  The row stays as a tombstone so a
    read says "erased" rather than "broken".  At most one live key per subject and purpose.
    """

    __tablename__ = "subject_data_keys"
    __table_args__ = (
        Index(
            "uq_subject_data_keys_live", "subject_id", "purpose", unique=True,
            sqlite_where=text("destroyed_at IS NULL"), postgresql_where=text("destroyed_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Person.id), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    kek_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KeyEncryptionKeyRecord(Base):
    """A KEK the database has seen: its fingerprint (never the key) and when it was retired."""

    __tablename__ = "key_encryption_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(16))
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
