"""Break-glass access: a safeguarding lead's time-limited access to a child, always reviewed by IG."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from broker.accounts.models import Base, User
from consent.models import Organisation, Person, UTCDateTime, utcnow


class BreakGlassAccess(Base):
    """One break-glass access and, once IG has looked at it, the review outcome.

    The family learns of it (in their access history) from ``released_to_family_at``; a reviewer
    who records that telling them would put the child at risk leaves it unset and says why in
    ``withheld_from_family_reason``.
    """

    __tablename__ = "break_glass_accesses"
    __table_args__ = (
        CheckConstraint(
            "review_outcome IS NULL OR review_outcome IN ('appropriate', 'not_appropriate', 'referred')",
            name="outcome_known",
        ),
        CheckConstraint("expires_at > opened_at", name="expires_after_opening"),
        Index("ix_break_glass_accesses_subject_user", "subject_id", "opened_by_user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Person.id))
    opened_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(User.id))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Organisation.id))
    reason_code: Mapped[str] = mapped_column(String(40))
    reason_text: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_due_on: Mapped[date] = mapped_column(Date, index=True)
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(User.id))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_outcome: Mapped[str | None] = mapped_column(String(20))
    review_notes: Mapped[str | None] = mapped_column(Text)
    family_may_be_told: Mapped[bool | None] = mapped_column(Boolean)
    withheld_from_family_reason: Mapped[str | None] = mapped_column(Text)
    released_to_family_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
