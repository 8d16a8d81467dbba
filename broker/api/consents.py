"""Permissions (consents), consent requests and decisions, over JSON under ``/api/v1``.

Families see and act only for the children (or themselves) they may decide for: anything else
answers 404, exactly like something that does not exist.  Caseworkers raise requests and check
decisions.  Every change and every decision is written to the audit log in the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from broker.auth import Principal, Role, require_roles
from broker.auth.dependencies import PUBLIC_OPERATION
from broker.families import family_release
from broker.permissions import consent_actions
from broker.permissions.release_schemas import ReleaseDecisionCreate, ReleaseDecisionRead
from broker.platform.db import SessionDep
from broker.platform.keys import ed25519_key
from broker.records import erasure
from broker.records.encryption.service import RecordEncryptionDep
from consent import fhir, receipts, service
from consent.models import utcnow
from consent.schemas import (
    AnswerCreate,
    ConsentChange,
    ConsentCreate,
    ConsentRead,
    ConsentRequestCreate,
    ConsentRequestRead,
    ConsentWithdraw,
)

router = APIRouter(prefix="/api/v1", tags=["permissions"])
well_known = APIRouter(tags=["permissions"])

Family = Annotated[Principal, Depends(require_roles(Role.family))]
Caseworker = Annotated[Principal, Depends(require_roles(Role.caseworker, Role.safeguarding_lead))]
Grantor = Annotated[Principal, Depends(require_roles(Role.family, Role.caseworker))]
Reader = Annotated[Principal, Depends(require_roles(Role.family, Role.caseworker, Role.safeguarding_lead, Role.ig_auditor))]


class AnswerRead(BaseModel):
    """The request after the answer, and the permission the answer granted (none for a decline)."""

    request: ConsentRequestRead
    consent: ConsentRead | None


class ReceiptRead(BaseModel):
    """A consent receipt and its signature: ``jws`` verifies offline with the published key set."""

    receipt: dict[str, Any]
    jws: str = Field(description="compact JWS (alg Ed25519) whose payload is the receipt")
    keys_url: str


def _public_url(request: Request) -> str:
    return request.app.state.settings.public_url


@router.post("/consent-requests", response_model=ConsentRequestRead, status_code=status.HTTP_201_CREATED)
def create_consent_request(data: ConsentRequestCreate, request: Request, session: SessionDep, caller: Caseworker) -> ConsentRequestRead:
    """Ask the family for permission. Each person who may decide is told separately."""
    return consent_actions.create_request(session, caller, data, _public_url(request))


@router.get("/consent-requests", response_model=list[ConsentRequestRead])
def list_consent_requests(subject_id: uuid.UUID, session: SessionDep, caller: Reader) -> list[ConsentRequestRead]:
    """Every consent request about a subject, oldest first, with each decider's answer."""
    return service.list_requests(session, consent_actions.actor_of(caller), subject_id)


@router.get("/consent-requests/{request_id}", response_model=ConsentRequestRead)
def read_consent_request(request_id: uuid.UUID, session: SessionDep, caller: Reader) -> ConsentRequestRead:
    """A consent request, who may decide, how each answered, and whether their answers conflict."""
    return service.read_request(session, consent_actions.actor_of(caller), request_id)


@router.post("/consent-requests/{request_id}/answer", response_model=AnswerRead)
def answer_consent_request(request_id: uuid.UUID, data: AnswerCreate, session: SessionDep, caller: Grantor) -> AnswerRead:
    """Approve all, approve a narrower part (categories, holders, period), or decline. Once per decider."""
    answered, consent = consent_actions.answer(session, caller, request_id, data)
    return AnswerRead(request=answered, consent=consent)


@router.post("/consents", response_model=ConsentRead, status_code=status.HTTP_201_CREATED)
def grant_consent(data: ConsentCreate, session: SessionDep, caller: Grantor) -> ConsentRead:
    """Give a permission directly (families, online), or record one given on paper or in person (staff)."""
    return consent_actions.grant(session, caller, data)


@router.get("/consents", response_model=list[ConsentRead])
def list_consents(subject_id: uuid.UUID, session: SessionDep, caller: Reader) -> list[ConsentRead]:
    """Every permission about a subject, with all versions and status history."""
    return service.list_consents(session, consent_actions.actor_of(caller), subject_id)


