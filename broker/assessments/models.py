"""EHC needs assessment cases, their advice requests, reg 6(4) reuse agreements and clock exceptions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from broker.accounts.models import Base, User
from consent.models import Organisation, Person, UTCDateTime, utcnow


class CaseReferenceCounter(Base):
    """The last case number given out in a year (``EHC-2026-000123``); one row per year."""

    __tablename__ = "case_reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Assessment(Base):
    """An EHC needs assessment of one child, run by one organisation (the SEN team).

    ``received_on`` is day 0 of the statutory clocks. The steps that stop the clocks are recorded
    as dates: the decision whether to assess, the notice that no plan will be issued, the final plan.
    """

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
        # One open case per child and purpose: a second would run a second set of statutory clocks.
        Index("uq_assessments_open_case", "subject_id", "purpose", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Person.id), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Organisation.id), index=True)
    opened_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(User.id))
    # The caseworker responsible for the case now: the opener unless handed over (see service.hand_over).
    case_officer_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(User.id), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    decision_on: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(16))
    no_plan_notice_on: Mapped[date | None] = mapped_column(Date)
    # The draft plan sent to the family: they have at least 15 days to comment (reg 13(1)).
    draft_plan_on: Mapped[date | None] = mapped_column(Date)
    final_plan_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdviceRequest(Base):
    """Advice sought under reg 6(1) from one organisation (or from the family, for their views).

    ``status`` is what was recorded (requested, received, reused, declined); "overdue" is derived
    from the dates and never stored.
    """

    __tablename__ = "advice_requests"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'received', 'reused', 'declined')", name="status_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Assessment.id, ondelete="CASCADE"), index=True)
    advice_type: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Organisation.id))
    requested_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    received_on: Mapped[date | None] = mapped_column(Date)
    declined_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(User.id))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReuseAgreement(Base):
    """The reg 6(4) agreement that existing advice is sufficient: the family, the author of the
    advice and the council each agreed, and who and when is kept for each."""

    __tablename__ = "reuse_agreements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    advice_request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(AdviceRequest.id, ondelete="CASCADE"), unique=True
    )
    existing_advice: Mapped[str] = mapped_column(Text)
    family_agreed_by_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Person.id))
    family_agreed_on: Mapped[date] = mapped_column(Date)
    author_name: Mapped[str] = mapped_column(String(200))
    author_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Organisation.id))
    author_agreed_on: Mapped[date] = mapped_column(Date)
    council_agreed_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(User.id))
    council_agreed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClockException(Base):
    """A recorded exception to one clock of a case (a pause or an excuse), with its regulation code."""

    __tablename__ = "clock_exceptions"
    __table_args__ = (
        CheckConstraint("effect IN ('pause', 'excuse')", name="effect_known"),
        CheckConstraint("(clock = 'advice') = (advice_request_id IS NOT NULL)", name="advice_clock_names_request"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Assessment.id, ondelete="CASCADE"), index=True)
    clock: Mapped[str] = mapped_column(String(32))
    advice_request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(AdviceRequest.id, ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    effect: Mapped[str] = mapped_column(String(8))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    recorded_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(User.id))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
