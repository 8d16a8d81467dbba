"""Gather once: a case's gather and bundle, and plain record requests."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from broker.assessments import service as assessments
from broker.assessments.models import Assessment
from broker.auth import Principal, Role, require_roles
from broker.gathering import service
from broker.gathering.case_gather import gather_case
from broker.gathering.record_requests import admit_record_request
from broker.gathering.recorded import recorded_gather
from broker.gathering.schemas import BundleRead, GatherRead, GatherRequest, RecordRequestCreate
from broker.permissions.purposes import Purpose
from broker.platform.db import DatabaseDep, SessionDep, release_connection
from broker.platform.errors import NotFound
from broker.records.encryption.service import RecordEncryptionDep
from consent.models import utcnow

router = APIRouter(prefix="/api/v1", tags=["gathering"])
Caseworker = Annotated[Principal, Depends(require_roles(Role.caseworker))]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such case, or not one of your organisation's cases."}}


def _own_case(session: SessionDep, caller: Principal, assessment_id: uuid.UUID) -> Assessment:
    assessment = assessments.visible_assessment(session, caller, assessment_id)
    if assessment.organisation_id != caller.organisation_id:
        raise NotFound("No such assessment.")
    return assessment


@router.post("/assessments/{assessment_id}/gather", response_model=GatherRead, responses=_NOT_FOUND)
async def gather(assessment_id: uuid.UUID, body: GatherRequest, request: Request, caller: Caseworker,
                 session: SessionDep, database: DatabaseDep, encryption: RecordEncryptionDep) -> GatherRead:
    """Find the child in every source system, then gather the case's records from them all at
    once, each item released by the release policy: the council's statutory duty (the school's
    records, advice sought for this assessment), the family's permission, or safeguarding.

    Per source: what was released (with provenance and the basis it was released on), what was
    withheld and why, which permission is missing, and whether the source answered.  Gathering
    again fills any gap without duplicates; two gathers at once store each item once.  The case
    page's Gather does exactly the same."""
    await run_in_threadpool(release_connection, session)
    result = await gather_case(database, caller, request.app.state.settings, request.app.state.adapters, encryption,
                               assessment_id=assessment_id, categories=body.categories)
    return GatherRead.of(result)


@router.get("/assessments/{assessment_id}/gathers/{gather_id}", response_model=GatherRead,
            responses={404: {"description": "No such case, or no such gather of yours for it."}})
def read_gather(assessment_id: uuid.UUID, gather_id: uuid.UUID, caller: Caseworker, session: SessionDep,
                encryption: RecordEncryptionDep) -> GatherRead:
    """One of your gathers for this case, again, without asking the sources: per source its
    status, what was withheld and why, and the items it released as the bundle serves them now
    (an item whose permission has been withdrawn since is listed as withheld, with the reason).
    Another person's gather, or another case's, is not found."""
    case = _own_case(session, caller, assessment_id)
    result = recorded_gather(session, caller, encryption, gather_id, subject_id=case.subject_id, purpose=case.purpose,
                             case_reference=case.reference, assessment_id=case.id)
    if result is None:
        raise NotFound("There is no gather with that id among your gathers for this case.")
    return GatherRead.of(result)


@router.get("/assessments/{assessment_id}/bundle", response_model=BundleRead, responses=_NOT_FOUND)
def read_bundle(assessment_id: uuid.UUID, caller: Caseworker, session: SessionDep,
                encryption: RecordEncryptionDep) -> BundleRead:
    """The gathered items the caller's organisation may still see for this case; items whose
    permission has been withdrawn are not served, and the answer says why."""
    case = _own_case(session, caller, assessment_id)
    return BundleRead.of(service.bundle(session, caller, encryption, case.subject_id, case.purpose, case.reference,
                                        case.id), utcnow())


@router.post("/record-requests", response_model=GatherRead,
             responses={403: {"description": "Your organisation may not act for this purpose."},
                        404: {"description": "No such child."}})
async def record_request(body: RecordRequestCreate, request: Request, caller: Caseworker, session: SessionDep,
                         database: DatabaseDep, encryption: RecordEncryptionDep) -> GatherRead:
    """Request a child's records for a purpose other than a case: items stored within the
    freshness window are served again (with their age and provenance) instead of fetched."""
    await run_in_threadpool(admit_record_request, session, caller, body.subject_id, Purpose(body.purpose))
    result = await service.gather(database, caller, request.app.state.settings, request.app.state.adapters,
                                  encryption, subject_id=body.subject_id, purpose=body.purpose.value,
                                  categories=body.categories, reuse_fresh=True)
    return GatherRead.of(result)

