"""Items gathered from source systems, stored sealed under the subject's data key."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from broker.accounts.models import Base
from broker.assessments.models import Assessment
from consent.models import Person, UTCDateTime

TABLE = "gathered_items"


class GatheredItem(Base):
    """One record released by a source system.  Stored once per child and source record, so a
    second gather (or another team's request) never duplicates it; the content is sealed with the
    table, row id and field as associated data, and nothing of it is kept in plaintext."""

    __tablename__ = TABLE
    __table_args__ = (UniqueConstraint("subject_id", "source_system", "source_record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Person.id), index=True)
    # The case that first gathered it; none for a plain record request.
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Assessment.id, ondelete="SET NULL"), index=True)
    source_system: Mapped[str] = mapped_column(String(64))
    source_record_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[bytes] = mapped_column(LargeBinary)  # sealed: a title can name a diagnosis
    effective_date: Mapped[date | None] = mapped_column(Date)
    retrieved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    media_type: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    sensitivity: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # sealed JSON of content and document
    purpose: Mapped[str] = mapped_column(String(40))
    holder_organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    consent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    consent_version: Mapped[int | None] = mapped_column(Integer)
    # The case reference the source says the item was written for (advice sought for that
    # assessment): what the release policy reads to release it on the statutory duty.
    written_for: Mapped[str | None] = mapped_column(String(40))
    gathered_by_user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
