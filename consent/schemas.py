"""Pydantic shapes of the consent registry: what callers send (…Create) and what they read (…Read)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consent.vocabulary import CURRENT_NOTICE_VERSION, Basis, Method, Standing, Status

_EXAMPLE_SUBJECT = "0b7c8f8e-6a0e-5d49-9d57-7a4b2b9f1c01"
_EXAMPLE_ORG = "5c1d9c3a-2f43-5a8e-8d55-0e4f3d2a1b10"


class ScopeRow(BaseModel):
    """What may flow: one data category, for one purpose, from one holder, to one recipient.

    ``document_ref`` narrows the row to one named document the holder keeps.
    """

    model_config = ConfigDict(from_attributes=True)

    data_category: str = Field(examples=["EP_ADVICE"])
    purpose: str = Field(examples=["EHC_NEEDS_ASSESSMENT"])
    recipient_organisation_id: uuid.UUID = Field(examples=[_EXAMPLE_ORG])
    holder_organisation_id: uuid.UUID = Field(examples=[_EXAMPLE_ORG])
    document_ref: str | None = Field(default=None, max_length=200, examples=[None])


class ConsentCreate(BaseModel):
    """A permission given directly (online by the family, or recorded by staff from paper or speech)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject_id": _EXAMPLE_SUBJECT,
        "basis": "confidentiality",
        "scope": [{
            "data_category": "EP_ADVICE", "purpose": "EHC_NEEDS_ASSESSMENT",
            "recipient_organisation_id": _EXAMPLE_ORG, "holder_organisation_id": _EXAMPLE_ORG,
        }],
        "valid_until": "2027-09-01T00:00:00Z",
        "childs_views": "Amelia wants her teachers to know she finds noisy rooms hard.",
    }]})

    subject_id: uuid.UUID
    basis: Basis
    scope: list[ScopeRow] = Field(min_length=1, max_length=500)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    method: Method = Method.portal
    grantor_person_id: uuid.UUID | None = None
    grantor_organisation_id: uuid.UUID | None = None
    standing_evidence_ref: str | None = Field(default=None, max_length=200)
    witness_name: str | None = Field(default=None, max_length=200)
    interpreter_language: str | None = Field(default=None, max_length=100)
    notice_version: str = Field(default=CURRENT_NOTICE_VERSION, max_length=64)
    childs_views: str | None = Field(default=None, max_length=5000)


class ConsentChange(BaseModel):
    """A change to a permission: a new version with a new scope or period (the old one is kept)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "valid_until": "2027-03-01T00:00:00Z", "note": "Shorter period agreed at the review meeting.",
    }]})

    scope: list[ScopeRow] | None = Field(default=None, min_length=1, max_length=500)
    valid_until: AwareDatetime | None = None
    childs_views: str | None = Field(default=None, max_length=5000)
    method: Method = Method.portal
    witness_name: str | None = Field(default=None, max_length=200)
    interpreter_language: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class ConsentWithdraw(BaseModel):
    """A withdrawal. Staff recording one from a letter or a call name the person who asked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "We have changed our minds."}]})

    reason: str | None = Field(default=None, max_length=2000)
    withdrawn_by_person_id: uuid.UUID | None = None


class StatusEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    status: Status
    effective_at: datetime
    recorded_by_name: str
    reason: str | None


class ConsentVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    basis: Basis
    grantor_person_id: uuid.UUID | None
    grantor_organisation_id: uuid.UUID | None
    grantor_name: str
    standing: Standing
    standing_evidence_ref: str | None
    method: Method
    witness_name: str | None
    interpreter_language: str | None
    notice_version: str
    valid_from: datetime
    valid_until: datetime | None
    childs_views: str | None
    change_note: str | None
    recorded_by_name: str
    recorded_at: datetime
    status: Status
    scope: list[ScopeRow]


class ConsentRead(BaseModel):
    """A permission with every version it has had and its whole status history."""

    id: uuid.UUID
    subject_id: uuid.UUID
    status: Status
    current_version: int
    created_at: datetime
    versions: list[ConsentVersionRead]
    status_history: list[StatusEventRead]