@router.get("/consents/{consent_id}", response_model=ConsentRead)
def read_consent(consent_id: uuid.UUID, session: SessionDep, caller: Reader) -> ConsentRead:
    """One permission with every version it has had (nothing is overwritten) and its status history."""
    return service.read_consent(session, consent_actions.actor_of(caller), consent_id)


@router.post("/consents/{consent_id}/versions", response_model=ConsentRead, status_code=status.HTTP_201_CREATED)
def change_consent(consent_id: uuid.UUID, data: ConsentChange, session: SessionDep, caller: Grantor) -> ConsentRead:
    """Change a permission (scope, period, the child's views): a new version; the old one is kept."""
    return consent_actions.change(session, caller, consent_id, data)


@router.post("/consents/{consent_id}/withdraw", response_model=ConsentRead)
def withdraw_consent(consent_id: uuid.UUID, data: ConsentWithdraw, request: Request, session: SessionDep,
                     caller: Grantor, encryption: RecordEncryptionDep) -> ConsentRead:
    """Withdraw a permission. Sharing under it stops the moment this succeeds, and stored copies
    held only under it are erased (after the council's grace period, if it has one)."""
    return erasure.withdraw(session, caller, consent_id, data, request.app.state.settings, encryption)


@router.get("/consents/{consent_id}/receipt", response_model=ReceiptRead)
def consent_receipt(
    consent_id: uuid.UUID, request: Request, session: SessionDep, caller: Reader,
    version: Annotated[int | None, Query(ge=1, description="a past version; the current one by default")] = None,
    event: Annotated[
        Literal["granted", "changed", "withdrawn", "expired", "superseded"] | None,
        Query(description="which event of the version; its latest by default"),
    ] = None,
) -> ReceiptRead:
    """The signed receipt of a grant, change or withdrawal (Kantara / ISO/IEC TS 27560 fields)."""
    return signed_receipt(request, session, caller, consent_id, version=version, event=event)


def signed_receipt(
    request: Request, session: Session, caller: Principal, consent_id: uuid.UUID,
    version: int | None = None, event: str | None = None,
) -> ReceiptRead:
    """A permission's signed receipt, for the API and for the family's download link."""
    consent = service.read_consent(session, consent_actions.actor_of(caller), consent_id)
    controller = service.controller_of(session, consent)
    public_url = _public_url(request)
    receipt = receipts.build_receipt(
        consent, version=version, organisation_names=service.organisation_names(session, consent),
        controller=receipts.Controller(controller.name, controller.contact_email, public_url),
        withdraw_url=f"{public_url}/consents/{consent.id}", event=event,
    )
    # What the release policy releases on the statutory duty, whatever this permission says.
    receipt["notOnThisPermission"] = family_release.not_resting_on(session, consent)
    key = ed25519_key(request.app.state.settings, "receipts")
    return ReceiptRead(receipt=receipt, jws=receipts.sign_receipt(receipt, key),
                       keys_url=f"{public_url}/.well-known/consent-receipt-keys.json")


@router.get("/consents/{consent_id}/fhir")
def consent_as_fhir(
    consent_id: uuid.UUID, session: SessionDep, caller: Reader,
    version: Annotated[int | None, Query(ge=1, description="a past version; the current one by default")] = None,
) -> dict[str, Any]:
    """The permission as a FHIR R4 Consent resource (validated against the R4B model)."""
    consent = service.read_consent(session, consent_actions.actor_of(caller), consent_id)
    return fhir.to_fhir(consent, version=version, organisation_names=service.organisation_names(session, consent),
                        controller_id=service.controller_of(session, consent).id)


@router.post("/decisions", response_model=ReleaseDecisionRead)
def check_decision(data: ReleaseDecisionCreate, session: SessionDep, caller: Caseworker) -> ReleaseDecisionRead:
    """What may the holder release to the recipient for this purpose, and on which basis? The
    release policy every gather and reading uses answers, nothing is fetched, and the decision is
    audited.  Each category: released or not, which items (all, named documents, or the advice
    written for the assessment), the basis in words (the council's statutory duty, the family's
    permission with its version, or safeguarding), whether the family may be asked, and why."""
    return consent_actions.decide(session, caller, data, data.at or utcnow(), assessment_id=data.assessment_id)


@well_known.get("/.well-known/consent-receipt-keys.json", openapi_extra=PUBLIC_OPERATION)
def consent_receipt_keys(request: Request) -> dict[str, Any]:
    """The public key (JWK set) that verifies consent receipts."""
    return receipts.public_jwks(ed25519_key(request.app.state.settings, "receipts"))
