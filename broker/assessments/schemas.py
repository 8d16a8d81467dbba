"""Pydantic shapes of the assessments API: ...Create for input, ...Read for output."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from broker.assessments.clocks import ClockKind, ClockStatus, ExceptionEffect
from broker.permissions.purposes import Purpose

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]

_SUBJECT = "9b1d7a38-3c0e-5a53-b7f9-0f7a0c7e9a11"
_ORG = "3f8a1c52-6f54-5b65-9d9f-2a4e6b8c0d12"
_CASEWORKER = "5d2e9b71-8a4c-5f13-a6d0-7c1b3e5f9a24"
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class AdviceType(StrEnum):
    """The kinds of advice the council seeks under reg 6(1)."""

    family_views = "family_views"
    education = "education"
    health = "health"
    psychological = "psychological"
    social_care = "social_care"
    preparing_for_adulthood = "preparing_for_adulthood"
    other = "other"


class AdviceStatus(StrEnum):
    requested = "requested"
    received = "received"
    overdue = "overdue"
    reused = "reused"
    declined = "declined"


class Step(StrEnum):
    decision_to_assess = "decision_to_assess"
    notice_of_no_plan = "notice_of_no_plan"
    draft_plan = "draft_plan"
    final_plan = "final_plan"


class Decision(StrEnum):
    assess = "assess"
    not_assess = "not_assess"


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"subject_id": _SUBJECT, "received_on": "2026-10-05", "purpose": "EHC_NEEDS_ASSESSMENT"},
            {"subject_id": _SUBJECT, "received_on": "2026-10-05", "case_officer_user_id": _CASEWORKER},
        ]},
    )

    subject_id: uuid.UUID = Field(description="The child or young person to be assessed.")
    received_on: date = Field(description="The day the council received the request: day 0 of every clock.")
    purpose: Purpose = Field(default=Purpose.EHC_NEEDS_ASSESSMENT, description="Why the case is opened.")
    case_officer_user_id: uuid.UUID | None = Field(
        default=None, description="The caseworker of your organisation responsible for the case; defaults to you.")


class CaseOfficerChange(BaseModel):
    """Hand a case over to another caseworker of the organisation that runs it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"user_id": _CASEWORKER, "reason": "Sam is on leave until March; Nadia takes the case on."},
        ]},
    )

    user_id: uuid.UUID = Field(description="The caseworker who becomes the case officer.")
    reason: Reason = Field(description="Why the case is handed over (at most 500 characters); kept in the audit log.")


class ClockRead(BaseModel):
    kind: ClockKind
    label: str
    regulation: str
    advice_request_id: uuid.UUID | None = None
    started_on: date
    statutory_due_on: date = Field(description="The due date before any pause.")
    due_on: date = Field(description="The due date after recorded pauses.")
    status: ClockStatus
    completed_on: date | None = None
    days_remaining: int | None = None
    days_overdue: int | None = None
    exception_codes: list[str] = Field(description="Codes of the exceptions recorded against this clock.")


class ClockExceptionRead(BaseModel):
    id: uuid.UUID
    clock: ClockKind
    advice_request_id: uuid.UUID | None
    code: str
    regulation: str
    description: str
    effect: ExceptionEffect
    starts_on: date
    ends_on: date | None
    note: str
    recorded_by_user_id: uuid.UUID
    recorded_at: datetime


class ReuseAgreementCreate(BaseModel):
    """Reg 6(4): the family, the author of the advice and the council all agree it is sufficient."""

    model_config = ConfigDict(extra="forbid")

    existing_advice: Note = Field(description="Which advice is reused: title, author, date, where it is held.")
    family_agreed_by_person_id: uuid.UUID = Field(description="The parent or young person who agreed.")
    family_agreed_on: date
    author_name: ShortText
    author_organisation_id: uuid.UUID | None = None
    author_agreed_on: date
    council_agreed_on: date | None = Field(default=None, description="Defaults to today; the caller agrees for the council.")


class ReuseAgreementRead(BaseModel):
    existing_advice: str
    family_agreed_by_person_id: uuid.UUID
    family_agreed_on: date
    author_name: str
    author_organisation_id: uuid.UUID | None
    author_agreed_on: date
    council_agreed_by_user_id: uuid.UUID
    council_agreed_on: date
    recorded_at: datetime


class AdviceRequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"advice_type": "psychological", "organisation_id": _ORG, "requested_on": "2026-10-12"},
            {"advice_type": "family_views", "note": "Sent the 'all about me' form to both parents."},
        ]},
    )

    advice_type: AdviceType
    organisation_id: uuid.UUID | None = Field(
        default=None, description="Who is asked; leave empty for the family's own views."
    )
    requested_on: date | None = Field(default=None, description="Defaults to today.")
    note: Note | None = None


class AdviceRequestUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"status": "received", "received_on": "2026-11-16"},
            {"status": "declined", "declined_reason": "The school says it has not taught the child."},
        ]},
    )

    status: Literal["received", "reused", "declined"]
    received_on: date | None = Field(default=None, description="For received: defaults to today.")
    declined_reason: Note | None = None
    reuse_agreement: ReuseAgreementCreate | None = None
    note: Note | None = None