class ConsentRequestCreate(BaseModel):
    """A caseworker's request for permission, written for the family to read."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject_id": _EXAMPLE_SUBJECT,
        "purpose": "EHC_NEEDS_ASSESSMENT",
        "basis": "confidentiality",
        "categories": ["EP_ADVICE", "HEALTH_ADVICE"],
        "holder_organisation_ids": [_EXAMPLE_ORG],
        "recipient_organisation_ids": [_EXAMPLE_ORG],
        "why": "To assess Amelia's needs we would like to read the educational psychologist's report.",
        "valid_for_days": 365,
        "if_declined": "The assessment goes ahead; we will ask the psychologist for new advice instead.",
        "expires_at": "2026-12-31T17:00:00Z",
    }]})

    subject_id: uuid.UUID
    purpose: str
    basis: Basis = Basis.confidentiality
    categories: list[str] = Field(min_length=1, max_length=30)
    holder_organisation_ids: list[uuid.UUID] = Field(min_length=1, max_length=30)
    recipient_organisation_ids: list[uuid.UUID] = Field(min_length=1, max_length=30)
    why: str = Field(min_length=10, max_length=5000)
    valid_for_days: int = Field(ge=1, le=3660)
    if_declined: str = Field(min_length=10, max_length=5000)
    expires_at: AwareDatetime


class AnswerCreate(BaseModel):
    """A decider's answer: approve everything asked, approve a narrower part, or decline."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "answer": "approve_part", "categories": ["EP_ADVICE"], "valid_for_days": 180,
        "note": "Only the psychologist's report, please.",
    }]})

    answer: Literal["approve_all", "approve_part", "decline"]
    categories: list[str] | None = Field(default=None, min_length=1, max_length=30)
    holder_organisation_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=30)
    valid_for_days: int | None = Field(default=None, ge=1, le=3660)
    note: str | None = Field(default=None, max_length=2000)
    childs_views: str | None = Field(default=None, max_length=5000)


class DeciderRead(BaseModel):
    person_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    name: str
    standing: Standing
    notified_at: datetime | None
    answer: Literal["approve_all", "approve_part", "decline"] | None
    answered_at: datetime | None
    consent_id: uuid.UUID | None


class ConsentRequestRead(BaseModel):
    """A request, its deciders and their answers; ``conflict`` flags deciders who answered differently."""

    id: uuid.UUID
    subject_id: uuid.UUID
    purpose: str
    basis: Basis
    categories: list[str]
    holder_organisation_ids: list[uuid.UUID]
    recipient_organisation_ids: list[uuid.UUID]
    why: str
    valid_for_days: int
    if_declined: str
    expires_at: datetime
    requested_by_name: str
    replaces_consent_id: uuid.UUID | None
    created_at: datetime
    status: Literal["open", "answered", "expired"]
    conflict: bool
    deciders: list[DeciderRead]


class DecisionCreate(BaseModel):
    """What a caseworker wants to receive: checked without fetching anything."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject_id": _EXAMPLE_SUBJECT, "purpose": "EHC_NEEDS_ASSESSMENT",
        "recipient_organisation_id": _EXAMPLE_ORG, "holder_organisation_id": _EXAMPLE_ORG,
        "categories": ["EP_ADVICE", "EDU_ATTENDANCE"],
    }]})

    subject_id: uuid.UUID
    recipient_organisation_id: uuid.UUID
    purpose: str
    categories: list[str] = Field(min_length=1, max_length=30)
    holder_organisation_id: uuid.UUID
    at: AwareDatetime | None = None


class CategoryDecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    category: str
    permitted: bool
    consent_id: uuid.UUID | None
    consent_version: int | None
    documents: list[str] | None = Field(description="when set, only these named documents are permitted")
    reason: str


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject_id: uuid.UUID
    recipient_organisation_id: uuid.UUID
    purpose: str
    holder_organisation_id: uuid.UUID
    at: datetime
    categories: list[CategoryDecisionRead]
