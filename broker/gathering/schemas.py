"""What the gather, bundle and record-request endpoints accept and answer."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from broker.gathering.service import BundleResult, GatherResult, Released, SourceResult, Withheld
from broker.permissions.purposes import Purpose
from broker.permissions.release_policy import BASIS_IN_WORDS, Basis


class GatherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"categories": ["EP_ADVICE", "SC_ASSESSMENT"]}]})

    categories: list[str] | None = Field(
        default=None, max_length=40,
        description="Data categories to gather; omitted: every category the broker may carry.")


class RecordRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "subject_id": "7a0c1d7e-1f5b-4f4e-9f43-7f5d2d7f2a11", "purpose": "SHORT_BREAKS",
        "categories": ["SC_ASSESSMENT", "EDU_ATTENDANCE"]}]})

    subject_id: uuid.UUID
    purpose: Purpose
    categories: list[str] = Field(min_length=1, max_length=40)


class Provenance(BaseModel):
    source_system: str
    source_record_id: str
    holder_organisation_id: uuid.UUID
    retrieved_at: datetime
    age_seconds: int = Field(description="How long ago the source released it")
    content_hash: str
    gathered_under_consent_id: uuid.UUID | None
    gathered_under_consent_version: int | None
    basis: str = Field(description=(
        "public_task (the council's statutory duty), permission (the family's, named above) or safeguarding "
        "(a break-glass access): the release policy's answer at this reading"))
    basis_in_words: str = Field(description="The basis as the family is told it")


class ItemRead(BaseModel):
    id: uuid.UUID
    category: str
    title: str
    effective_date: date | None
    media_type: str | None
    sensitivity: str
    content: dict[str, Any] | None = None
    document_base64: str | None
    newly_gathered: bool
    provenance: Provenance

    @classmethod
    def of(cls, released: Released, now: datetime) -> ItemRead:
        row = released.item
        basis = released.release.basis if released.release and released.release.basis else (
            Basis.family_permission if row.consent_id else Basis.statutory_duty)
        consent_id = released.release.consent_id if released.release else row.consent_id
        consent_version = released.release.consent_version if released.release else row.consent_version
        return cls(
            id=row.id, category=row.category, title=released.title, effective_date=row.effective_date,
            media_type=row.media_type, sensitivity=row.sensitivity, content=released.content,
            document_base64=base64.b64encode(released.document).decode() if released.document is not None else None,
            newly_gathered=released.new,
            provenance=Provenance(
                source_system=row.source_system, source_record_id=row.source_record_id,
                holder_organisation_id=row.holder_organisation_id, retrieved_at=row.retrieved_at,
                age_seconds=max(0, int((now - row.retrieved_at).total_seconds())), content_hash=row.content_hash,
                gathered_under_consent_id=consent_id, gathered_under_consent_version=consent_version,
                basis=basis.value, basis_in_words=released.release.in_words if released.release
                else BASIS_IN_WORDS[basis]))


class WithheldRead(BaseModel):
    category: str
    reason: str

    @classmethod
    def of(cls, w: Withheld) -> WithheldRead:
        return cls(category=w.category, reason=w.reason)


class SourceRead(BaseModel):
    source_system: str
    holder_organisation_id: uuid.UUID | None
    status: str = Field(description=(
        "ok, timeout, down, not_linked (no record link in force), not_asked (nothing permitted), holder_unknown "
        "(the source names a holder, such as the child's school, that the broker does not know) or holder_changed "
        "(the source now names another holder: nothing released; the next gather asks under that holder)"))
    reason: str | None = None
    served_from_store: bool
    released: list[ItemRead]
    withheld: list[WithheldRead]
    missing_permission: list[str] = Field(description="Categories to ask the family for, from this holder")

    @classmethod
    def of(cls, s: SourceResult, now: datetime) -> SourceRead:
        return cls(source_system=s.source_system, holder_organisation_id=s.holder_organisation_id, status=s.status,
                   reason=s.reason, served_from_store=s.reused, released=[ItemRead.of(r, now) for r in s.released],
                   withheld=[WithheldRead.of(w) for w in s.withheld], missing_permission=s.missing_permission)


class MissingPermission(BaseModel):
    """One consent request that would cover exactly what is missing (POST /api/v1/consent-requests)."""

    purpose: str
    categories: list[str]
    holder_organisation_ids: list[uuid.UUID]


_GATHER_EXAMPLE: JsonDict = {
    "gather_id": "3f6d2c1b-8a9e-4f70-b5c4-2d1e0f9a8b7c", "subject_id": "7a0c1d7e-1f5b-4f4e-9f43-7f5d2d7f2a11", "purpose": "EHC_NEEDS_ASSESSMENT",
    "gathered_at": "2026-11-20T10:15:02Z", "complete": False,
    "sources": [
        {"source_system": "educational_psychology", "holder_organisation_id": "2aaed5f5-3cca-57c7-99e4-c83f80ea417b",
         "status": "ok", "reason": None, "served_from_store": False, "withheld": [], "missing_permission": [],
         "released": [{
             "id": "0b4e8f8e-5d0c-4d0e-8a53-0c7f3f2f1a01", "category": "EP_ADVICE", "title": "Psychological advice",
             "effective_date": "2026-09-30", "media_type": "application/pdf", "sensitivity": "standard",
             "content": None, "document_base64": "JVBERi0xLjQK", "newly_gathered": True,
             "provenance": {
                 "source_system": "educational_psychology", "source_record_id": "EP-2291/doc-4",
                 "holder_organisation_id": "2aaed5f5-3cca-57c7-99e4-c83f80ea417b",
                 "retrieved_at": "2026-11-20T10:15:01Z", "age_seconds": 1,
                 "content_hash": "9f2c5a0e7d1b4c3a8e6f5d4c3b2a1908f7e6d5c4b3a291807f6e5d4c3b2a1908",
                 "gathered_under_consent_id": "5c8d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
                 "gathered_under_consent_version": 1, "basis": "permission",
                 "basis_in_words": "Shared because the family gave permission; it stops if they withdraw it."}}]},
        {"source_system": "social_care", "holder_organisation_id": "61f0c2aa-8d3e-5b7c-9a1d-2e3f4a5b6c7d",
         "status": "not_asked", "reason": None, "served_from_store": False, "released": [],
         "withheld": [{"category": "SC_ASSESSMENT", "reason": "No permission covers social care assessments for "
                                                            "the EHC needs assessment, from this holder to this recipient."}],
         "missing_permission": ["SC_ASSESSMENT"]},
    ],
    "missing_permission": {"purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["SC_ASSESSMENT"],
                           "holder_organisation_ids": ["61f0c2aa-8d3e-5b7c-9a1d-2e3f4a5b6c7d"]},
}


class GatherRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_GATHER_EXAMPLE]})

    gather_id: uuid.UUID = Field(description=(
        "This gather: a case's gather can be read again at /api/v1/assessments/{id}/gathers/{gather_id}"))
    subject_id: uuid.UUID
    purpose: str
    gathered_at: datetime
    complete: bool = Field(description="Every asked source answered and nothing is missing")
    sources: list[SourceRead]
    missing_permission: MissingPermission | None

    @classmethod
    def of(cls, result: GatherResult) -> GatherRead:
        missing_cats = sorted({c for s in result.sources for c in s.missing_permission})
        missing_holders = sorted({s.holder_organisation_id for s in result.sources
                                  if s.missing_permission and s.holder_organisation_id}, key=str)
        return cls(
            gather_id=result.id, subject_id=result.subject_id, purpose=result.purpose, gathered_at=result.at,
            complete=not missing_cats and all(s.status in ("ok", "not_asked") for s in result.sources),
            sources=[SourceRead.of(s, result.at) for s in result.sources],
            missing_permission=MissingPermission(purpose=result.purpose, categories=missing_cats,
                                                 holder_organisation_ids=missing_holders) if missing_cats else None)


class BundleRead(BaseModel):
    items: list[ItemRead]
    not_served: list[WithheldRead] = Field(description="Categories gathered earlier that are no longer served, and why")

    @classmethod
    def of(cls, result: BundleResult, now: datetime) -> BundleRead:
        return cls(items=[ItemRead.of(r, now) for r in result.served],
                   not_served=[WithheldRead.of(w) for w in result.not_served])
