"""Pydantic shapes of the break-glass API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]


class BreakGlassReason(StrEnum):
    """Why a safeguarding lead may need a child's information without the family's permission."""

    risk_of_significant_harm = "risk_of_significant_harm"
    section_47_enquiry = "section_47_enquiry"
    child_missing = "child_missing"
    emergency_medical = "emergency_medical"
    strategy_meeting = "strategy_meeting"
    police_request_under_investigation = "police_request_under_investigation"


class ReviewOutcome(StrEnum):
    appropriate = "appropriate"
    not_appropriate = "not_appropriate"
    referred = "referred"


class BreakGlassCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "subject_id": "9b1d7a38-3c0e-5a53-b7f9-0f7a0c7e9a11",
            "reason_code": "risk_of_significant_harm",
            "reason_text": "Police report of an incident at home last night; strategy discussion at 10:00.",
        }]},
    )

    subject_id: uuid.UUID
    reason_code: BreakGlassReason
    reason_text: Reason = Field(description="What happened and why the information is needed now (at least 10 characters).")


class BreakGlassReviewCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"outcome": "appropriate", "notes": "Reason matches the strategy meeting minutes.", "family_may_be_told": True},
            {"outcome": "referred", "notes": "Referred to the Caldicott guardian.", "family_may_be_told": False,
             "withheld_from_family_reason": "A s.47 enquiry is open; telling the family now could put the child at risk."},
        ]},
    )

    outcome: ReviewOutcome
    notes: Note | None = Field(default=None, description="Required unless the access was appropriate.")
    family_may_be_told: bool = Field(description="Release to the family's access history; false only where telling them would put the child at risk.")
    withheld_from_family_reason: Note | None = Field(default=None, description="Required when family_may_be_told is false.")


class BreakGlassRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject_id: uuid.UUID
    opened_by_user_id: uuid.UUID
    organisation_id: uuid.UUID | None
    reason_code: BreakGlassReason
    reason_text: str
    opened_at: datetime
    expires_at: datetime
    active: bool
    review_due_on: date
    review_overdue: bool
    reviewed_by_user_id: uuid.UUID | None
    reviewed_at: datetime | None
    review_outcome: ReviewOutcome | None
    review_notes: str | None
    family_may_be_told: bool | None
    withheld_from_family_reason: str | None
    released_to_family_at: datetime | None
    excluded_categories: list[str] = Field(description="Tier 3 categories that stay outside the broker even under break-glass.")