class AdviceRequestRead(BaseModel):
    id: uuid.UUID
    advice_type: AdviceType
    regulation: str
    organisation_id: uuid.UUID | None
    addressed_to: str
    requested_on: date
    due_on: date
    status: AdviceStatus
    received_on: date | None
    declined_reason: str | None
    note: str | None
    clock: ClockRead
    reuse_agreement: ReuseAgreementRead | None = None


class ClockExceptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"clock": "advice", "advice_request_id": "c2a4e8f0-1b3d-4f5a-8c7e-9d0b1a2c3e4f", "code": "reg8_2_c", "effect": "pause",
             "starts_on": "2026-10-20", "ends_on": "2026-10-27", "note": "Missed the EP appointment on 20 October."},
            {"clock": "final_plan", "code": "reg10_4_b", "effect": "excuse", "starts_on": "2026-11-02",
             "note": "Bereavement in the family; agreed with the parents."},
        ]},
    )

    clock: ClockKind
    advice_request_id: uuid.UUID | None = Field(default=None, description="Required for an advice clock.")
    code: str = Field(description="The regulation code, e.g. reg8_2_a; see the clock-exception codes.")
    effect: ExceptionEffect
    starts_on: date
    ends_on: date | None = Field(default=None, description="For a pause; leave empty while it lasts.")
    note: Note


class ClockExceptionEnd(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ends_on": "2026-11-03"}]})

    ends_on: date


class StepCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"step": "decision_to_assess", "completed_on": "2026-11-10", "decision": "assess"},
            {"step": "draft_plan", "completed_on": "2027-01-25"},
            {"step": "final_plan", "completed_on": "2027-02-15"},
        ]},
    )

    step: Step
    completed_on: date
    decision: Decision | None = Field(default=None, description="Required for the decision to assess.")


class AssessmentRead(BaseModel):
    id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    subject_name: str
    organisation_id: uuid.UUID
    organisation_name: str
    opened_by_user_id: uuid.UUID
    case_officer_user_id: uuid.UUID = Field(description="The caseworker responsible for the case now.")
    case_officer_name: str = Field(description="The case officer's display name.")
    purpose: Purpose
    received_on: date
    status: Literal["open", "closed"]
    decision: Decision | None
    decision_on: date | None
    no_plan_notice_on: date | None
    draft_plan_on: date | None = Field(description="The day the draft plan was sent to the family.")
    comments_until: date | None = Field(
        description="The last day of the family's at least 15 days to comment on the draft plan (reg 13(1)); "
                    "the final plan may be issued from the day after.")
    final_plan_on: date | None
    closed_at: datetime | None
    clocks: list[ClockRead]
    advice_requests: list[AdviceRequestRead]
    clock_exceptions: list[ClockExceptionRead]


class MissingPermissionRead(BaseModel):
    """A kind of information the case needs from a holder that no permission (nor the statutory
    footing) covers for this case's purpose today."""

    category: str
    holder_organisation_id: uuid.UUID
    holder_name: str
    reason: str = Field(description="Why it is not permitted, in plain English")
    needed_for: Literal["advice_request", "consent_request"] = Field(
        description="advice_request: an awaited advice request needs it; consent_request: the family was asked and has not permitted it")
    consent_request_id: uuid.UUID | None = Field(description="The open consent request that asks for it, if any")


class DeciderAnswerRead(BaseModel):
    name: str
    standing: str
    answer: str
    answered_at: datetime | None


class ConflictingAnswerRead(BaseModel):
    """A consent request that two people who may each decide answered differently: a person resolves it."""

    consent_request_id: uuid.UUID
    categories: list[str]
    answers: list[DeciderAnswerRead]


class AssessmentSummary(BaseModel):
    """One line of a caseworker's overview."""

    id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    subject_name: str
    case_officer_user_id: uuid.UUID = Field(description="The caseworker responsible for the case now.")
    case_officer_name: str = Field(description="The case officer's display name.")
    received_on: date
    status: Literal["open", "closed"]
    clocks: list[ClockRead]
    next_due_on: date | None = Field(description="The earliest due date of a clock still running, paused or overdue.")
    overdue_clocks: int
    advice_outstanding: int
    overdue_advice: list[AdviceRequestRead]
    consent_requests_awaiting: int = Field(description="Consent requests for this case's purpose still awaiting the family.")
    conflicting_answers: int = Field(description="Consent requests where two people who may decide answered differently.")
    missing_permissions: list[MissingPermissionRead] = Field(
        default_factory=list, description="What the case needs that no permission covers yet (open cases only).")
    conflicts: list[ConflictingAnswerRead] = Field(
        default_factory=list, description="The consent requests counted in conflicting_answers, with each answer.")


class ExceptionCodeRead(BaseModel):
    code: str
    regulation: str
    description: str
    clocks: list[ClockKind]
